"""An editor clears the learning inbox in headless Chromium: assigns a message to an intent and
sees it leave the inbox; the retrain panel shows the gate. Real stack (tests/e2e)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from core.db import make_engine
from servicedesk.learning.training_file import read_examples

pytestmark = pytest.mark.browser

# The stack's API writes learned examples here, never into the repository's data/nlu/learned.yml.
# Set at collection, before the session's stack starts (as tests/browser/conftest.py does for CORS).
_LEARNED = Path(
    os.environ.setdefault("TTHC_LEARNED_NLU_PATH", str(Path(tempfile.mkdtemp(prefix="tthc-learned-")) / "learned.yml"))
)
MESSAGE = "cho em hỏi làm lại giấy khai sinh bản sao mất hết bao nhiêu tiền vậy ạ"


def _add_inbox_message(stack: Any, text: str) -> int:
    from servicedesk.conversations.models import ConversationTurn

    engine = make_engine(f"sqlite:///{stack.config.data_dir / 'tthc.sqlite3'}")
    try:
        with sessionmaker(bind=engine).begin() as session:
            turn = ConversationTurn(
                at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                sender_hash="browser-test",
                channel="web",
                unit_code=None,
                intent="nlu_fallback",
                confidence=0.21,
                procedure_code=None,
                fallback=True,
                needs_review=True,
                text_redacted=text,
                handled_by="bot",
            )
            session.add(turn)
            session.flush()
            return turn.id
    finally:
        engine.dispose()


def test_editor_assigns_an_inbox_message_to_an_intent(staff_page: Any, stack: Any, artifacts: Path) -> None:
    turn_id = _add_inbox_message(stack, MESSAGE)
    page = staff_page("editor")
    page.goto("/staff/learning")
    row = page.locator(f"tr.inbox-row[data-id='{turn_id}']")
    row.wait_for()
    assert MESSAGE in row.inner_text()
    assert "Không hiểu" in row.inner_text()
    page.locator("p.learning-gate").wait_for()
    assert "không thấp hơn mô hình đang chạy" in page.locator("p.learning-gate").inner_text()

    row.locator("select.inbox-intent").select_option("ask_fee")
    row.locator("button.inbox-assign").click()
    page.locator("#inbox-status", has_text="Hỏi phí, lệ phí").wait_for()
    row.wait_for(state="detached")
    page.screenshot(path=str(artifacts / "learning-inbox-assigned.png"), full_page=True)

    assert MESSAGE in read_examples(_LEARNED).get("ask_fee", [])
    # gone for good: a reload does not bring it back
    page.reload()
    page.locator("#inbox-pending").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"tr.inbox-row[data-id='{turn_id}']").count() == 0
