"""When a process dies, health says which one and citizens get an apology, never a 500.

Runs after the conversation tests (file order) and restores the stack before it returns."""

from __future__ import annotations

import httpx
import pytest

from cli.stack import Stack
from tests.e2e.conftest import Conversation

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("process", "component"), [("actions", "action_server"), ("rasa", "rasa")])
def test_killed_process_gives_503_and_apology(stack: Stack, api: httpx.Client, process: str, component: str) -> None:
    stack.kill(process)
    try:
        health = api.get("/api/health")
        assert health.status_code == 503
        assert health.json()["down"] == [component]
        messages = Conversation(api, f"web-resilience-{process}").say("đăng ký khai sinh cần giấy tờ gì")
        assert len(messages) == 1
        assert "Xin lỗi" in messages[0]["text"] and "tổng đài" in messages[0]["text"]
    finally:
        stack.start(only=[process])
        stack.wait_healthy(timeout=300)
    assert api.get("/api/health").status_code == 200
