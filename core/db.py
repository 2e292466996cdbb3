"""Engine, sessions and the declarative base shared by every domain's models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import CursorResult, Engine, MetaData, Result, create_engine, event
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


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_engine(url, pool_pre_ping=True)


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


def begin_writing(session: Session) -> None:
    """Take SQLite's write lock now, for a unit of work that reads what it is about to change
    inside a savepoint (an import, a claim).

    Inside a SAVEPOINT, SQLite's reads see a snapshot; if another process (the action server, the
    API's background writers) commits before our first write, that write cannot upgrade the
    snapshot and fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT; the busy timeout
    does not apply). ``BEGIN IMMEDIATE`` waits for the lock up to the busy timeout instead.
    Nothing to do on other databases, or when this connection is already in a transaction."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def get_session() -> Iterator[Session]:
    """A request-scoped session (a FastAPI dependency); read-mostly, so no implicit commit."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.close()
