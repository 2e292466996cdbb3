"""Settings of the dossier lookup (tra cứu hồ sơ), read from TTHC_DOSSIER_* environment variables.

Kept apart from knowledge.settings so that the secrets (bearer token, pepper) live in one small,
clearly named place. See knowledge/dossiers/README.md for every variable.
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

    # Per sender: failed verifications (wrong last four digits or unknown code) ...
    max_failed_verifications: int = Field(default=5, ge=1)
    failed_window_minutes: int = Field(default=15, ge=1)
    # ... and lookups of any outcome.
    max_lookups: int = Field(default=20, ge=1)
    lookup_window_minutes: int = Field(default=60, ge=1)
    # Per dossier code, across all senders: sender ids are chosen by the client (Rasa REST channel),
    # so per-sender limits alone cannot stop one code's 10,000 possible last-four digits being tried.
    max_failed_per_code: int = Field(default=10, ge=1)
    code_lock_minutes: int = Field(default=24 * 60, ge=1)

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
        """How long lookup attempts are kept: the longest window that reads them."""
        return max(self.failed_window_minutes, self.lookup_window_minutes, self.code_lock_minutes)


@lru_cache
def get_dossier_settings() -> DossierSettings:
    settings = DossierSettings()
    if settings.uses_dev_pepper:
        logger.warning("TTHC_DOSSIER_PEPPER is not set: using the public development pepper")
    return settings
