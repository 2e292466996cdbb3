"""Engine, sessions and the declarative base shared by every domain's models."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import CursorResult, Engine, MetaData, Result, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from core.settings import get_settings

# Stable constraint names keep Alembic migrations portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Now in UTC without a zone: the store keeps naive UTC datetimes (SQLite has no zones)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:  # DB-API objects, untyped
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # the API and the action server share the file
    cursor.close()


def normalise_url(url: str) -> str:
    """A plain ``postgresql://`` (or ``postgres://``) URL names psycopg 2 in SQLAlchemy, which the
    application environment does not have: such URLs are read as psycopg 3 (``postgresql+psycopg``).
    An explicit driver is kept as given."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    # Each process (API worker, action worker) has its own pool: 5 connections + 5 overflow per
    # process stays well inside PostgreSQL's default 100 for the production profile's few workers.
    # pre_ping drops connections a restarted server closed; recycle bounds a connection's age so
    # that a proxy or firewall idle timeout never hands us a dead socket.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_recycle=1800, pool_timeout=30)


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched (the compare-and-swap checks read it).

    ``Session.execute`` is typed as returning ``Result``; for these statements it returns a
    ``CursorResult``, the only kind that knows ``rowcount``."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"rows_changed needs the result of an UPDATE or DELETE, not {type(result).__name__}")
    return result.rowcount


def database_key(session: Session) -> str:
    """The database a session works on (its URL), to key per-process caches by database."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return str(engine.url)


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.resolved_database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on any error (on the application's database
    unless another ``factory`` is given)."""
    session = (factory or get_sessionmaker())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def begin_writing(session: Session, *, lock: str | None = None) -> None:
    """Take the write lock now, for a unit of work that reads what it is about to change (an
    import, a claim, a catalogue edit).

    SQLite: inside a SAVEPOINT its reads see a snapshot; if another process (the action server, the
    API's background writers) commits before our first write, that write cannot upgrade the
    snapshot and fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT; the busy timeout
    does not apply). ``BEGIN IMMEDIATE`` waits for the lock up to the busy timeout instead, and it
    is the whole database's one write lock: every writer waits for it.

    PostgreSQL has no such global lock (READ COMMITTED, row locks). A unit of work that must not
    interleave with others of its kind names them with ``lock`` (e.g. ``CATALOGUE_LOCK``): a
    transaction-level advisory lock, released at commit or rollback, taken again freely by the
    same transaction. Without ``lock`` nothing is needed there (row locks and unique constraints
    guard the claims and counters)."""
    if lock is not None:
        hold_lock(session, lock)
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# The procedure catalogue: imports check a fingerprint of it and then write it; every writer of the
# catalogue takes this lock so that nothing changes between the check and the write.
CATALOGUE_LOCK = "catalogue"


def hold_lock(session: Session, name: str) -> None:
    """Until this transaction ends, no other transaction holding ``name`` runs (PostgreSQL's
    transaction-level advisory lock). Nothing to do on SQLite: its one write lock already makes
    every writer wait for the others."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(name)})


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` (Python's hash() varies per process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def get_session() -> Iterator[Session]:
    """A request-scoped session (a FastAPI dependency); read-mostly, so no implicit commit."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.close()
