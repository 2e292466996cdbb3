"""Recording feedback and issuing its reference number."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import begin_writing
from core.errors import InvalidError
from core.privacy import sender_hash
from servicedesk.feedback.models import FEEDBACK_KINDS, Feedback

MAX_CONTENT = 2000


class FeedbackError(InvalidError, ValueError):
    """The feedback cannot be recorded; the message is Vietnamese, for the citizen."""


def record_feedback(
    session: Session,
    *,
    sender_id: str,
    content: str,
    kind: str = "complaint",
    unit_code: str | None = None,
    unit_name: str | None = None,
    contact: str | None = None,
    channel: str = "web",
    now: dt.datetime | None = None,
) -> Feedback:
    content = " ".join(content.split())
    if len(content) < 5:
        raise FeedbackError("Nội dung phản ánh quá ngắn")
    if kind not in FEEDBACK_KINDS:
        raise FeedbackError(f"Loại phản ánh không hợp lệ: {kind}")
    now = now or dt.datetime.now()
    day = now.strftime("%Y%m%d")
    # Sequence per day, so the reference reads "PA-20261122-0007" and can be said over the phone.
    # Counted under the day's lock (SQLite's write lock; an advisory lock on PostgreSQL), so two
    # action workers recording feedback at the same moment never draw the same number.
    begin_writing(session, lock=f"feedback-reference-{day}")
    count = (
        session.scalar(select(func.count()).select_from(Feedback).where(Feedback.reference.like(f"PA-{day}-%"))) or 0
    )
    feedback = Feedback(
        reference=f"PA-{day}-{count + 1:04d}",
        kind=kind,
        content=content[:MAX_CONTENT],
        unit_code=unit_code,
        unit_name=unit_name,
        contact=(contact or None) and contact.strip()[:255],
        sender_hash=sender_hash(sender_id),
        channel=channel,
    )
    session.add(feedback)
    session.flush()
    return feedback
