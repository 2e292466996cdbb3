"""The retrain job with a fake trainer (tests/learning/fake_rasa.py prints Rasa's lines) and a fake
of Rasa's two HTTP endpoints: stages and progress, the not-worse gate, failures, one job at a
time, recovery after a restart. The real `rasa train` + evaluation + activation runs in
tests/e2e/test_retrain.py."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.rasa.model_server import RasaModelServer
from core.audit.actor import Actor
from core.audit.models import AuditEntry
from core.db import Base, make_engine
from servicedesk.learning.models import RetrainJob, TrainedModel
from servicedesk.learning.retrain import RUNNER_ID, RetrainConfig, RetrainConflict, RetrainService
from servicedesk.learning.training import ACTIVE_MODEL_POINTER, write_active_model
from servicedesk.learning.training_file import add_example
from tests.fakes.server import start_in_thread
from tests.learning.fake_rasa_server import FakeRasa

FAKE = Path(__file__).with_name("fake_rasa.py")


@pytest.fixture
def factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    import database.models  # noqa: F401 - every table

    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path / "var"))
    from core.settings import get_settings

    get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    Base.metadata.create_all(engine)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()
    get_settings.cache_clear()


@pytest.fixture
def current_model(tmp_path: Path) -> Path:
    path = tmp_path / "cache" / "models" / "tthc-0123456789abcdef.tar.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"the model the server runs")
    return path


@pytest.fixture
def rasa(current_model: Path) -> Iterator[tuple[FakeRasa, str]]:
    fake = FakeRasa(current_model)
    server, thread, sock = start_in_thread(fake.app)
    yield fake, f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=5)


def _config(tmp_path: Path, rasa_url: str, current_model: Path, **env: str) -> RetrainConfig:
    data_dir = tmp_path / "var"
    data_dir.mkdir(exist_ok=True)
    return RetrainConfig(
        data_dir=data_dir,
        learned_path=tmp_path / "learned.yml",
        model_server=RasaModelServer(rasa_url),
        cwd=tmp_path,
        env={**os.environ, "FAKE_LOG": str(tmp_path / "calls.jsonl"), **env},
        train_command=lambda data, out, name: [
            sys.executable,
            str(FAKE),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            *map(str, data),
            "--out",
            str(out),
            "--fixed-model-name",
            name,
        ],
        compare_command=lambda models, out: [
            sys.executable,
            str(FAKE),
            "compare",
            *map(str, models),
            "--out",
            str(out),
        ],
        data_paths=lambda copy: [copy],
        base_hash=lambda: "base-hash-1",
        write_pointer=lambda model, base: write_active_model(data_dir, model, base),
        model_dirs=(current_model.parent,),
    )


def _scores(candidate: float, current: float) -> str:
    return json.dumps({"candidate": candidate, "current": current})


def _calls(tmp_path: Path) -> list[list[str]]:
    log = tmp_path / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _pointer(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "var" / ACTIVE_MODEL_POINTER).read_text())


def _job(factory: sessionmaker[Session], job_id: int) -> RetrainJob:
    with factory() as session:
        job = session.get(RetrainJob, job_id)
        assert job is not None
        return job


def test_a_better_model_is_trained_scored_and_activated(
    tmp_path: Path, factory: sessionmaker[Session], rasa: tuple[FakeRasa, str], current_model: Path
) -> None:
    fake, url = rasa
    add_example(tmp_path / "learned.yml", "ask_fee", "làm lại cccd bị mất thì tốn bao nhiêu")
    service = RetrainService(_config(tmp_path, url, current_model, FAKE_SCORES=_scores(0.93, 0.91)), factory)
    progress: list[int] = []
    original = service._update

    def spy(job_id: int, **values: object) -> None:
        if "progress" in values:
            progress.append(int(values["progress"]))  # type: ignore[call-overload]
        original(job_id, **values)

    service._update = spy  # type: ignore[method-assign]
    job_id = service.start(Actor("editor1"), background=False)

    job = _job(factory, job_id)
    assert (job.status, job.stage, job.progress, job.activated) == ("succeeded", "done", 100, True)
    assert "0.9300 ≥ 0.9100" in (job.message or "")
    assert job.learned_examples == 1 and job.components_done == 6 and job.components_total == 6
    assert job.candidate_scores["macro_f1"] == 0.93 and job.current_scores["macro_f1"] == 0.91
    # progress moves through the stages, never backwards, per trained component
    assert progress == sorted(progress) and progress[-1] == 100
    assert {20, 30, 40, 50, 60, 70} <= set(progress)
    # the log shows Rasa's lines, not Python warnings that may quote training examples
    assert "Finished training component 'RulePolicy'" in job.log_tail
    assert "secret text" not in job.log_tail and "\x1b[" not in job.log_tail
    # trained on the copy taken at the start; both models scored, candidate first
    train_call, compare_call = _calls(tmp_path)
    assert train_call[0] == "train" and train_call[train_call.index("--data") + 1].endswith("job-1/learned.yml")
    candidate = Path(job.candidate_path or "")
    assert compare_call[1:3] == [str(candidate), str(current_model)]
    # activated on the running server, recorded, pointer written for `make run`
    assert fake.loads == [str(candidate)] and fake.model == candidate
    assert candidate.parent == tmp_path / "var" / "models" and candidate.is_file()
    with factory() as session:
        models = {Path(m.path).name: m for m in session.scalars(select(TrainedModel))}
        assert models[candidate.name].active and not models[current_model.name].active
        assert models[candidate.name].macro_f1 == 0.93 and models[candidate.name].job_id == job_id
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions == ["learning.retrain.start", "learning.model.activate"]
    assert _pointer(tmp_path) == {"path": str(candidate), "base_hash": "base-hash-1"}


def test_an_equal_model_is_activated_tolerance_zero(
    tmp_path: Path, factory: sessionmaker[Session], rasa: tuple[FakeRasa, str], current_model: Path
) -> None:
    fake, url = rasa
    service = RetrainService(_config(tmp_path, url, current_model, FAKE_SCORES=_scores(0.91, 0.91)), factory)
    job = _job(factory, service.start(Actor("editor1"), background=False))
    assert job.status == "succeeded" and job.activated and len(fake.loads) == 1


def test_a_worse_model_is_rejected_and_the_current_one_kept(
    tmp_path: Path, factory: sessionmaker[Session], rasa: tuple[FakeRasa, str], current_model: Path
) -> None:
    fake, url = rasa
    service = RetrainService(_config(tmp_path, url, current_model, FAKE_SCORES=_scores(0.9099, 0.91)), factory)
    job = _job(factory, service.start(Actor("editor1"), background=False))
    assert (job.status, job.activated, job.progress) == ("rejected", False, 100)
    assert "kém hơn" in (job.message or "") and "0.9099 < 0.9100" in (job.message or "")
    assert fake.loads == [] and fake.model == current_model
    with factory() as session:
        active = session.scalars(select(TrainedModel).where(TrainedModel.active.is_(True))).all()
        assert [Path(m.path).name for m in active] == [current_model.name]
    assert _pointer(tmp_path)["path"] == str(current_model)


def test_the_next_job_compares_with_the_activated_candidate(
    tmp_path: Path, factory: sessionmaker[Session], rasa: tuple[FakeRasa, str], current_model: Path
) -> None:
    fake, url = rasa
    config = _config(tmp_path, url, current_model, FAKE_SCORES=_scores(0.95, 0.91))
    first = _job(factory, RetrainService(config, factory).start(Actor("editor1"), background=False))
    second = _job(factory, RetrainService(config, factory).start(Actor("editor1"), background=False))
    assert second.current_path == first.candidate_path
    assert second.status == "rejected" or second.status == "succeeded"


def test_a_training_failure_leaves_the_running_model(
    tmp_path: Path, factory: sessionmaker[Session], rasa: tuple[FakeRasa, str], current_model: Path
) -> None:
    fake, url = rasa
    service = RetrainService(_config(tmp_path, url, current_model, FAKE_TRAIN_EXIT="3"), factory)
    job = _job(factory, service.start(Actor("editor1"), background=False))
    assert job.status == "failed" and job.stage == "train" and not job.activated
    assert "mã 3" in (job.message or "") and "không thay đổi" in (job.message or "")
    assert "ValueError: fake training failure" in job.log_tail
    assert [c[0] for c in _calls(tmp_path)] == ["train"]
    assert fake.loads == []


def test_an_evaluation_failure_leaves_the_running_model(
    tmp_path: Path, factory: sessionmaker[Session], rasa: tuple[FakeRasa, str], current_model: Path
) -> None:
    fake, url = rasa
    service = RetrainService(_config(tmp_path, url, current_model, FAKE_COMPARE_EXIT="2"), factory)
    job = _job(factory, service.start(Actor("editor1"), background=False))
    assert (job.status, job.stage) == ("failed", "evaluate") and "Đánh giá" in (job.message or "")
    assert fake.loads == []


def test_a_model_the_server_refuses_fails_the_job(
    tmp_path: Path, factory: sessionmaker[Session], rasa: tuple[FakeRasa, str], current_model: Path
) -> None:
    fake, url = rasa
    fake.refuse_loads = True
    service = RetrainService(_config(tmp_path, url, current_model, FAKE_SCORES=_scores(0.95, 0.91)), factory)
    job = _job(factory, service.start(Actor("editor1"), background=False))
    assert (job.status, job.stage, job.activated) == ("failed", "activate", False)
    assert "HTTP 500" in (job.message or "") and "mô hình cũ vẫn chạy" in (job.message or "")
    with factory() as session:
        active = session.scalars(select(TrainedModel).where(TrainedModel.active.is_(True))).all()
        assert [Path(m.path).name for m in active] == [current_model.name]


def test_without_the_rasa_server_nothing_is_trained(
    tmp_path: Path, factory: sessionmaker[Session], current_model: Path
) -> None:
    service = RetrainService(_config(tmp_path, "http://127.0.0.1:9", current_model), factory)
    job = _job(factory, service.start(Actor("editor1"), background=False))
    assert job.status == "failed" and "máy chủ Rasa" in (job.message or "")
    assert _calls(tmp_path) == []


def test_an_unknown_running_model_file_is_a_clear_failure(
    tmp_path: Path, factory: sessionmaker[Session], rasa: tuple[FakeRasa, str], current_model: Path
) -> None:
    fake, url = rasa
    config = replace(_config(tmp_path, url, current_model), model_dirs=())
    job = _job(factory, RetrainService(config, factory).start(Actor("editor1"), background=False))
    assert job.status == "failed" and current_model.name in (job.message or "")


def test_a_training_that_hangs_is_stopped(
    tmp_path: Path, factory: sessionmaker[Session], rasa: tuple[FakeRasa, str], current_model: Path
) -> None:
    fake, url = rasa
    config = replace(_config(tmp_path, url, current_model, FAKE_TRAIN_SLEEP="5"), train_timeout=1.0)
    job = _job(factory, RetrainService(config, factory).start(Actor("editor1"), background=False))
    assert job.status == "failed" and "Quá thời gian" in (job.message or "")


def test_one_job_at_a_time(
    tmp_path: Path, factory: sessionmaker[Session], rasa: tuple[FakeRasa, str], current_model: Path
) -> None:
    fake, url = rasa
    service = RetrainService(_config(tmp_path, url, current_model, FAKE_TRAIN_SLEEP="0.3"), factory)
    first = service.start(Actor("editor1"))
    with pytest.raises(RetrainConflict) as refused:
        service.start(Actor("editor2"))
    assert refused.value.job_id == first and f"#{first}" in str(refused.value)
    service.wait(first, timeout=30)
    assert _job(factory, first).status == "succeeded"
    second = service.start(Actor("editor2"), background=False)
    assert _job(factory, second).status == "succeeded"


def test_a_job_left_running_by_a_stopped_api_is_failed_on_restart(
    tmp_path: Path, factory: sessionmaker[Session], rasa: tuple[FakeRasa, str], current_model: Path
) -> None:
    fake, url = rasa
    with factory.begin() as session:
        session.add(
            RetrainJob(
                status="running",
                stage="train",
                progress=40,
                started_by="editor1",
                runner_id="old-host:1:dead",
                log_tail="",
            )
        )
        session.add(
            RetrainJob(
                status="running", stage="train", progress=10, started_by="editor1", runner_id=RUNNER_ID, log_tail=""
            )
        )
    service = RetrainService(_config(tmp_path, url, current_model), factory)
    assert service.recover_stale() == 1
    stale, own = _job(factory, 1), _job(factory, 2)
    assert stale.status == "failed" and "khởi động lại" in (stale.message or "") and stale.finished_at
    assert own.status == "running"  # this process's own job is not touched
    with factory.begin() as session:
        session.get(RetrainJob, 2).status = "failed"  # type: ignore[union-attr]
    assert _job(factory, service.start(Actor("editor1"), background=False)).status == "succeeded"
