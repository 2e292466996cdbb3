"""The production profile on real services: PostgreSQL (a fresh database), Redis (a unique key
prefix), 2 Rasa replicas, 2 action workers, 2 API workers, the fake Zalo platform.

``prod``: one stack for the whole folder, on the machine's (or provisioned) PostgreSQL and Redis.
``private_prod``: a second stack on PRIVATE PostgreSQL and Redis servers (tests/services), for the
tests that stop them. Both are started once and stopped at the end of the session."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.stack import Stack, lock_key_prefix, private_stack
from servicedesk.learning import training
from tests.databases import create_database, drop_database, redis_test_url, unique_redis_prefix
from tests.fakes import zalo as fake_zalo
from tests.services import PrivatePostgres, PrivateRedis

os.environ.setdefault("TTHC_LEARNED_NLU_PATH", str(Path(tempfile.mkdtemp(prefix="tthc-learned-")) / "learned.yml"))

BIRTH_QUESTION = "đăng ký khai sinh cần giấy tờ gì"
FEE_FOLLOW_UP = "lệ phí bao nhiêu"
BIRTH_CODE = "1.001193"


def zalo_env(url: str) -> dict[str, str]:
    return {
        **fake_zalo.stack_env(url),
        "TTHC_ZALO_WORKER_POLL_SECONDS": "0.2",
        # Fast retries: the fault tests wait for the outbox to drain after an outage.
        "TTHC_ZALO_BACKOFF_BASE_SECONDS": "0.3",
        "TTHC_ZALO_BACKOFF_MAX_SECONDS": "1",
        "TTHC_ZALO_MAX_ATTEMPTS": "1000",
        "TTHC_ZALO_INBOUND_RECOVERY_SECONDS": "3",
        # A send or an event claimed when the database went away is taken up again after this
        # (120 s by default); the fake platform answers in milliseconds, so no send is doubled.
        "TTHC_ZALO_CLAIM_TIMEOUT_SECONDS": "8",
    }


@dataclass
class ProductionStack:
    stack: Stack
    api: httpx.Client
    zalo: fake_zalo.FakeZalo
    database_url: str
    redis_url: str
    redis_prefix: str

    def say(self, sender: str, text: str) -> httpx.Response:
        return self.api.post("/api/chat", json={"sender": sender, "message": text})

    def text(self, sender: str, text: str) -> str:
        response = self.say(sender, text)
        assert response.status_code == 200, response.text
        return "\n".join(m.get("text") or "" for m in response.json()["messages"])


def _create_accounts(database_url: str) -> None:
    from sqlalchemy.orm import Session

    from core.db import make_engine
    from tests.staff.accounts import create_test_accounts

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            create_test_accounts(session)
            session.commit()
    finally:
        engine.dispose()


def _delete_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        for pattern in (f"{prefix}:*", f"{lock_key_prefix(prefix)}:*"):
            keys = list(client.scan_iter(match=pattern, count=500))
            if keys:
                client.delete(*keys)
    except redis.RedisError:
        pass
    finally:
        client.close()


@pytest.fixture(scope="session")
def model() -> Path:
    if not os.environ.get("TTHC_RASA_VENV"):
        pytest.fail("TTHC_RASA_VENV is not set: run the tests with `make test`")
    return training.ensure_model()


def _production_stack(
    tmp: Path, model: Path, database_url: str, redis_url: str
) -> Callable[[], Iterator[ProductionStack]]:
    def run() -> Iterator[ProductionStack]:
        prefix = unique_redis_prefix()
        zalo_state = fake_zalo.FakeZalo()
        zalo_server = fake_zalo.ThreadedServer(fake_zalo.create_app(zalo_state))
        zalo_server.start()
        try:
            running = private_stack(
                tmp,
                model,
                profile="production",
                rasa_replicas=2,
                action_workers=2,
                api_workers=2,
                database_url=database_url,
                redis_url=redis_url,
                redis_prefix=prefix,
            )
            _create_accounts(database_url)
            running.config.extra_env.update(zalo_env(zalo_server.url))
            running.config.extra_env["TTHC_CHAT_RATE_LIMIT"] = "100000/minute"
            running.start()
            try:
                running.wait_healthy(timeout=300)
                with httpx.Client(base_url=running.config.api_url, timeout=60) as api:
                    yield ProductionStack(running, api, zalo_state, database_url, redis_url, prefix)
            finally:
                running.stop()
                _delete_keys(redis_url, prefix)
        finally:
            zalo_server.stop()

    return run


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory, model: Path) -> Iterator[ProductionStack]:
    database = create_database("production")
    try:
        yield from _production_stack(tmp_path_factory.mktemp("prod"), model, database, redis_test_url())()
    finally:
        drop_database(database)


@pytest.fixture(scope="session")
def private_services() -> Iterator[tuple[PrivatePostgres, PrivateRedis]]:
    with PrivatePostgres() as postgres, PrivateRedis() as redis_server:
        yield postgres, redis_server


@pytest.fixture(scope="session")
def private_prod(
    tmp_path_factory: pytest.TempPathFactory, model: Path, private_services: tuple[PrivatePostgres, PrivateRedis]
) -> Iterator[ProductionStack]:
    postgres, redis_server = private_services
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres.admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("CREATE DATABASE tthc_test_faults"))
    engine.dispose()
    database = postgres.admin_url.rsplit("/", 1)[0] + "/tthc_test_faults"
    yield from _production_stack(tmp_path_factory.mktemp("private-prod"), model, database, redis_server.url)()


def health(running: ProductionStack) -> tuple[int, dict[str, Any]]:
    response = running.api.get("/api/health")
    return response.status_code, response.json()
