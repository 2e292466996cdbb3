"""The widget's data-unit reaches the actions as ``unit_code`` in the message's metadata (resolved
once per text and remembered), and nothing else changes in what Rasa is told."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.chat import service as chat
from api.deps import AppContext
from core.settings import Settings
from tests.notices.conftest import BEN_THANH, PHAM_NGU_LAO

SENDER = "web-3f2b8c1e-9d4a-4b6e-8f1a-2c3d4e5f6a7c"
CLIENT = "203.0.113.9"


@pytest.fixture
def app_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The application's database (a private SQLite file) with the small map of tests/notices."""
    import database.models  # noqa: F401 - every table
    from core import db
    from core.settings import get_settings
    from tests.notices.conftest import _CURRENT, _unit

    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    for cached in (get_settings, db.get_engine, db.get_sessionmaker):
        cached.cache_clear()
    chat.clear_unit_cache()
    db.Base.metadata.create_all(db.get_engine())
    with db.session_scope() as session:
        session.add_all(_unit(*row, "current") for row in _CURRENT)
        session.add(
            _unit(PHAM_NGU_LAO, "Phường Phạm Ngũ Lão", "phuong", "commune", "79", "Thành phố Hồ Chí Minh", "former")
        )
        session.flush()
        from knowledge.units.models import AdministrativeUnit, UnitSuccession

        former = session.query(AdministrativeUnit).filter_by(code=PHAM_NGU_LAO, status="former").one()
        current = session.query(AdministrativeUnit).filter_by(code=BEN_THANH, status="current").one()
        session.add(UnitSuccession(former_id=former.id, current_id=current.id, partial=False))
    yield
    chat.clear_unit_cache()
    db.get_engine().dispose()
    for cached in (get_settings, db.get_engine, db.get_sessionmaker):
        cached.cache_clear()


class FakeRasa:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/webhooks/rest/webhook":
            self.sent.append(json.loads(request.content))
            return httpx.Response(200, json=[{"recipient_id": SENDER, "text": "Dạ"}])
        return httpx.Response(200, json={"sender_id": SENDER, "events": []})


def _metadata(unit: str | None) -> dict[str, Any]:
    rasa = FakeRasa()
    settings = Settings(rasa_url="http://rasa.test", rasa_timeout_seconds=5.0)

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(rasa)) as http:
            context = AppContext.create(settings, http)
            await chat.handle_citizen_message(
                context, sender=SENDER, channel="web", text="nộp hồ sơ ở đâu", client=CLIENT, unit=unit
            )
            await asyncio.gather(*context.background_tasks, return_exceptions=True)

    asyncio.run(run())
    [body] = rasa.sent
    return body["metadata"]


@pytest.mark.parametrize("unit", ["Phường Bến Thành", BEN_THANH, "Phường Phạm Ngũ Lão", PHAM_NGU_LAO])
def test_the_page_unit_reaches_rasa_as_an_official_code(app_store: None, unit: str) -> None:
    metadata = _metadata(unit)
    assert metadata["unit_code"] == BEN_THANH
    assert metadata["channel"] == "web" and set(metadata) == {"channel", "client", "unit_code"}


@pytest.mark.parametrize("unit", [None, "Xã Minh Họa", "99999"])
def test_no_unit_code_when_the_page_names_none(app_store: None, unit: str | None) -> None:
    assert set(_metadata(unit)) == {"channel", "client"}


def test_each_unit_text_is_resolved_once(app_store: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []
    resolve = chat.official_unit_code

    def counting(session: Any, text: str | None) -> str | None:
        calls.append(text)
        return resolve(session, text)

    monkeypatch.setattr(chat, "official_unit_code", counting)
    for _ in range(3):
        assert _metadata("Phường Bến Thành")["unit_code"] == BEN_THANH
    assert calls == ["Phường Bến Thành"]


def test_message_metadata_keeps_its_shape_without_a_unit() -> None:
    assert set(chat.message_metadata("zalo", "123")) == {"channel", "client"}
    assert chat.message_metadata("web", "1.2.3.4", BEN_THANH)["unit_code"] == BEN_THANH
