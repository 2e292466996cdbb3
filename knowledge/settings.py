"""Application settings, read from environment variables (see .env.example)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TTHC_", env_file=".env", extra="ignore")

    data_dir: Path = PROJECT_ROOT / "var"
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in data_dir by default")

    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_timeout_seconds: float = 20.0

    # Send the staff session cookie over HTTPS only; set true in production behind TLS.
    staff_cookie_secure: bool = False

    hotline: str = "1900 0000 (tổng đài minh họa)"
    national_portal_url: str = "https://dichvucong.gov.vn"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'tthc.sqlite3'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
