"""Trains the Rasa model only when its inputs changed, keyed on their content hash."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from cli.paths import ROOT, cache_dir, rasa_env, rasa_venv

# Everything that changes what `rasa train` produces.
MODEL_INPUTS = ("config.yml", "domain.yml", "data", "bot", "requirements/rasa.lock.txt")


def _input_files() -> list[Path]:
    files: list[Path] = []
    for name in MODEL_INPUTS:
        path = ROOT / name
        if path.is_dir():
            files += [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        elif path.exists():
            files.append(path)
    return sorted(files)


def model_hash() -> str:
    digest = hashlib.sha256()
    for path in _input_files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return cache_dir() / "models" / f"tthc-{model_hash()}.tar.gz"


def ensure_model(force: bool = False, log=print) -> Path:  # noqa: ANN001
    """The trained model for the current inputs, training it first if it is not cached."""
    target = model_path()
    if target.exists() and not force:
        log(f"model up to date: {target.name}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log("training the Rasa model (inputs changed) ...")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tthc-train-") as out:
        command = [
            str(rasa_venv() / "bin" / "rasa"), "train",
            "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
            "--out", out, "--fixed-model-name", target.name.removesuffix(".tar.gz"),
        ]
        result = subprocess.run(command, cwd=ROOT, env=rasa_env(), capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"rasa train failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        produced = next(Path(out).glob("*.tar.gz"))
        shutil.move(produced, target.with_suffix(".partial"))
        target.with_suffix(".partial").rename(target)
    log(f"trained in {time.monotonic() - started:.0f} s: {target.name}")
    return target
