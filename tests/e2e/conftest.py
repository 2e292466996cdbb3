"""The real stack for end-to-end tests: a trained Rasa model (cached by content hash), the Rasa
server, the action server and the API, on free ports with a private data directory."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cli.stack import Stack, private_stack
from servicedesk.learning import training
from tests.fakes import zalo as fake_zalo
from tests.staff.accounts import create_accounts_in

# The stack's API writes learned examples (the console's learning inbox) here, never into the
# repository's data/nlu/learned.yml. Set before the stack starts; tests/browser/test_learning.py
# reads the same variable.
os.environ.setdefault("TTHC_LEARNED_NLU_PATH", str(Path(tempfile.mkdtemp(prefix="tthc-learned-")) / "learned.yml"))

# tests/browser imports these fixtures too; both must share one running stack.
_running: dict[str, Stack] = {}
# The stack's Zalo channel talks to a fake Zalo platform (the real one is unreachable from tests).
_zalo: dict[str, fake_zalo.FakeZalo] = {}


def _zalo_env(url: str) -> dict[str, str]:
    return {
        **fake_zalo.stack_env(url),
        "TTHC_ZALO_WORKER_POLL_SECONDS": "0.2",
    }


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not os.environ.get("TTHC_RASA_VENV"):
        pytest.fail("TTHC_RASA_VENV is not set: run the tests with `make test`")
    if "stack" in _running:
        yield _running["stack"]
        return
    zalo_state = fake_zalo.FakeZalo()
    zalo_server = fake_zalo.ThreadedServer(fake_zalo.create_app(zalo_state))
    zalo_server.start()
    try:
        running = private_stack(tmp_path_factory.mktemp("stack-data"), training.ensure_model())
        # One synthetic officer per role (tests/staff/accounts.py) for the console and admin pages.
        create_accounts_in(str(running.config.data_dir / "tthc.sqlite3"))
        running.config.extra_env.update(_zalo_env(zalo_server.url))
        # The whole suite (and the browser tests) talks from 127.0.0.1: a limit far above the default
        # per-client one (tests/security/test_chat_rate_limit.py tests the limit itself).
        running.config.extra_env["TTHC_CHAT_RATE_LIMIT"] = "100000/minute"
        # Followed dossiers are polled every second, so a changed status reaches the widget quickly
        # (tests/browser/test_dossier_news_widget.py); production polls every 15 minutes.
        running.config.extra_env["TTHC_DOSSIER_NEWS_POLL_SECONDS"] = "1"
        running.start()
        _running["stack"] = running
        _zalo["state"] = zalo_state
        try:
            running.wait_healthy(timeout=300)
            yield running
        finally:
            _running.pop("stack", None)
            _zalo.pop("state", None)
            running.stop()
    finally:
        zalo_server.stop()


@pytest.fixture(scope="session")
def zalo_platform(stack: Stack) -> fake_zalo.FakeZalo:
    """The fake Zalo platform the stack's Zalo channel sends to (what it received: ``messages_to``)."""
    return _zalo["state"]


@pytest.fixture(scope="session")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.config.api_url, timeout=30) as client:
        yield client


class Conversation:
    """One citizen talking to the assistant through POST /api/chat."""

    def __init__(self, client: httpx.Client, sender: str) -> None:
        self.client = client
        self.sender = sender

    def say(self, message: str) -> list[dict]:
        response = self.client.post("/api/chat", json={"sender": self.sender, "message": message})
        assert response.status_code == 200, response.text
        return response.json()["messages"]

    def text(self, message: str) -> str:
        return "\n".join(m.get("text") or "" for m in self.say(message))


@pytest.fixture
def conversation(api: httpx.Client, request: pytest.FixtureRequest) -> Conversation:
    sender = "web-test-" + "".join(c if c.isalnum() else "-" for c in request.node.name)[:100]
    return Conversation(api, sender)


def documents_of(api: httpx.Client, code: str) -> list[dict]:
    response = api.get(f"/api/procedures/{code}")
    assert response.status_code == 200
    return response.json()["documents"]


__all__ = ["Conversation", "documents_of", "Path"]
