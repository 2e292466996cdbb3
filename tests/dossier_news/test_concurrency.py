"""Pollers of several API workers on one database (each its own connection pool), at once: a
change is recorded once and handed to the Zalo outbox once, however the claims interleave.

On PostgreSQL the compare-and-swap claims meet row locks (READ COMMITTED re-checks the WHERE of a
blocked UPDATE); on SQLite the one write lock serialises them. Either way the claim token decides
who may record, and the unique constraint on the news is the last guard.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import database.models  # noqa: F401 - every table
from core.db import Base, make_engine, utcnow
from servicedesk.dossier_news import service
from servicedesk.dossier_news.models import DossierNews, DossierSubscription
from servicedesk.dossier_news.poller import poll_round
from servicedesk.dossiers.views import DossierView
from servicedesk.zalo.models import ZaloOutboxMessage
from tests import databases
from tests.dossier_news.helpers import news_settings, view

POLLERS = 6
DOSSIERS = 12
CHANGED_AT = dt.datetime(2025, 7, 16, 8, 0, tzinfo=dt.UTC)
SETTINGS = news_settings(news_poll_seconds=1.0)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'news.sqlite3'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    url = databases.create_database("news")
    try:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
    finally:
        databases.drop_database(url)


def code(number: int) -> str:
    return f"000.00.01.H29-250710-{number:04d}"


def subscribe_all(url: str) -> None:
    """DOSSIERS Zalo citizens each following one dossier, all due now."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            for number in range(DOSSIERS):
                service.subscribe(
                    session,
                    dossier_code=code(number),
                    sender_id=f"zalo-84{number:011d}",
                    status="processing",
                    status_at=None,
                    settings=SETTINGS,
                    now=utcnow() - dt.timedelta(seconds=5),
                )
            session.commit()
    finally:
        engine.dispose()


def counts(url: str) -> tuple[int, int, list[tuple[int, int]]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            news = session.scalar(select(func.count()).select_from(DossierNews)) or 0
            rows = session.scalar(select(func.count()).select_from(ZaloOutboxMessage)) or 0
            per_subscription = session.execute(
                select(DossierNews.subscription_id, func.count()).group_by(DossierNews.subscription_id)
            ).all()
            return news, rows, [(s, n) for s, n in per_subscription]
    finally:
        engine.dispose()


def run_pollers(url: str, work: Callable[[sessionmaker[Session], int], None]) -> None:
    """``work(sessions, number)`` in POLLERS threads, each with its own engine (an API worker)."""
    start = threading.Barrier(POLLERS)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        engine = make_engine(url)
        try:
            sessions = sessionmaker(bind=engine, expire_on_commit=False)
            start.wait(timeout=30)
            work(sessions, number)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(POLLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a poller is stuck"
    if errors:
        raise errors[0]


class ChangedConnector:
    """Every dossier has moved to "approved"; answers after a short random delay."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.calls = 0

    async def lookup(self, dossier_code: str) -> DossierView | None:
        self.calls += 1
        await asyncio.sleep(self.random.uniform(0, 0.02))
        return view("supplement_required", CHANGED_AT, code=dossier_code)

    async def verify(self, dossier_code: str, last4: str) -> bool:
        return False


def test_workers_polling_at_once_record_each_change_once(database_url: str) -> None:
    subscribe_all(database_url)

    def work(sessions: sessionmaker[Session], number: int) -> None:
        connector = ChangedConnector(number)
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:  # several rounds: rows become due again after 1 s
            asyncio.run(poll_round(sessions, connector, SETTINGS))

    run_pollers(database_url, work)
    news, rows, per_subscription = counts(database_url)
    assert news == DOSSIERS and rows == DOSSIERS
    assert all(n == 1 for _, n in per_subscription)


def test_a_poller_whose_lease_ended_cannot_record_twice(database_url: str) -> None:
    """Leases of zero seconds: every poller may claim a row another is still polling. Only the
    latest claim may record, and what it finds is then no longer a change."""
    subscribe_all(database_url)
    recorded: list[str] = []
    lock = threading.Lock()

    def work(sessions: sessionmaker[Session], number: int) -> None:
        rng = random.Random(number)
        for _ in range(15):
            with sessions() as session:
                claims = service.claim_due(session, limit=DOSSIERS, lease_seconds=0.0)
            for claim in claims:
                time.sleep(rng.uniform(0, 0.01))  # the lookup
                with sessions() as session:
                    outcome = service.record_found(
                        session, claim, view("approved", CHANGED_AT, code=claim.dossier_code), SETTINGS
                    )
                with lock:
                    recorded.append(outcome.kind)

    run_pollers(database_url, work)
    news, rows, per_subscription = counts(database_url)
    assert news == DOSSIERS and rows == DOSSIERS, (news, rows, per_subscription)
    assert recorded.count("news") == DOSSIERS
    assert "lost" in recorded, "the pollers never overtook each other: the test proves nothing"
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            ended = session.scalars(select(DossierSubscription.end_reason)).all()
    finally:
        engine.dispose()
    assert set(ended) == {"finished"}
