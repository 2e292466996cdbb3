"""Settings of the dossier lookup (tra cứu hồ sơ), read from TTHC_DOSSIER_* environment variables.

Kept apart from core.settings so that the secrets (bearer token, pepper) live in one small,
clearly named place. See servicedesk/dossiers/README.md for every variable.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger(__name__)

# A working default so that development and tests need no configuration. It is public (it is in
# this file), so it protects nothing: production must set TTHC_DOSSIER_PEPPER.
DEV_PEPPER = "tthc-dev-pepper-NOT-SECRET-set-TTHC_DOSSIER_PEPPER"


class DossierSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TTHC_DOSSIER_", env_file=".env", extra="ignore")

    # Where dossiers come from: "local" (our database: demo data, or dossiers synchronised into it)
    # or "http" (the provincial one-stop system, Hệ thống thông tin giải quyết TTHC cấp tỉnh).
    connector: Literal["local", "http"] = "local"
    http_base_url: str | None = Field(default=None, description="e.g. https://motcua.example.gov.vn")
    http_token: SecretStr | None = Field(default=None, description="bearer token issued by the province")
    http_timeout_seconds: float = Field(default=5.0, gt=0)
    http_max_attempts: int = Field(default=3, ge=1, description="attempts per request, retries on 5xx/timeouts")
    http_backoff_seconds: float = Field(default=0.5, ge=0, description="first retry delay, doubled each time")

    # How many wrong guesses one attacker gets, and why a stranger cannot lock the owner out: see
    # README.md ("Rate limits"). Every limit counts in fixed windows (counters.py).
    #
    # Per sender id (the conversation): failed verifications (wrong last four digits or unknown
    # code) ...
    max_failed_verifications: int = Field(default=5, ge=1)
    failed_window_minutes: int = Field(default=15, ge=1)
    # ... and lookups of any outcome.
    max_lookups: int = Field(default=20, ge=1)
    lookup_window_minutes: int = Field(default=60, ge=1)
    # Per client: the channel's verifiable identity that the bridge passes in the message metadata
    # (the client address for web, the Zalo user id), which, unlike the sender id, costs an
    # attacker real resources to change. Failed verifications across all codes ...
    max_failed_per_client: int = Field(default=20, ge=1)
    client_window_minutes: int = Field(default=24 * 60, ge=1)
    # ... and of one code from one client.
    max_failed_per_code_client: int = Field(default=10, ge=1)
    code_client_window_minutes: int = Field(default=24 * 60, ge=1)
    # Per code, from all clients together: a ceiling against guessers with many identities. Only a
    # slow-down in a short window, far above what one client can cause, and it never applies to a
    # client that has verified this code before (for trusted_client_days).
    max_failed_per_code: int = Field(default=30, ge=1)
    code_window_minutes: int = Field(default=60, ge=1)
    trusted_client_days: int = Field(default=90, ge=1)

    # Secret mixed into every hash (phones, last four digits, sender ids, codes). Keep it outside
    # the database; changing it invalidates the stored phone hashes (re-import or re-seed).
    pepper: SecretStr = SecretStr(DEV_PEPPER)

    @property
    def pepper_bytes(self) -> bytes:
        return self.pepper.get_secret_value().encode("utf-8")

    @property
    def uses_dev_pepper(self) -> bool:
        return self.pepper.get_secret_value() == DEV_PEPPER

    @property
    def attempt_retention_minutes(self) -> int:
        """How long the attempt records (DossierLookupAttempt) are kept: the longest window."""
        return max(
            self.failed_window_minutes,
            self.lookup_window_minutes,
            self.client_window_minutes,
            self.code_client_window_minutes,
            self.code_window_minutes,
        )


@lru_cache
def get_dossier_settings() -> DossierSettings:
    settings = DossierSettings()
    if settings.uses_dev_pepper:
        logger.warning("TTHC_DOSSIER_PEPPER is not set: using the public development pepper")
    return settings
