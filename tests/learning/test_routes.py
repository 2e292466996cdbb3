"""Learning routes through the API (in-process, migrated and seeded private database): roles,
CSRF, decisions, the retrain endpoints with the fake trainer."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.deps import get_retrain
from api.learning.runtime import rasa_available
from api.rasa.model_server import RasaModelServer
from core.db import get_sessionmaker
from servicedesk.learning.retrain import RetrainConfig, RetrainService
from servicedesk.learning.training_file import read_examples
from tests.fakes.server import start_in_thread
from tests.learning.fake_rasa_server import FakeRasa
from tests.staff.conftest import login

FAKE = Path(__file__).with_name("fake_rasa.py")
OTHER_ROLES = ("agent", "analyst")


@pytest.fixture
def learned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "learned.yml"
    monkeypatch.setenv("TTHC_LEARNED_NLU_PATH", str(path))
    return path


def _csrf(client: TestClient) -> str:
    page = client.get("/staff/learning")
    assert page.status_code == 200, page.text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert match, "the base template carries the CSRF token"
    return match[1]


def _turn(text: str, **values: Any) -> int:
    from servicedesk.conversations.models import ConversationTurn

    with get_sessionmaker().begin() as session:
        turn = ConversationTurn(
            at=values.pop("at", dt.datetime(2026, 11, 21, 9, 0)),
            sender_hash="r" * 16,
            channel=values.pop("channel", "web"),
            unit_code=None,
            intent=values.pop("intent", "nlu_fallback"),
            confidence=0.2,
            procedure_code=None,
            fallback=values.pop("fallback", True),
            needs_review=True,
            text_redacted=text,
            handled_by="bot",
        )
        session.add(turn)
        session.flush()
        return turn.id


def test_the_page_and_json_are_for_editors_and_admins(staff_client: TestClient, learned: Path) -> None:
    anonymous = staff_client.get("/staff/learning", follow_redirects=False)
    assert anonymous.status_code == 303 and "/staff/login" in anonymous.headers["location"]
    assert staff_client.get("/staff/api/learning/inbox").status_code == 401
    for role in OTHER_ROLES:
        login(staff_client, role)
        assert staff_client.get("/staff/learning", follow_redirects=False).status_code == 403
        assert staff_client.get("/staff/api/learning/inbox").status_code == 403
        assert staff_client.get("/staff/api/learning/retrain").status_code == 403
    for role in ("editor", "admin"):
        login(staff_client, role)
        page = staff_client.get("/staff/learning")
        assert page.status_code == 200 and "Học từ hội thoại" in page.text
        assert "Hỏi phí, lệ phí" in page.text and "learning.js" in page.text
        assert staff_client.get("/staff/api/learning/inbox").status_code == 200


def test_an_editor_assigns_an_intent(staff_client: TestClient, learned: Path) -> None:
    turn = _turn("làm lại thẻ căn cước bị rách thì mất bao nhiêu tiền hả ad")
    login(staff_client, "editor")
    token = _csrf(staff_client)
    listed = staff_client.get("/staff/api/learning/inbox", params={"channel": "web", "reason": "fallback"}).json()
    assert turn in [i["id"] for i in listed["items"]] and listed["pending"] >= 1
    item = next(i for i in listed["items"] if i["id"] == turn)
    assert item["text"].startswith("làm lại thẻ căn cước") and item["reason"] == "fallback"

    url = f"/staff/api/learning/inbox/{turn}/intent"
    assert staff_client.post(url, json={"intent": "ask_fee"}).status_code == 403  # no CSRF token
    done = staff_client.post(url, json={"intent": "ask_fee"}, headers={"X-CSRF-Token": token})
    assert done.status_code == 200, done.text
    assert "Hỏi phí, lệ phí" in done.json()["message"]
    assert read_examples(learned) == {"ask_fee": ["làm lại thẻ căn cước bị rách thì mất bao nhiêu tiền hả ad"]}
    left = staff_client.get("/staff/api/learning/inbox").json()
    assert turn not in [i["id"] for i in left["items"]]
    again = staff_client.post(url, json={"intent": "ask_fee"}, headers={"X-CSRF-Token": token})
    assert again.status_code == 409 and "đã được" in again.json()["error"]


def test_refusals_carry_a_vietnamese_message(staff_client: TestClient, learned: Path) -> None:
    turn = _turn("KHAI TU")
    login(staff_client, "editor")
    headers = {"X-CSRF-Token": _csrf(staff_client)}
    unknown = staff_client.post(
        f"/staff/api/learning/inbox/{turn}/intent", json={"intent": "order_pizza"}, headers=headers
    )
    assert unknown.status_code == 400 and "domain.yml" in unknown.json()["error"]
    alias = staff_client.post(
        f"/staff/api/learning/inbox/{turn}/alias", json={"procedure_code": "1.000656"}, headers=headers
    )
    assert alias.status_code == 400 and "đã dùng" in alias.json()["error"]
    invalid = staff_client.post(f"/staff/api/learning/inbox/{turn}/intent", json={}, headers=headers)
    assert invalid.status_code == 422 and "error" in invalid.json()
    missing = staff_client.post("/staff/api/learning/inbox/999999/dismiss", headers=headers)
    assert missing.status_code == 400
    assert turn in [i["id"] for i in staff_client.get("/staff/api/learning/inbox").json()["items"]]


def test_an_editor_adds_a_procedure_alias_and_dismisses(staff_client: TestClient, learned: Path) -> None:
    alias_turn = _turn("làm giấy báo mất người nhà ở đâu")
    noise_turn = _turn("asdfgh")
    login(staff_client, "editor")
    headers = {"X-CSRF-Token": _csrf(staff_client)}
    hits = staff_client.get("/staff/api/learning/procedures", params={"q": "khai tử"}).json()
    assert hits and hits[0]["code"] == "1.000656"
    added = staff_client.post(
        f"/staff/api/learning/inbox/{alias_turn}/alias",
        json={"procedure_code": "1.000656", "alias": "giấy báo mất người nhà"},
        headers=headers,
    )
    assert added.status_code == 200, added.text
    assert "1.000656" in added.json()["message"]
    found = staff_client.get("/api/procedures/search", params={"q": "giấy báo mất người nhà"}).json()
    assert found[0]["code"] == "1.000656"
    dismissed = staff_client.post(f"/staff/api/learning/inbox/{noise_turn}/dismiss", headers=headers)
    assert dismissed.status_code == 200
    remaining = [i["id"] for i in staff_client.get("/staff/api/learning/inbox").json()["items"]]
    assert alias_turn not in remaining and noise_turn not in remaining


@pytest.fixture
def fake_retrain(staff_client: TestClient, tmp_path: Path, learned: Path) -> Iterator[tuple[RetrainService, FakeRasa]]:
    current = tmp_path / "models" / "tthc-0123456789abcdef.tar.gz"
    current.parent.mkdir()
    current.write_bytes(b"running model")
    fake = FakeRasa(current)
    server, thread, sock = start_in_thread(fake.app)
    data_dir = tmp_path / "var-retrain"
    data_dir.mkdir()
    config = RetrainConfig(
        data_dir=data_dir,
        learned_path=learned,
        model_server=RasaModelServer(f"http://127.0.0.1:{sock.getsockname()[1]}"),
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "FAKE_TRAIN_SLEEP": "0.2"},
        train_command=lambda data, out, name: [
            sys.executable,
            str(FAKE),
            "train",
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
        base_hash=lambda: "base",
        write_pointer=lambda model, base: None,
        model_dirs=(current.parent,),
    )
    service = RetrainService(config, get_sessionmaker())
    app = staff_client.app
    app.dependency_overrides[get_retrain] = lambda: service  # type: ignore[attr-defined]
    app.dependency_overrides[rasa_available] = lambda: True  # type: ignore[attr-defined]
    try:
        yield service, fake
    finally:
        app.dependency_overrides.pop(get_retrain, None)  # type: ignore[attr-defined]
        app.dependency_overrides.pop(rasa_available, None)  # type: ignore[attr-defined]
        server.should_exit = True
        thread.join(timeout=5)


def test_an_editor_starts_a_retrain_and_follows_it(
    staff_client: TestClient, fake_retrain: tuple[RetrainService, FakeRasa]
) -> None:
    service, fake = fake_retrain
    for role in OTHER_ROLES:
        login(staff_client, role)
        assert staff_client.post("/staff/api/learning/retrain").status_code == 403
    login(staff_client, "editor")
    headers = {"X-CSRF-Token": _csrf(staff_client)}
    assert staff_client.post("/staff/api/learning/retrain").status_code == 403  # CSRF
    started = staff_client.post("/staff/api/learning/retrain", headers=headers)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] in ("queued", "running") and job["started_by"]
    busy = staff_client.post("/staff/api/learning/retrain", headers=headers)
    assert busy.status_code == 409 and f"#{job['id']}" in busy.json()["error"]
    overview = staff_client.get("/staff/api/learning/retrain").json()
    assert overview["running"] == job["id"] and "macro-F1" in overview["gate"]
    service.wait(job["id"], timeout=30)
    finished = staff_client.get(f"/staff/api/learning/retrain/{job['id']}").json()
    assert finished["status"] == "succeeded" and finished["progress"] == 100 and finished["activated"]
    assert finished["candidate_scores"]["macro_f1"] == finished["current_scores"]["macro_f1"] == 0.9
    assert finished["stage_label"] == "Hoàn tất" and finished["status_label"] == "Đã kích hoạt"
    assert fake.model.name == finished["candidate_model"]
    overview = staff_client.get("/staff/api/learning/retrain").json()
    assert overview["running"] is None and [m["active"] for m in overview["models"]] == [True, False]
    assert staff_client.get("/staff/api/learning/retrain/999999").status_code == 404


def test_without_rasa_the_retrain_says_so(
    staff_client: TestClient, fake_retrain: tuple[RetrainService, FakeRasa]
) -> None:
    staff_client.app.dependency_overrides[rasa_available] = lambda: False  # type: ignore[attr-defined]
    login(staff_client, "editor")
    refused = staff_client.post("/staff/api/learning/retrain", headers={"X-CSRF-Token": _csrf(staff_client)})
    assert refused.status_code == 503 and "Rasa" in refused.json()["error"]
    assert staff_client.get("/staff/api/learning/retrain").json()["available"] is False
