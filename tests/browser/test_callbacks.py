"""The console's call-back list in headless Chromium against the real stack: an officer opens the
"Gọi lại" tab, sees the citizens waiting (masked numbers, due times in Vietnam time, an overdue one
marked), shows one number (audited), marks the call done (the number is erased), and filters by
unit. The call-backs are written with the service into the stack's database, as the assistant's
action would (tests/e2e covers the conversation that leads there)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core.db import make_engine
from core.privacy import sender_hash
from tests.browser.conftest import Browser, readme_image

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SCREENSHOT = "console-callbacks.png"  # also the README's image (tests/browser/conftest.readme_image)
UNIT, OTHER_UNIT = "26743", "26116"  # Phường Bến Thành, Xã Tân Phú (seeded current units)
# Synthetic numbers: none belongs to anyone.
DUE_PHONE, DUE_MASKED = "0912 000 111", "09•• ••• 111"
LATE_PHONE, LATE_MASKED = "0987.000.222", "09•• ••• 222"
DUE_SENDER = "zalo-9990001112223334445"
LATE_SENDER = "web-0c0ffee0-0000-4000-8000-00000000cb01"


def _engine(stack: Any) -> Any:
    return make_engine(f"sqlite:///{stack.config.data_dir / 'tthc.sqlite3'}")


def _seed(stack: Any) -> tuple[int, int]:
    from servicedesk.callbacks import service

    engine = _engine(stack)
    try:
        with sessionmaker(bind=engine, expire_on_commit=False).begin() as session:
            due = service.request_callback(
                session,
                sender_id=DUE_SENDER,
                channel="zalo",
                phone=DUE_PHONE,
                preferred_time="Buổi chiều",
                unit_code=UNIT,
                procedure_code="1.001193",
            )
            # Asked ten days ago for a morning that has long passed: overdue.
            late = service.request_callback(
                session,
                sender_id=LATE_SENDER,
                channel="web",
                phone=LATE_PHONE,
                preferred_time="Buổi sáng",
                unit_code=OTHER_UNIT,
                now=dt.datetime.now(dt.UTC) - dt.timedelta(days=10),
            )
            return due.id, late.id
    finally:
        engine.dispose()


def _stored(stack: Any, callback_id: int) -> tuple[str | None, str, list[str]]:
    from core.audit.models import AuditEntry
    from servicedesk.callbacks.models import CallbackRequest

    engine = _engine(stack)
    try:
        with sessionmaker(bind=engine)() as session:
            callback = session.get(CallbackRequest, callback_id)
            assert callback is not None
            actions = session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_type == "callback_request", AuditEntry.entity_id == str(callback_id))
                .order_by(AuditEntry.id)
            ).all()
            return callback.phone, callback.status, list(actions)
    finally:
        engine.dispose()


def item(console: Any, sender: str) -> Any:
    return console.locator("#callbacks li.callback-item", has_text="#" + sender_hash(sender)[:6])


def test_an_officer_calls_back_and_marks_it_done(
    stack: Any, browser: Browser, staff_page: Any, artifacts: Path
) -> None:
    due_id, late_id = _seed(stack)
    console = staff_page("agent")
    console.goto("/staff/console")
    console.locator("#presence-status", has_text="đang trực").wait_for()

    console.get_by_role("tab", name="Gọi lại").click()
    due, late = item(console, DUE_SENDER), item(console, LATE_SENDER)
    due.wait_for()
    late.wait_for()
    assert DUE_MASKED in due.text_content() and LATE_MASKED in late.text_content()
    assert "0912000111" not in console.content() and "0987000222" not in console.content()
    assert "buổi chiều" in due.locator(".callback-due").text_content()
    assert "giờ Việt Nam" in due.text_content()
    assert "Quá hạn" in late.text_content() and "Quá hạn" not in due.text_content()
    assert "overdue" in (late.get_attribute("class") or "")
    assert "quá hạn" in console.locator("#callbacks-count").text_content()
    # The list is ordered by due time: the overdue call first.
    order = [li.get_attribute("data-callback-id") for li in console.locator("#callbacks li.callback-item").all()]
    assert order.index(str(late_id)) < order.index(str(due_id))

    console.screenshot(path=str(artifacts / SCREENSHOT), full_page=True)
    readme_image(artifacts / SCREENSHOT)

    due.get_by_role("button", name="Hiện số").click()
    number = due.locator("a.phone-full")
    number.wait_for()
    assert number.text_content() == "0912000111"
    assert number.get_attribute("href") == "tel:0912000111"
    assert _stored(stack, due_id)[2] == ["callback.reveal"]

    due.get_by_label("Ghi chú cuộc gọi").fill("Đã hướng dẫn nộp hồ sơ trực tuyến")
    due.get_by_role("button", name="Đã gọi xong").click()
    due.wait_for(state="detached")
    console.locator("#callbacks-status", has_text="số điện thoại đã được xóa").wait_for()
    phone, status, actions = _stored(stack, due_id)
    assert (phone, status, actions) == (None, "done", ["callback.reveal", "callback.done"])
    console.screenshot(path=str(artifacts / "console-callbacks-done.png"), full_page=True)

    # The unit filter: another unit's call-back leaves the list, and comes back without the filter.
    console.get_by_label("Mã đơn vị (xã, phường)").fill(UNIT)
    console.get_by_role("button", name="Lọc", exact=True).click()
    late.wait_for(state="detached")
    console.get_by_role("button", name="Bỏ lọc").click()
    late.wait_for()
