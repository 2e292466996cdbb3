"""One real retrain on the running stack: `rasa train` on data/ plus learned examples, both models
scored on the held-out set by evaluation.compare, the candidate activated through Rasa's
``PUT /model`` because it is not worse, and the assistant answering with it. The original model
is put back afterwards so the other end-to-end tests keep the shared stack as they expect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.learning.runtime import build_config
from cli.stack import Stack
from core.audit.actor import Actor
from core.db import Base, make_engine
from servicedesk.learning import training
from servicedesk.learning.models import RetrainJob, TrainedModel
from servicedesk.learning.retrain import RetrainService
from servicedesk.learning.training_file import add_example

LEARNED = {
    "ask_fee": "làm lại thẻ căn cước bị rách thì mất bao nhiêu tiền hả ad",
    "request_human": "mình muốn được nói chuyện trực tiếp với một cán bộ tiếp dân",
}


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    import database.models  # noqa: F401 - every table

    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    Base.metadata.create_all(engine)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def _status(rasa_url: str, token: str) -> str:
    return httpx.get(f"{rasa_url}/status", params={"token": token}, timeout=10).json()["model_file"]


def _events(rasa_url: str, sender: str, token: str) -> list[dict]:
    url = f"{rasa_url}/conversations/{sender}/tracker"
    return httpx.get(url, params={"token": token}, timeout=10).json()["events"]


def test_retrain_scores_and_activates_on_the_running_rasa(
    stack: Stack, api: httpx.Client, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    rasa_url, token = stack.config.rasa_url, stack.config.rasa_token
    original = stack.config.model
    assert _status(rasa_url, token) == original.name
    learned = tmp_path / "learned.yml"
    for intent, text in LEARNED.items():
        assert add_example(learned, intent, text).added
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    config = build_config(
        data_dir=data_dir, learned=learned, rasa_url=rasa_url, rasa_token=token, extra_model_dirs=(original.parent,)
    )
    service = RetrainService(config, factory)
    # A citizen in the middle of a conversation when the model changes (bot/model_swap.py).
    sender = "web-test-retrain-continuity"
    assert (
        api.post("/api/chat", json={"sender": sender, "message": "cho hỏi thủ tục đăng ký khai sinh"}).status_code
        == 200
    )
    before = _events(rasa_url, sender, token)
    try:
        job_id = service.start(Actor("e2e-editor"), background=False)
        with factory() as session:
            job = session.get(RetrainJob, job_id)
            assert job is not None
            models = {Path(m.path).name: m for m in session.scalars(select(TrainedModel))}
        assert job.status == "succeeded", f"{job.status}: {job.message}\n{job.log_tail}"
        candidate = Path(job.candidate_path or "")
        # real training: every trainable component reported, learned examples counted
        assert job.components_done >= 4 and job.components_done == job.components_total
        assert job.learned_examples == 2 and job.current_path == str(original)
        # real evaluation on the held-out set, gate applied (tolerance 0)
        cand, cur = job.candidate_scores, job.current_scores
        assert cand["n"] == cur["n"] > 500
        assert cand["macro_f1"] >= cur["macro_f1"] > 0.8
        assert models[candidate.name].active and not models[original.name].active
        # the running server now answers with the candidate
        assert _status(rasa_url, token) == candidate.name
        # the conversation in progress is still there, slots included
        assert _events(rasa_url, sender, token)[: len(before)] == before
        for intent, text in LEARNED.items():
            parsed = httpx.post(
                f"{rasa_url}/model/parse", params={"token": token}, json={"text": text}, timeout=30
            ).json()
            assert parsed["intent"]["name"] == intent
        reply = api.post("/api/chat", json={"sender": "web-test-retrain", "message": "lệ phí đăng ký khai sinh"})
        assert reply.status_code == 200 and reply.json()["messages"]
        assert training.active_model(data_dir, learned, log=lambda _m: None) == candidate
    finally:
        httpx.put(
            f"{rasa_url}/model", params={"token": token}, json={"model_file": str(original)}, timeout=300
        ).raise_for_status()
        assert _status(rasa_url, token) == original.name
