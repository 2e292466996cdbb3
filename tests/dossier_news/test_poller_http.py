"""Polling rounds against the fake provincial one-stop system over real HTTP (HttpConnector):
changes become news once, failures back off, a final status ends the subscription."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from servicedesk.dossier_news import service
from servicedesk.dossier_news.models import DossierNews, DossierSubscription
from servicedesk.dossier_news.poller import RoundReport, poll_round
from servicedesk.dossiers.connectors import HttpConnector
from servicedesk.zalo.models import ZaloOutboxMessage
from tests.dossier_news.helpers import CODE, WEB_SENDER, ZALO_SENDER, ZALO_USER, news_settings
from tests.fakes.provincial_one_stop import DEFAULT_TOKEN, FakeOneStop, serve, synthetic_dossier

SETTINGS = news_settings(news_poll_seconds=30.0, news_backoff_max_seconds=300.0)


@pytest.fixture(scope="module")
def one_stop() -> Iterator[tuple[FakeOneStop, str]]:
    state = FakeOneStop()
    with serve(state) as url:
        yield state, url


@pytest.fixture
def province(one_stop: tuple[FakeOneStop, str]) -> Iterator[tuple[FakeOneStop, HttpConnector]]:
    state, url = one_stop
    state.reset()
    state.add(synthetic_dossier(CODE))
    yield state, HttpConnector(url, DEFAULT_TOKEN, timeout_seconds=2, max_attempts=1, backoff_seconds=0.01)
    state.reset()


def round_now(session: Session, connector: HttpConnector) -> RoundReport:
    """Makes every subscription due (as a push would) and runs one round."""
    service.mark_due(session, [CODE, "000.00.01.H29-250710-0099"])
    sessions = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
    return asyncio.run(poll_round(sessions, connector, SETTINGS))


def test_a_followed_dossier_over_http(session: Session, province: tuple[FakeOneStop, HttpConnector]) -> None:
    state, connector = province
    for sender in (ZALO_SENDER, WEB_SENDER):
        service.subscribe(
            session, dossier_code=CODE, sender_id=sender, status="processing", status_at=None, settings=SETTINGS
        )
    session.commit()

    first = round_now(session, connector)
    assert (first.claimed, first.news) == (2, 0)  # what the citizens were shown: no news
    assert state.lookups_of(CODE) == 1  # one lookup for both citizens

    state.change_status(CODE, "CHO_BO_SUNG", note="Bổ sung bản sao sổ hộ khẩu")
    changed = round_now(session, connector)
    assert (changed.news, changed.zalo) == (2, 1)
    assert round_now(session, connector).news == 0  # polled again: nothing new

    state.fail_next = 1  # the province is down for this round (one shared lookup)
    failed = round_now(session, connector)
    assert failed.failed == 2
    subs = session.scalars(select(DossierSubscription).execution_options(populate_existing=True)).all()
    assert all(s.failures == 1 for s in subs)

    state.change_status(CODE, "DA_CO_KET_QUA")
    final = round_now(session, connector)
    assert (final.news, final.zalo) == (2, 1)
    subs = session.scalars(select(DossierSubscription).execution_options(populate_existing=True)).all()
    assert {s.end_reason for s in subs} == {"finished"} and all(s.failures == 0 for s in subs)
    assert round_now(session, connector).claimed == 0

    outbox = session.scalars(select(ZaloOutboxMessage).order_by(ZaloOutboxMessage.id)).all()
    assert [row.recipient_id for row in outbox] == [ZALO_USER, ZALO_USER]
    assert "Cần bổ sung hồ sơ" in outbox[0].payload["text"] and "sổ hộ khẩu" in outbox[0].payload["text"]
    assert "Đã có kết quả" in outbox[1].payload["text"] and "attachment" not in outbox[1].payload
    web = service.pending_web_news(session, WEB_SENDER)
    assert [item.status for item in web] == ["supplement_required", "approved"]
    assert len(session.scalars(select(DossierNews)).all()) == 4


def test_unknown_dossiers_and_a_refused_token_back_off(
    session: Session, province: tuple[FakeOneStop, HttpConnector]
) -> None:
    state, connector = province
    service.subscribe(
        session,
        dossier_code="000.00.01.H29-250710-0099",
        sender_id=ZALO_SENDER,
        status="processing",
        status_at=None,
        settings=SETTINGS,
    )
    session.commit()
    assert round_now(session, connector).failed == 1  # 404: not known (any more)
    state.token = "rotated-by-the-province"
    assert round_now(session, connector).failed == 1  # 401: ConnectorAuthError
    sub = session.scalars(select(DossierSubscription).execution_options(populate_existing=True)).one()
    assert sub.failures == 2 and sub.ended_at is None
