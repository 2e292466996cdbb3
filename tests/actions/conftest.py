"""Unit tests of the custom actions, the way Rasa's financial-demo tests its actions: a
``rasa_sdk.Tracker`` built from a dict, a ``CollectingDispatcher``, ``action.run(...)`` called
directly (no action server, no Rasa), and the exact events and messages asserted.

The knowledge services behind the actions are real, on a private seeded SQLite database: built
once per test session (procedures, units, demo centres and dossiers), copied for each test module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.conftest import PROJECT_ROOT
from tests.staff.fixtures import application_database, clear_app_caches

DATABASE = "tthc.sqlite3"
DOMAIN: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
PREFERRED_EXTRACTOR = "VietnameseEntityExtractor"


@pytest.fixture(scope="session")
def seeded_actions_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cli.setup_db import prepare_database
    from core import db

    folder = tmp_path_factory.mktemp("actions-template")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TTHC_DATA_DIR", str(folder))
        clear_app_caches()
        try:
            prepare_database(lambda *_: None)
            db.get_engine().dispose()
        finally:
            clear_app_caches()
    return folder / DATABASE


@pytest.fixture(scope="module", autouse=True)
def actions_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This module's own copy of the seeded database, which the actions' services use (a copy of
    the session's seeded PostgreSQL template when TTHC_TEST_DATABASE=postgresql)."""
    from servicedesk.dossiers import service as dossiers

    folder = tmp_path_factory.mktemp("actions")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TTHC_DATA_DIR", str(folder))
        with application_database(request, monkeypatch, "seeded") as postgres_url:
            if postgres_url is None:
                shutil.copyfile(request.getfixturevalue("seeded_actions_database"), folder / DATABASE)
            # The dossier lookup service is process-wide; this module's is built on its database.
            monkeypatch.setattr(dossiers, "_default_service", None)
            clear_app_caches()
            try:
                yield folder / DATABASE
            finally:
                clear_app_caches()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def domain() -> dict[str, Any]:
    return DOMAIN


def entity(text: str, mention: str, kind: str, value: Any = None) -> dict[str, Any]:
    """An entity as the NLU reports it: ``mention`` found in ``text`` (offsets), with its value."""
    start = text.index(mention)
    return {
        "entity": kind,
        "value": mention if value is None else value,
        "start": start,
        "end": start + len(mention),
        "extractor": PREFERRED_EXTRACTOR,
    }


def user_event(text: str, intent: str | None = None) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}, "entities": []}}


def slot_event(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def tracker(
    text: str = "",
    *,
    intent: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    intent_ranking: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    sender_id: str = "web-actions-test",
) -> Tracker:
    """A tracker as the action server receives it: every slot of domain.yml (None unless given),
    the latest message (text, intent, entities, metadata) and the events."""
    all_slots = {name: None for name in DOMAIN["slots"]}
    all_slots.update(slots or {})
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9} if intent else {},
        "entities": entities or [],
        "intent_ranking": intent_ranking or [],
        "metadata": metadata or {},
    }
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": all_slots,
            "latest_message": latest,
            "events": events if events is not None else [user_event(text, intent)],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


def message(
    text: str | None = None, *, buttons: list[dict[str, str]] | None = None, custom: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One message in the shape ``CollectingDispatcher`` collects (what the action server sends)."""
    collected = CollectingDispatcher()
    collected.utter_message(text=text, buttons=buttons or [], custom=custom or {})
    return collected.messages[0]


def button(title: str, payload: str) -> dict[str, str]:
    return {"title": title, "payload": payload}


RATING_BUTTONS = [
    button("1 ⭐ Rất không hài lòng", '/rate_service{"rating": "1"}'),
    button("2 ⭐", '/rate_service{"rating": "2"}'),
    button("3 ⭐", '/rate_service{"rating": "3"}'),
    button("4 ⭐", '/rate_service{"rating": "4"}'),
    button("5 ⭐ Rất hài lòng", '/rate_service{"rating": "5"}'),
]
