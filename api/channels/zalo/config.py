"""Settings of the Zalo OA channel, read from ``TTHC_ZALO_*`` environment variables (see .env.example)."""

from __future__ import annotations

import hashlib

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


class ZaloSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TTHC_ZALO_", env_file=".env", extra="ignore")

    # Identity and secrets (developers.zalo.me → the app; the OA linked to it).
    app_id: str | None = None
    secret_key: SecretStr | None = Field(default=None, description="OA secret key: verifies webhook signatures")
    app_secret: SecretStr | None = Field(default=None, description="App secret: the secret_key header of token refresh")
    access_token: SecretStr | None = Field(default=None, description="Seeds the token table on first use")
    refresh_token: SecretStr | None = Field(default=None, description="Seeds the token table on first use")

    api_base: str = "https://openapi.zalo.me"
    oauth_base: str = "https://oauth.zaloapp.com"

    # Webhook
    signature_window_seconds: float = 300.0  # events older or newer than this are refused (replay)

    # Outgoing HTTP (message sends and token refreshes)
    http_timeout_seconds: float = 10.0

    # Outbox worker
    worker_poll_seconds: float = 1.0
    worker_concurrency: int = 4  # recipients served in parallel (one message at a time per recipient)
    worker_batch_size: int = 20
    max_attempts: int = 10  # with the backoff below: about one hour before a message is marked failed
    backoff_base_seconds: float = 10.0
    backoff_max_seconds: float = 1200.0
    backoff_jitter: float = 0.25  # each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]
    claim_timeout_seconds: float = 120.0  # a row "sending" for longer belongs to a dead worker: retried
    shutdown_grace_seconds: float = 15.0  # how long stop_outbox_worker waits for in-flight work
    retryable_error_codes: list[int] = Field(default_factory=lambda: [-32])  # Zalo "error" codes worth retrying

    # Incoming events
    inbound_recovery_seconds: float = 30.0  # an accepted event still unprocessed after this is picked up again
    inbound_max_attempts: int = 3
    retention_days: int = 30  # processed events (de-duplication keys) and sent rows are pruned after this

    # Token refresh
    refresh_wait_seconds: float = 30.0  # a refresh claimed by another process for longer is considered dead

    # Message shapes
    text_limit: int = 2000
    card_image_url: str | None = None  # optional banner image for procedure cards (list template)

    @field_validator("api_base", "oauth_base")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("app_id", "card_image_url")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return value.strip() or None

    @property
    def configured(self) -> bool:
        """The webhook can run: it needs the app id and the OA secret key."""
        return bool(self.app_id and _secret(self.secret_key))

    @property
    def missing(self) -> list[str]:
        names = []
        if not self.app_id:
            names.append("TTHC_ZALO_APP_ID")
        if not _secret(self.secret_key):
            names.append("TTHC_ZALO_SECRET_KEY")
        return names

    @property
    def can_refresh(self) -> bool:
        return bool(self.app_id and _secret(self.app_secret))

    def secret_key_value(self) -> str:
        return _secret(self.secret_key)

    def app_secret_value(self) -> str:
        return _secret(self.app_secret)

    def seed_tokens(self) -> tuple[str, str] | None:
        access, refresh = _secret(self.access_token), _secret(self.refresh_token)
        return (access, refresh) if access and refresh else None

    def seed_fingerprint(self) -> str | None:
        """Identifies the pair in the environment without storing it twice: a new pair there wins."""
        seed = self.seed_tokens()
        if seed is None:
            return None
        return hashlib.sha256(f"{seed[0]}\n{seed[1]}".encode()).hexdigest()
