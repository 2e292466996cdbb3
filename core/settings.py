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
    # Token of Rasa's HTTP API (`rasa run --auth-token`): every call but the REST channel carries it.
    # The stack runner makes a random one per start when unset.
    rasa_token: str | None = None
    # Shared secret Rasa sends to the action server (`?token=`); random per start when unset.
    action_token: str | None = None

    # Longest citizen message any channel passes on (web widget, Zalo); longer ones are refused
    # with a Vietnamese explanation where they enter, never sent to Rasa.
    max_message_chars: int = 2000
    # Per-client limit of POST /api/chat (the `limits` library's notation, e.g. "30/minute;600/hour").
    chat_rate_limit: str = "30/minute;600/hour"
    # Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed
    # (comma-separated IPs or CIDRs). Empty: no forwarded header is believed, from anyone.
    trusted_proxies: str = ""

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
