"""The Rasa model as a function of its inputs: their content hash, the `rasa train` command, the
model cache, and the pointer to the model a console retrain activated.

The library half of training, shared by the command line (``python -m cli train`` / ``run``,
cli/train.py) and the API's retrain (api/learning/runtime.py → retrain.py). Failures raise
``TrainingFailed`` (or ``core.paths.RasaEnvironmentMissing``); only the command line turns them
into an exit code.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from core.paths import ROOT, cache_dir, rasa_env, rasa_venv

Log = Callable[[str], object]

# Everything that changes what `rasa train` produces.
MODEL_INPUTS = ("config.yml", "domain.yml", "data", "bot", "requirements/rasa.lock.txt")
# The model activated from the console, in the data directory (see retrain.py).
ACTIVE_MODEL_POINTER = "active-model.json"


class TrainingFailed(RuntimeError):
    """`rasa train` exited with an error; the message ends with the tail of its output."""


def _input_files(exclude: Path | None = None) -> list[Path]:
    files: list[Path] = []
    for name in MODEL_INPUTS:
        path = ROOT / name
        if path.is_dir():
            files += [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        elif path.exists():
            files.append(path)
    if exclude is not None:
        files = [f for f in files if f.resolve() != exclude.resolve()]
    return sorted(files)


def model_hash(exclude: Path | None = None) -> str:
    """Content hash of the model inputs (``exclude``: leave one file out, see ``base_hash``)."""
    digest = hashlib.sha256()
    for path in _input_files(exclude):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def base_hash(learned: Path) -> str:
    """Hash of every model input except the learned-examples file: a model activated from the
    console stays valid while only learned examples are added after it, not once the rest of the
    training data, the domain, the config or the components change."""
    return model_hash(exclude=learned)


def training_data_paths(learned: Path, learned_copy: Path) -> list[Path]:
    """What ``rasa train --data`` gets for a console retrain: data/ without the live learned file
    (which editors may be changing meanwhile) plus a copy of it taken when the job started."""
    files = [
        p for p in _input_files(exclude=learned) if p.is_relative_to(ROOT / "data") and p.suffix in {".yml", ".yaml"}
    ]
    return [*files, learned_copy]


def train_command(data: list[Path], out: Path, name: str) -> list[str]:
    """``rasa train`` in the Rasa environment (run it with ``cwd=ROOT, env=rasa_env()``)."""
    return [
        str(rasa_venv() / "bin" / "rasa"),
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        *[str(p) for p in data],
        "--out",
        str(out),
        "--fixed-model-name",
        name,
    ]


def write_active_model(data_dir: Path, model: Path, base: str) -> None:
    pointer = data_dir / ACTIVE_MODEL_POINTER
    partial = pointer.with_suffix(".partial")
    partial.write_text(json.dumps({"path": str(model), "base_hash": base}), encoding="utf-8")
    partial.replace(pointer)


def active_model(data_dir: Path, learned: Path, log: Log = print) -> Path | None:
    """The model last activated (or kept) by a console retrain, if it still matches the inputs
    other than learned examples; ``None`` otherwise (then ``ensure_model`` decides)."""
    pointer = data_dir / ACTIVE_MODEL_POINTER
    if not pointer.exists():
        return None
    try:
        record = json.loads(pointer.read_text(encoding="utf-8"))
        model, base = Path(record["path"]), str(record["base_hash"])
    except (ValueError, KeyError, TypeError):
        log(f"ignoring unreadable {pointer}")
        return None
    if not model.is_file():
        log(f"active model {model} is missing; using the model for the current inputs")
        return None
    if base != base_hash(learned):
        log(
            "training data, domain or config changed since the console activated a model; using the model for the current inputs"
        )
        return None
    log(f"model activated from the console: {model.name}")
    return model


def model_path() -> Path:
    """Where the model for the current inputs is cached (shared by clones, keyed by content)."""
    return cache_dir() / "models" / f"tthc-{model_hash()}.tar.gz"


def ensure_model(force: bool = False, log: Log = print) -> Path:
    """The trained model for the current inputs, training it first if it is not cached."""
    target = model_path()
    if target.exists() and not force:
        log(f"model up to date: {target.name}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log("training the Rasa model (inputs changed) ...")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tthc-train-") as out:
        command = train_command([Path("data")], Path(out), target.name.removesuffix(".tar.gz"))
        result = subprocess.run(command, cwd=ROOT, env=rasa_env(), capture_output=True, text=True)
        if result.returncode != 0:
            raise TrainingFailed(f"rasa train failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        produced = next(Path(out).glob("*.tar.gz"))
        shutil.move(produced, target.with_suffix(".partial"))
        target.with_suffix(".partial").rename(target)
    log(f"trained in {time.monotonic() - started:.0f} s: {target.name}")
    return target
