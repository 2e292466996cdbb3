"""The library half of training (servicedesk/learning/training.py) raises typed errors; only the
command line (cli/train.py) turns them into an exit status. The API's retrain catches them
instead of a SystemExit (api/learning/runtime.py)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.learning.runtime import rasa_available
from core.paths import ROOT, RasaEnvironmentMissing, rasa_venv
from core.settings import get_settings
from servicedesk.learning import training


@pytest.fixture
def failing_rasa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A Rasa environment whose `rasa train` fails the way a broken domain makes it fail."""
    venv = tmp_path / "rasa-venv"
    (venv / "bin").mkdir(parents=True)
    rasa = venv / "bin" / "rasa"
    rasa.write_text("#!/bin/sh\necho 'InvalidDomain: intent ask_fee is not in the domain' >&2\nexit 1\n")
    rasa.chmod(rasa.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("TTHC_RASA_VENV", str(venv))
    monkeypatch.setenv("TTHC_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield venv
    get_settings.cache_clear()


def test_a_failed_rasa_train_raises_training_failed_and_caches_nothing(failing_rasa: Path) -> None:
    with pytest.raises(training.TrainingFailed, match="InvalidDomain: intent ask_fee"):
        training.ensure_model(force=True, log=lambda _message: None)
    assert not list(training.model_path().parent.glob("*"))


def test_no_rasa_environment_is_a_typed_error_not_an_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TTHC_RASA_VENV", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(RasaEnvironmentMissing):
            rasa_venv()
        with pytest.raises(RasaEnvironmentMissing):
            training.train_command([Path("data")], Path("out"), "name")
        assert rasa_available() is False  # the console's retrain button is disabled, the API lives on
    finally:
        get_settings.cache_clear()


def test_the_command_line_turns_a_failed_training_into_exit_status_1(failing_rasa: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "train", "--force"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "rasa train failed" in result.stdout
    assert "InvalidDomain" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_the_active_model_pointer_holds_while_only_learned_examples_change(tmp_path: Path) -> None:
    learned = ROOT / "data" / "nlu" / "learned.yml"
    model = tmp_path / "tthc-candidate.tar.gz"
    model.write_bytes(b"model")
    training.write_active_model(tmp_path, model, training.base_hash(learned))
    assert training.active_model(tmp_path, learned, log=lambda _message: None) == model

    training.write_active_model(tmp_path, model, "0000000000000000")  # other inputs changed since
    assert training.active_model(tmp_path, learned, log=lambda _message: None) is None
