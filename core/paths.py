"""Where things live outside the database: the repository, the data directory, the shared cache
(environments, trained models) and the Rasa runtime environment.

Used by the command line (starting the stack, training) and by the API's retrain, so neither has
to reach into the other; nothing here exits the process: a missing Rasa environment is a
``RasaEnvironmentMissing`` the caller turns into an exit code or a disabled button.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.settings import PROJECT_ROOT, get_settings

ROOT = PROJECT_ROOT


class RasaEnvironmentMissing(RuntimeError):
    """TTHC_RASA_VENV is not set: this process cannot start Rasa or `rasa train`."""


def cache_dir() -> Path:
    path = get_settings().cache_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    path = get_settings().data_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def rasa_venv() -> Path:
    """The Rasa runtime environment, made by scripts/bootstrap.sh (exported by the Makefile)."""
    value = get_settings().rasa_venv
    if value is None:
        raise RasaEnvironmentMissing("TTHC_RASA_VENV is not set: run through `make` (it creates the Rasa environment).")
    return value


def rasa_env() -> dict[str, str]:
    """Environment for Rasa processes: our components importable, no telemetry (no network)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    # Rasa's training cache keys on config and data, not on our components' code, so a changed
    # component could be restored from the cache: disable it (our own cache keys on the code too).
    env["RASA_MAX_CACHE_SIZE"] = "0"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONWARNINGS"] = "ignore"
    return env
