"""Atomic fixed-window counters in the database: the dossier lookup's rate limits.

Why not rows of attempts counted with SELECT COUNT(*) then an INSERT: two requests can both count
below the limit before either inserts, so a parallel burst overshoots (30 concurrent wrong guesses
counted 16 against a limit of 10). Here each limit is one row per (scope, key, window), and an
attempt adds one with ``UPDATE … SET count = count + 1 … RETURNING count``: the database
serialises the updates of a row (PostgreSQL's row lock; SQLite's write lock, taken up front with
BEGIN IMMEDIATE), so the count each request sees includes every request before it. Several limits
are reserved in one transaction; when any goes over, the whole transaction is rolled back and the
attempt counts nowhere. Rows are updated in a fixed order, so two transactions never wait for each
other in a cycle (no deadlock on PostgreSQL).

A reservation is taken before the dossier source is asked, so the check and the count are one
step; what turns out not to be a failure (the right digits, a source outage) is given back with
``release``.

Why not the ``limits`` package used for the chat rate limit: its storages are memory, Redis,
Memcached, MongoDB and etcd. These limits must hold across action-server restarts and replicas
with only the application's database, and must reserve several keys in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import begin_writing
from servicedesk.dossiers.connectors import SessionScope
from servicedesk.dossiers.models import DossierLookupCounter

# Windows are aligned on this instant (naive UTC, as everything stored): a 24-hour window starts
# at 00:00 UTC (07:00 in Vietnam), a 15-minute one at :00, :15, :30, :45.
EPOCH = dt.datetime(2000, 1, 1)


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` counted attempts per fixed window of ``window`` for one key of a scope."""

    scope: str  # what is counted, e.g. "client-failed"
    key: str  # a keyed hash (never a sender id, client address or code)
    limit: int
    window: dt.timedelta

    def window_start(self, now: dt.datetime) -> dt.datetime:
        size = int(self.window.total_seconds())
        elapsed = int((_naive_utc(now) - EPOCH).total_seconds())
        return EPOCH + dt.timedelta(seconds=elapsed - elapsed % size)


@dataclass(frozen=True)
class Hit:
    """A limit's counter after this attempt."""

    limit: Limit
    window_start: dt.datetime  # naive UTC
    count: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit.limit - self.count)

    def retry_after(self, now: dt.datetime) -> dt.timedelta:
        """Until this window ends (when the counter starts again from zero)."""
        return self.window_start + self.limit.window - _naive_utc(now)


@dataclass(frozen=True)
class Reservation:
    """Every limit was below its ceiling; one attempt is now counted in each."""

    hits: tuple[Hit, ...]

    def hit(self, scope: str) -> Hit | None:
        return next((h for h in self.hits if h.limit.scope == scope), None)


@dataclass(frozen=True)
class Refusal:
    """A limit was reached; nothing was counted. ``hit`` is the first exceeded limit, in the
    order the limits were given."""

    hit: Hit


class CounterStore:
    def __init__(self, session_scope: SessionScope) -> None:
        self._scope = session_scope

    def reserve(self, limits: Sequence[Limit], now: dt.datetime) -> Reservation | Refusal:
        """Counts one attempt in every limit's current window, atomically: either all are counted
        and none is over its ceiling, or nothing is counted."""
        at = _naive_utc(now)
        with self._scope() as session:
            begin_writing(session)
            session.execute(delete(DossierLookupCounter).where(DossierLookupCounter.expires_at <= at))
            counted: dict[tuple[str, str], Hit] = {}
            for limit in sorted(limits, key=lambda item: (item.scope, item.key)):  # fixed lock order
                start = limit.window_start(at)
                count = _add(session, limit.scope, limit.key, start, start + limit.window, 1)
                counted[(limit.scope, limit.key)] = Hit(limit, start, count)
            hits = tuple(counted[(limit.scope, limit.key)] for limit in limits)
            exceeded = next((hit for hit in hits if hit.exceeded), None)
            if exceeded is not None:
                session.rollback()
                return Refusal(exceeded)
        return Reservation(hits)

    def release(self, hits: Sequence[Hit]) -> None:
        """Gives back attempts counted by ``reserve`` that turned out not to count."""
        if not hits:
            return
        with self._scope() as session:
            begin_writing(session)
            for hit in sorted(hits, key=lambda item: (item.limit.scope, item.limit.key)):
                C = DossierLookupCounter
                session.execute(
                    update(C)
                    .where(
                        C.scope == hit.limit.scope,
                        C.key_hash == hit.limit.key,
                        C.window_start == hit.window_start,
                        C.count > 0,
                    )
                    .values(count=C.count - 1)
                )

    def mark(self, scope: str, key: str, until: dt.datetime) -> None:
        """Remembers a fact about a key (e.g. "this client verified this code") until a time."""
        with self._scope() as session:
            begin_writing(session)
            _add(session, scope, key, EPOCH, _naive_utc(until), 1)
            C = DossierLookupCounter
            session.execute(
                update(C)
                .where(C.scope == scope, C.key_hash == key, C.window_start == EPOCH)
                .values(expires_at=_naive_utc(until))
            )

    def is_marked(self, scope: str, key: str, now: dt.datetime) -> bool:
        C = DossierLookupCounter
        with self._scope() as session:
            return bool(
                session.scalar(
                    select(exists().where(C.scope == scope, C.key_hash == key, C.expires_at > _naive_utc(now)))
                )
            )


def _add(session: Session, scope: str, key: str, start: dt.datetime, expires: dt.datetime, amount: int) -> int:
    """Adds ``amount`` to a counter, creating it at zero first; returns the new count."""
    C = DossierLookupCounter
    values = {"scope": scope, "key_hash": key, "window_start": start, "count": 0, "expires_at": expires}
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(sqlite.insert(C).values(**values).on_conflict_do_nothing())
    elif dialect == "postgresql":
        session.execute(postgresql.insert(C).values(**values).on_conflict_do_nothing())
    else:  # other databases: a plain insert, and a concurrent one wins
        try:
            with session.begin_nested():
                session.add(DossierLookupCounter(**values))
        except IntegrityError:
            pass
    return int(
        session.execute(
            update(C)
            .where(C.scope == scope, C.key_hash == key, C.window_start == start)
            .values(count=C.count + amount)
            .returning(C.count)
        ).scalar_one()
    )
