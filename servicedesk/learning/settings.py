"""Where learned examples are written (``TTHC_LEARNED_NLU_PATH``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import PROJECT_ROOT

DEFAULT_LEARNED_NLU_PATH = PROJECT_ROOT / "data" / "nlu" / "learned.yml"


class LearningSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TTHC_", env_file=".env", extra="ignore")

    # Inside data/ by default, so learned examples are reviewed and committed like the rest of
    # the training data; tests point it at a temporary file.
    learned_nlu_path: Path = DEFAULT_LEARNED_NLU_PATH


def learned_nlu_path() -> Path:
    # Read on every call (no cache): tests switch the variable between cases.
    path = LearningSettings().learned_nlu_path
    return path if path.is_absolute() else PROJECT_ROOT / path
