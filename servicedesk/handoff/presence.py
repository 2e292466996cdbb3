"""Which officers are on duty: each open console pings (``POST /staff/api/presence``), and an
officer counts as online for ``settings.agent_online_seconds`` after their last ping.

Used to decide whether a citizen asking for a person is offered a call back
(``servicedesk.handoff.service.callback_offer_needed``). One row per officer, overwritten: no
history of who was online when is kept. Times are naive UTC, like the rest of the store.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import rows_changed, utcnow
from servicedesk.handoff.models import OfficerPresence


def _naive_utc(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        return utcnow()
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def touch(session: Session, username: str, now: dt.datetime | None = None) -> None:
    """Marks ``username`` as seen now (an update, else an insert; two workers inserting the same
    officer at once: the loser's insert is rolled back to a savepoint and it updates instead)."""
    moment = _naive_utc(now)
    changed = session.execute(
        update(OfficerPresence)
        .where(OfficerPresence.username == username)
        .values(last_seen_at=moment)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(changed):
        return
    try:
        with session.begin_nested():
            session.add(OfficerPresence(username=username, last_seen_at=moment))
    except IntegrityError:
        session.execute(
            update(OfficerPresence)
            .where(OfficerPresence.username == username)
            .values(last_seen_at=moment)
            .execution_options(synchronize_session=False)
        )


def officers_online(session: Session, *, within_seconds: int, now: dt.datetime | None = None) -> int:
    """How many officers' consoles pinged within the last ``within_seconds``."""
    since = _naive_utc(now) - dt.timedelta(seconds=within_seconds)
    return (
        session.scalar(select(func.count()).select_from(OfficerPresence).where(OfficerPresence.last_seen_at >= since))
        or 0
    )


def online_usernames(session: Session, *, within_seconds: int, now: dt.datetime | None = None) -> list[str]:
    """The officers counted by ``officers_online``, by name (for the console's header)."""
    since = _naive_utc(now) - dt.timedelta(seconds=within_seconds)
    return list(
        session.scalars(
            select(OfficerPresence.username)
            .where(OfficerPresence.last_seen_at >= since)
            .order_by(OfficerPresence.username)
        )
    )
