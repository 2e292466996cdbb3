"""Fixtures of the shared-state tests: the machine's Redis under a key prefix of the test's own, a
private Redis server the test may kill and start again, a port where nothing answers, and a
PostgreSQL database of the module's own."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests import databases
from tests.services import PrivateRedis, free_port


def _answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


@pytest.fixture
def redis_url() -> str:
    url = databases.redis_test_url()
    # `make test` provisions a Redis when the machine has none (scripts/provision_services.sh):
    # a missing one is a failure, never a skip.
    assert _answers(url), f"no Redis at {url} (TTHC_TEST_REDIS_URL)"
    return url


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    import redis

    value = databases.unique_redis_prefix()
    yield value
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{value}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A redis-server of the test's own (no persistence) on a free port: killed and restarted at will."""
    with PrivateRedis() as server:
        yield server


@pytest.fixture
def closed_port_url() -> str:
    """A Redis URL where nothing listens (connections are refused at once)."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def silent_redis_url() -> Iterator[str]:
    """A Redis URL whose server accepts connections and never answers (a hung Redis)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # connections complete in the backlog; nothing is ever read or written
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        listener.close()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this module's own, with every table (dropped at the end)."""
    import database.models  # noqa: F401 - registers every table on Base.metadata
    from core.db import Base, make_engine

    url = databases.create_database("shared_state")
    try:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
    finally:
        databases.drop_database(url)
