"""Dossier news in the widget, in headless Chromium against the real stack: a citizen looks up a
(synthetic) dossier, agrees to be told when it changes, closes the page; the dossier changes;
when the citizen comes back, the widget shows the news once, and not again on the next visit."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db import make_engine
from servicedesk.dossier_news.models import DossierNews, DossierSubscription
from servicedesk.dossiers.models import Dossier, DossierStatusEvent
from tests.browser.conftest import Browser, readme_image
from tests.browser.test_widget import Widget

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# Demo dossier 7 (servicedesk/dossiers/demo_dossiers.yaml): received, phone ending 0007; no other
# test looks it up.
CODE = "000.00.01.DEMO-250801-0007"
LAST4 = "0007"
NEWS_LABEL = "Tin về hồ sơ"


@pytest.fixture
def stack_sessions(stack: Any) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{stack.config.data_dir / 'tthc.sqlite3'}")
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def press(widget: Widget, title: str) -> None:
    chip = widget.page.locator("tthc-chat-widget .quick button.chip:not([disabled])", has_text=title).last
    chip.wait_for()
    widget.wait_idle()
    chip.click()
    widget.wait_idle()


def change_status(sessions: sessionmaker[Session], status: str) -> list[tuple[int, str]]:
    """Moves the dossier to ``status`` (as the one-stop system would); returns what to undo."""
    with sessions.begin() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == CODE)).one()
        before = [(dossier.id, dossier.status)]
        dossier.status = status
        session.add(
            DossierStatusEvent(
                dossier_id=dossier.id, status=status, note=None, at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
            )
        )
    return before


def wait_for_news(sessions: sessionmaker[Session], sender: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as session:
            found = session.scalars(
                select(DossierNews.id)
                .join(DossierSubscription, DossierNews.subscription_id == DossierSubscription.id)
                .where(DossierSubscription.recipient == sender)
            ).first()
        if found is not None:
            return
        time.sleep(0.3)
    raise AssertionError("the poller recorded no news for the changed dossier")


def test_a_followed_dossier_change_reaches_the_widget_once(
    browser: Browser, stack_sessions: sessionmaker[Session], artifacts: Path
) -> None:
    page = browser.page()
    widget = Widget(page).open_page()
    widget.open()
    widget.ask(f"tra cứu hồ sơ {CODE}")
    widget.bot_messages.filter(has_text="4 số cuối").last.wait_for()
    widget.wait_idle()
    widget.ask(LAST4)
    press(widget, "Đồng ý nhận tin")
    widget.bot_messages.filter(has_text="em đã ghi nhận").last.wait_for()
    sender = widget.sender()
    with stack_sessions() as session:
        subscription = session.scalars(
            select(DossierSubscription).where(
                DossierSubscription.recipient == sender, DossierSubscription.ended_at.is_(None)
            )
        ).one()
        assert subscription.dossier_code == CODE and subscription.channel == "web"

    page.goto("about:blank")  # the citizen leaves; the dossier moves on meanwhile
    undo = change_status(stack_sessions, "processing")
    try:
        wait_for_news(stack_sessions, sender)

        widget = Widget(page).open_page()  # the citizen comes back
        widget.open()
        news = page.locator("tthc-chat-widget .msg.bot.news")
        news.first.wait_for()
        assert news.count() == 1
        text = news.first.text_content() or ""
        assert NEWS_LABEL in text and CODE in text and "Đang xử lý" in text, text
        page.screenshot(path=str(artifacts / "widget-dossier-news.png"))
        readme_image(artifacts / "widget-dossier-news.png")
        # Shown once: acknowledged, so the next visit does not repeat it.
        page.wait_for_function(
            "() => fetch('/api/dossiers/news?sender=' + encodeURIComponent(localStorage.getItem('tthc-widget-sender')))"
            ".then(r => r.json()).then(b => b.news.length === 0)"
        )
        widget = Widget(page).open_page()
        widget.open()
        widget.wait_idle()
        page.wait_for_timeout(500)
        assert page.locator("tthc-chat-widget .msg.bot.news").count() == 0

        widget.ask("hủy theo dõi")
        widget.bot_messages.filter(has_text="dừng gửi tin").last.wait_for()
    finally:
        with stack_sessions.begin() as session:
            for dossier_id, status in undo:
                dossier = session.get(Dossier, dossier_id)
                assert dossier is not None
                dossier.status = status
