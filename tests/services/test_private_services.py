"""The private servers start, answer, stop (connections refused) and start again with their data."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from tests.services import PrivatePostgres, PrivateRedis


def _select_one(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT 1")).scalar_one())
    finally:
        engine.dispose()


def test_private_postgres_stops_and_starts_again() -> None:
    with PrivatePostgres() as pg:
        assert _select_one(pg.admin_url) == 1
        pg.stop()
        with pytest.raises(OperationalError):
            _select_one(pg.admin_url)
        pg.start()
        assert _select_one(pg.admin_url) == 1
    assert not pg.root.exists()


def test_private_redis_stops_and_starts_again() -> None:
    with PrivateRedis() as server:
        client = redis.Redis.from_url(server.url, socket_timeout=1, socket_connect_timeout=1)
        assert client.ping()
        server.stop()
        with pytest.raises(redis.ConnectionError):
            client.ping()
        server.start()
        assert client.ping()
        client.close()
