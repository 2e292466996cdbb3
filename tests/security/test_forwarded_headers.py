"""Finding 4: login throttling was bypassed with X-Forwarded-For. After 5 failures the 6th try was
refused, but the same login with another X-Forwarded-For succeeded: uvicorn believes forwarded
headers from 127.0.0.1 by default, so any local client (or a proxy passing the header through)
chose the address the throttle counted.

Now the app believes forwarded headers only from the proxies in TTHC_TRUSTED_PROXIES (none by
default), and the stack starts uvicorn so that it does not rewrite the address before the app.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from cli.stack import Stack, StackConfig, free_port
from tests.staff.accounts import STAFF_PASSWORDS, STAFF_USERNAMES
from tests.staff.fixtures import DATABASE, clear_app_caches

USERNAME = STAFF_USERNAMES["editor"]
PASSWORD = STAFF_PASSWORDS["editor"]


def _attempt(client: Any, password: str, forwarded_for: str | None = None) -> Any:
    form = client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(
        "/staff/login",
        data={"username": USERNAME, "password": password, "csrf_token": token.group(1)},
        headers=headers,
        follow_redirects=False,
    )


def _data_dir(seeded_staff_database: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(seeded_staff_database, data_dir / DATABASE)
    return data_dir


@pytest.fixture
def running_api(seeded_staff_database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The API alone, started by the stack's own command line (real uvicorn on loopback)."""
    monkeypatch.setenv("TTHC_RASA_VENV", os.environ.get("TTHC_RASA_VENV") or str(tmp_path))  # Rasa is not started
    monkeypatch.delenv("TTHC_TRUSTED_PROXIES", raising=False)
    clear_app_caches()  # the settings are read once per process: read these
    config = StackConfig(
        model=tmp_path / "no-model.tar.gz",
        data_dir=_data_dir(seeded_staff_database, tmp_path),
        api_port=free_port(),
        rasa_port=free_port(),
        action_port=free_port(),
        echo=False,
        extra_env={"TTHC_LEARNED_NLU_PATH": str(tmp_path / "learned.yml")},
    )
    stack = Stack(config)
    stack.start(only=["api"])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{config.api_url}/staff/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the API did not start; see {config.data_dir / 'logs' / 'api.log'}")
            time.sleep(0.3)
        yield config.api_url
    finally:
        stack.stop()


def test_finding_4_another_forwarded_for_does_not_escape_the_throttle(running_api: str) -> None:
    with httpx.Client(base_url=running_api, timeout=10) as client:
        for _ in range(5):
            assert _attempt(client, "sai-mat-khau-000").status_code == 401
        assert _attempt(client, PASSWORD).status_code == 429
        for forged in ("203.0.113.7", "198.51.100.1, 203.0.113.8"):
            refused = _attempt(client, PASSWORD, forwarded_for=forged)
            assert refused.status_code == 429, f"X-Forwarded-For {forged!r} escaped the throttle"
            assert "tthc_staff=" not in refused.headers.get("set-cookie", "")


@pytest.fixture
def app_behind(seeded_staff_database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``app_behind(trusted)``: the app in process with TTHC_TRUSTED_PROXIES=trusted."""
    from api.main import create_app

    monkeypatch.setenv("TTHC_DATA_DIR", str(_data_dir(seeded_staff_database, tmp_path)))
    monkeypatch.setenv("TTHC_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("TTHC_ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("TTHC_LEARNED_NLU_PATH", str(tmp_path / "learned.yml"))

    def make(trusted: str) -> Any:
        monkeypatch.setenv("TTHC_TRUSTED_PROXIES", trusted)
        clear_app_caches()
        return create_app()

    yield make
    clear_app_caches()


def test_finding_4_an_untrusted_peer_cannot_choose_its_address(app_behind: Any) -> None:
    app = app_behind("10.0.0.2")
    with TestClient(app, client=("192.0.2.50", 41000)) as client:
        for n in range(5):
            assert _attempt(client, "sai-mat-khau-000", forwarded_for=f"198.51.100.{n}").status_code == 401
        assert _attempt(client, PASSWORD, forwarded_for="198.51.100.99").status_code == 429


def test_finding_4_a_trusted_proxy_is_believed(app_behind: Any) -> None:
    app = app_behind("10.0.0.0/8, 192.168.1.1")
    with TestClient(app, client=("10.0.0.2", 41000)) as proxy:
        for _ in range(5):
            assert _attempt(proxy, "sai-mat-khau-000", forwarded_for="198.51.100.20").status_code == 401
        # That citizen is throttled, whatever the proxy's own address...
        assert _attempt(proxy, PASSWORD, forwarded_for="198.51.100.20").status_code == 429
        # ... and a spoofed entry the client put before it does not help (the proxy appends the peer).
        assert _attempt(proxy, PASSWORD, forwarded_for="203.0.113.9, 198.51.100.20").status_code == 429
        # Another citizen behind the same proxy is not.
        assert _attempt(proxy, PASSWORD, forwarded_for="198.51.100.21").status_code == 303


def test_finding_4_a_malformed_proxy_setting_stops_the_start(app_behind: Any) -> None:
    for wrong in ("*", "localhost", "10.0.0.300"):
        with pytest.raises(ValueError, match="TTHC_TRUSTED_PROXIES"):
            app_behind(wrong)
