"""The guards that live in the database hold between processes: each "worker" here has an engine
(a connection pool) of its own, so nothing is shared but the PostgreSQL server, as between API
workers, action workers and hosts.

- the retrain lock: one job per database, and a job of a live worker is never failed as stale;
- the Zalo token refresh: the compare-and-swap spends a refresh token once;
- the dossier lookup's counters: a parallel burst never overshoots a limit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from core.db import make_engine
from core.settings import PROJECT_ROOT, ZaloSettings
from servicedesk.learning.models import RetrainJob
from servicedesk.learning.retrain import RetrainConfig, RetrainLock, RetrainService


@pytest.fixture
def engines(postgres_url: str) -> Iterator[tuple[Engine, Engine]]:
    first, second = make_engine(postgres_url), make_engine(postgres_url)
    yield first, second
    first.dispose()
    second.dispose()


def factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def service(engine: Engine, data_dir: Path) -> RetrainService:
    """A worker's retrain service; only the lock and the job table are used here."""

    def unused(*_args: object) -> list[str]:
        raise AssertionError("not called")

    config = RetrainConfig(
        data_dir=data_dir,
        learned_path=data_dir / "learned.yml",
        model_server=None,  # type: ignore[arg-type]
        cwd=data_dir,
        env={},
        train_command=unused,
        compare_command=unused,
        data_paths=lambda _copy: [],
        base_hash=lambda: "",
        write_pointer=lambda _model, _base: None,
    )
    return RetrainService(config, factory(engine))


def test_the_retrain_lock_is_one_per_database(engines: tuple[Engine, Engine], tmp_path: Path) -> None:
    first, second = (RetrainLock(factory(engine), tmp_path) for engine in engines)
    held = first.try_hold()
    assert held is not None
    assert second.try_hold() is None
    assert first.try_hold() is None  # another thread of the same worker too
    held.release()
    again = second.try_hold()
    assert again is not None
    again.release()


def test_a_running_job_of_another_worker_is_not_stale(engines: tuple[Engine, Engine], tmp_path: Path) -> None:
    runner, other = service(engines[0], tmp_path), service(engines[1], tmp_path)
    held = runner.lock.try_hold()
    assert held is not None
    with factory(engines[0]).begin() as session:
        session.execute(delete(RetrainJob))
        job = RetrainJob(status="running", stage="train", started_by="editor1", runner_id="worker-a", log_tail="")
        session.add(job)
        session.flush()
        job_id = job.id
    try:
        assert other.recover_stale() == 0  # worker B opens the retrain page: A's job stands
        with factory(engines[1])() as session:
            assert session.scalar(select(RetrainJob.status).where(RetrainJob.id == job_id)) == "running"
    finally:
        held.release()  # worker A dies (the server drops its session's lock)
    assert other.recover_stale() == 1
    with factory(engines[1])() as session:
        assert session.scalar(select(RetrainJob.status).where(RetrainJob.id == job_id)) == "failed"


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from sqlalchemy.orm import sessionmaker
from core.db import make_engine
from servicedesk.learning.retrain import RetrainLock
lock = RetrainLock(sessionmaker(bind=make_engine(sys.argv[1])), Path(sys.argv[2]))
held = lock.try_hold()
print("held" if held else "refused", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_the_lock_of_a_killed_worker_is_released(database: str, postgres_url: str, tmp_path: Path) -> None:
    url = postgres_url if database == "postgresql" else f"sqlite:///{tmp_path / 'db.sqlite3'}"
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, url, str(tmp_path)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    engine = make_engine(url)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        lock = RetrainLock(factory(engine), tmp_path)
        assert lock.try_hold() is None
        holder.kill()
        holder.wait(timeout=10)
        for _ in range(50):  # the server notices the closed session at once, the kernel too
            held = lock.try_hold()
            if held is not None:
                held.release()
                break
            threading.Event().wait(0.1)
        else:
            raise AssertionError("the killed worker's lock was not released")
    finally:
        holder.kill()
        holder.wait(timeout=10)
        engine.dispose()


def test_the_zalo_token_is_refreshed_once_by_two_workers(engines: tuple[Engine, Engine]) -> None:
    from api.channels.zalo.client import TokenPair
    from api.channels.zalo.tokens import TokenStore

    settings = ZaloSettings(
        access_token=SecretStr("access-1"), refresh_token=SecretStr("refresh-1"), refresh_wait_seconds=10
    )
    spent: list[str] = []
    lock = threading.Lock()

    async def refresher(refresh_token: str) -> TokenPair:
        with lock:
            spent.append(refresh_token)
        await asyncio.sleep(0.3)  # Zalo takes its time: the other worker must wait, not refresh
        return TokenPair("access-2", "refresh-2", None)

    # Six workers on two pools: each its own store (its own asyncio lock), thread and event loop.
    stores = [TokenStore(settings, factory(engines[i % 2]), refresher) for i in range(6)]
    seen = asyncio.run(stores[0].current())
    results: list[tuple[str, int]] = []

    def worker(store: TokenStore) -> None:
        token = asyncio.run(store.refresh(seen.version))
        with lock:
            results.append((token.value, token.version))

    threads = [threading.Thread(target=worker, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert spent == ["refresh-1"]  # spent once: a Zalo refresh token works only once
    assert results == [("access-2", seen.version + 1)] * 6


def test_the_dossier_counters_hold_a_parallel_burst_from_two_workers(engines: tuple[Engine, Engine]) -> None:
    from servicedesk.dossiers.connectors import session_scope_for
    from servicedesk.dossiers.counters import CounterStore, Limit, Reservation

    stores = [CounterStore(session_scope_for(factory(engine))) for engine in engines]
    limit = Limit(scope="client-failed", key="shared-state-test", limit=10, window=dt.timedelta(minutes=15))
    now = dt.datetime.now(dt.UTC)
    outcomes: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(30)

    def attempt(store: CounterStore) -> None:
        start.wait()
        outcome = isinstance(store.reserve([limit], now), Reservation)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(stores[i % 2],)) for i in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 30 and outcomes.count(True) == 10
