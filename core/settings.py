"""Application settings, read from environment variables (see .env.example).

One object for every process: ``get_settings()`` is the only entry point. The bridge's own
settings use the ``TTHC_`` prefix; the concerns with many knobs of their own (the Zalo channel,
the dossier lookup) are nested sub-settings with their own prefixes (``TTHC_ZALO_``,
``TTHC_DOSSIER_``), so their variable names stay short and their secrets sit in one clearly named
place. Nothing else in the application reads ``os.environ`` for configuration.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LEARNED_NLU_PATH = PROJECT_ROOT / "data" / "nlu" / "learned.yml"

# A working default so that development and tests need no configuration. It is public (it is in
# this file), so it protects nothing: production must set TTHC_DOSSIER_PEPPER.
DEV_PEPPER = "tthc-dev-pepper-NOT-SECRET-set-TTHC_DOSSIER_PEPPER"


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "tthc-assistant"


class ZaloSettings(BaseSettings):
    """The Zalo OA channel (``TTHC_ZALO_*``)."""

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


class DossierSettings(BaseSettings):
    """The dossier lookup (tra cứu hồ sơ, ``TTHC_DOSSIER_*``); every variable is described in
    servicedesk/dossiers/README.md."""

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
    # servicedesk/dossiers/README.md ("Rate limits"). Every limit counts in fixed windows (counters.py).
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

    # Dossier news (issue 16, servicedesk/dossier_news/): how often a followed dossier is
    # polled (bounded; doubled after each failure up to news_backoff_max_seconds), how long a
    # subscription lasts, and the token a provincial system presents to POST /api/dossiers/events.
    news_poll_seconds: float = Field(default=900.0, ge=1, le=86_400)
    news_backoff_max_seconds: float = Field(default=3_600.0, ge=1, le=86_400)
    news_batch_size: int = Field(default=50, ge=1, le=1_000)
    news_subscription_days: int = Field(default=90, ge=1, le=365)
    push_token: SecretStr | None = Field(default=None, description="bearer token of the push endpoint; unset: off")

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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TTHC_", env_file=".env", extra="ignore")

    # "embedded": one process per role on SQLite, conversations in Rasa's memory (`make run`).
    # "production": PostgreSQL and Redis required, Rasa's SQL tracker store and Redis lock store,
    # replicas of every role, development secrets refused at start (docs/deployment.md).
    profile: Literal["embedded", "production"] = "embedded"

    data_dir: Path = PROJECT_ROOT / "var"
    # Ports of the three processes `make run` starts on 127.0.0.1.
    api_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in data_dir by default")

    # Caches shared between clones (Python environments, trained models), and the Rasa runtime
    # environment made by scripts/bootstrap.sh (exported by the Makefile; unset: no Rasa here).
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    rasa_venv: Path | None = None

    # Shared state of the replicas (login throttle, chat rate limit, live console wake-ups, Rasa's
    # lock store): redis://host:port/db. Unset: each process keeps its own, in memory (embedded).
    redis_url: str | None = None
    # Every key this product writes in Redis starts with it (tests use their own).
    redis_prefix: str = "tthc"

    # Seed the synthetic demo data (service centres with placeholder addresses and phones, demo
    # dossiers) with the reviewed knowledge. Unset: yes when embedded, no in production, where a
    # citizen must never be given a placeholder phone number.
    seed_demo_data: bool | None = None

    # Replicas of each role the stack runner starts (production profile; 1 each when embedded).
    rasa_replicas: int = Field(default=1, ge=1, le=32)
    action_workers: int = Field(default=1, ge=1, le=64)
    api_workers: int = Field(default=1, ge=1, le=64)

    rasa_url: str = "http://127.0.0.1:5005"
    # The Rasa replicas, comma-separated; every sender is routed to one of them by consistent
    # hashing (api/rasa/gateway.py). Empty: the single ``rasa_url``.
    rasa_urls: str = ""
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
    # Sites allowed to embed the web widget (comma-separated origins, or ``*``); empty: same origin.
    cors_origins: str = ""

    # Password of the first admin for `make staff-admin` (read once; do not keep it in .env).
    admin_password: SecretStr | None = None
    # Send the staff session cookie over HTTPS only; set true in production behind TLS.
    staff_cookie_secure: bool = False

    # GET /metrics (Prometheus): answered to loopback callers, to ``metrics_allow`` (comma-separated
    # IPs or CIDRs) and to a bearer of ``metrics_token``; refused to everyone else.
    metrics_token: SecretStr | None = None
    metrics_allow: str = ""
    # prometheus-client's own variable (not TTHC_): with several API workers each writes its
    # samples there and a scrape sums them. The stack runner sets it; unset: one process.
    prometheus_multiproc_dir: Path | None = Field(default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR")

    # Where the learning inbox writes the examples editors assign: inside data/ by default, so
    # learned examples are reviewed and committed like the rest of the training data; tests point
    # it at a temporary file. A relative path is relative to the repository.
    learned_nlu_path: Path = DEFAULT_LEARNED_NLU_PATH

    hotline: str = "1900 0000 (tổng đài minh họa)"
    # Where citizens reach the API (links in checklists sent on Zalo, printable pages). Unset:
    # http://127.0.0.1:<api_port>, right only on this machine.
    public_url: str = ""
    # When officers answer (giờ hành chính): day groups T2..T7, CN, and time ranges; groups
    # separated by ";" (servicedesk/handoff/hours.py), e.g. "T2-T6 07:30-11:30, 13:00-17:00; T7 07:30-11:30".
    office_hours: str = "T2-T6 07:30-11:30, 13:00-17:00"
    # An officer counts as on duty while their console has been open within this many seconds.
    agent_online_seconds: int = Field(default=90, ge=10, le=3_600)
    # Saved personal checklists (printable links) are kept this many days.
    checklist_retention_days: int = Field(default=180, ge=1, le=3_650)
    national_portal_url: str = "https://dichvucong.gov.vn"

    # Concerns with their own prefix, read from the environment when the settings are built.
    zalo: ZaloSettings = Field(default_factory=ZaloSettings)
    dossier: DossierSettings = Field(default_factory=DossierSettings)

    @field_validator("rasa_venv", mode="before")
    @classmethod
    def _blank_venv_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'tthc.sqlite3'}"

    @property
    def rasa_url_list(self) -> list[str]:
        """The Rasa replicas' URLs, in order (``rasa_urls``, else the one ``rasa_url``)."""
        urls = [url.strip().rstrip("/") for url in self.rasa_urls.split(",") if url.strip()]
        return urls or [self.rasa_url.rstrip("/")]

    @property
    def public_base_url(self) -> str:
        """``public_url`` without its trailing slash, else this machine's API address."""
        return self.public_url.strip().rstrip("/") or f"http://127.0.0.1:{self.api_port}"

    @property
    def is_production(self) -> bool:
        return self.profile == "production"

    @property
    def seeds_demo_data(self) -> bool:
        return self.seed_demo_data if self.seed_demo_data is not None else not self.is_production

    @property
    def learned_nlu_file(self) -> Path:
        """``learned_nlu_path``, absolute."""
        path = self.learned_nlu_path
        return path if path.is_absolute() else PROJECT_ROOT / path

    @property
    def cors_origin_list(self) -> list[str]:
        """``cors_origins`` split, trimmed, without trailing slashes; empty when unset."""
        return parse_origins(self.cors_origins)


def parse_origins(raw: str) -> list[str]:
    return [origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()]


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    if settings.dossier.uses_dev_pepper:
        logger.warning("TTHC_DOSSIER_PEPPER is not set: using the public development pepper")
    return settings
