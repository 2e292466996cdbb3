"""Faults of the stores, on a production stack of its own whose PostgreSQL and Redis are PRIVATE
servers (tests/services): stopping them touches nothing else on the machine.

- PostgreSQL stopped for a few seconds: /api/health answers 503 naming the database, citizens get
  the polite apology (never a 5xx), Zalo replies wait in the outbox and, once the database is
  back, each is delivered exactly once.
- Redis stopped (the defined behaviour, docs/deployment.md): Rasa's lock store cannot take the
  conversation's lock, so each turn fails and the citizen gets the apology; /api/health names
  ``redis``; the app's own uses of Redis (rate limits, throttle, console wake-ups) fall back to
  per-process state. When Redis is back everything works and no conversation lost anything.
"""

from __future__ import annotations

import time
import uuid
from functools import partial

import pytest
from sqlalchemy import create_engine, text

from tests.channels.conftest import wait_for as wait_until
from tests.production.conftest import BIRTH_CODE, BIRTH_QUESTION, FEE_FOLLOW_UP, ProductionStack, health
from tests.production.test_flows import zalo_send, zalo_texts
from tests.services import PrivatePostgres, PrivateRedis

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
wait_for = partial(wait_until, timeout=60.0)
APOLOGY = "Xin lỗi anh/chị, hệ thống trợ lý đang gián đoạn"


def outbox_states(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT status, count(*) FROM zalo_outbox GROUP BY status")).all()
    finally:
        engine.dispose()
    return {str(status): int(count) for status, count in rows}


def recipients_waiting(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = "SELECT count(DISTINCT recipient_hash) FROM zalo_outbox WHERE status IN ('pending', 'sending')"
            return int(connection.execute(text(query)).scalar_one())
    finally:
        engine.dispose()


def wait_healthy(running: ProductionStack, timeout: float = 60.0) -> None:
    wait_until(lambda: health(running)[0] == 200, timeout=timeout, what="health 200 again")


def test_postgresql_stopped_a_few_seconds(
    private_prod: ProductionStack, private_services: tuple[PrivatePostgres, PrivateRedis]
) -> None:
    postgres, _ = private_services
    running = private_prod
    web = f"web-{uuid.uuid4()}"
    assert BIRTH_CODE in running.text(web, BIRTH_QUESTION)

    # Zalo is unreachable first: the answers to these citizens wait in the outbox (pending).
    users = [f"84{uuid.uuid4().int % 10**12:012d}" for _ in range(3)]
    running.zalo.fail_next = 1_000_000
    for user in users:
        zalo_send(running, user, BIRTH_QUESTION, f"faults-{user}-1")
    wait_for(lambda: recipients_waiting(running.database_url) >= len(users), what="the answers queued for every user")

    postgres.stop()
    try:
        status, body = health(running)
        assert status == 503 and "database" in body["down"], body
        during_outage = running.say(web, FEE_FOLLOW_UP)
        time.sleep(3)
    finally:
        postgres.start()
    running.zalo.fail_next = 0
    wait_healthy(running)

    # Delivered, each exactly once (two API workers share the outbox).
    try:
        wait_for(
            lambda: all(any(BIRTH_CODE in t for t in zalo_texts(running, u)) for u in users), what="the delayed answers"
        )
    except AssertionError as error:
        seen = {u[-4:]: zalo_texts(running, u) for u in users}
        raise AssertionError(
            f"{error}: outbox {outbox_states(running.database_url)}, delivered {seen}, attempts {running.zalo.send_attempts}"
        ) from None
    wait_for(lambda: set(outbox_states(running.database_url)) <= {"sent"}, what="an empty outbox")
    time.sleep(1.0)
    for user in users:
        texts = zalo_texts(running, user)
        assert len(texts) == len(set(texts)), texts
        assert sum(BIRTH_CODE in t for t in texts) == 1, texts
    # The web conversation carries on with its context.
    assert "khai sinh" in running.text(web, FEE_FOLLOW_UP).lower()
    # Checked last, so that the outbox is checked whatever happened to this one message.
    assert during_outage.status_code == 200, during_outage.text
    assert APOLOGY in during_outage.json()["messages"][0]["text"]


def test_redis_stopped_degrades_then_recovers(
    private_prod: ProductionStack, private_services: tuple[PrivatePostgres, PrivateRedis]
) -> None:
    _, redis_server = private_services
    running = private_prod
    web = f"web-{uuid.uuid4()}"
    assert BIRTH_CODE in running.text(web, BIRTH_QUESTION)

    redis_server.stop()
    try:
        status, body = health(running)
        assert status == 503 and body["down"] == ["redis"], body
        # Rasa cannot lock the conversation: the turn fails, the citizen gets the apology.
        for _ in range(2):
            response = running.say(web, FEE_FOLLOW_UP)
            assert response.status_code == 200, response.text
            assert APOLOGY in response.json()["messages"][0]["text"]
        # The pages that need no conversation still answer (the rate limit falls back to memory).
        assert running.api.get("/api/procedures/1.001193").status_code == 200
    finally:
        redis_server.start()
    wait_healthy(running)
    # Nothing lost: the conversation still knows the procedure.
    answer = running.text(web, FEE_FOLLOW_UP)
    assert "khai sinh" in answer.lower() and APOLOGY not in answer
