"""Finding 11: staff pages could be framed (no X-Frame-Options, no CSP frame-ancestors) and the
session cookie is not Secure unless configured.

Now the staff side (pages and API) is never framed, carries a CSP of its own files only and is
not cached; every response says nosniff and a strict referrer policy; the citizen side (the chat
page, widget.js) stays embeddable; HSTS and the Secure cookie go together; a start without a
Secure cookie says so in the log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.staff.conftest import login
from tests.staff.fixtures import clear_app_caches

API_DIR = Path(__file__).resolve().parents[2] / "api"
STAFF_PATHS = ("/staff/login", "/staff/", "/staff/console", "/staff/api/analytics", "/staff/api/handoffs")


def _frame_ancestors(response: Any) -> str | None:
    found = re.search(r"frame-ancestors ([^;]+)", response.headers.get("content-security-policy", ""))
    return found.group(1).strip() if found else None


@pytest.mark.parametrize("path", STAFF_PATHS)
def test_finding_11_staff_pages_and_api_cannot_be_framed(staff_client: Any, path: str) -> None:
    for logged_in in (False, True):
        if logged_in:
            login(staff_client, "admin")
        response = staff_client.get(path, follow_redirects=False)
        assert response.headers["x-frame-options"] == "DENY", (path, response.status_code)
        assert _frame_ancestors(response) == "'none'"
        csp = response.headers["content-security-policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'"):
            assert directive in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/", "/widget.js", "/api/health", "/api/procedures/search?q=khai+sinh"])
def test_finding_11_the_citizen_side_stays_embeddable(staff_client: Any, path: str) -> None:
    response = staff_client.get(path)
    assert "x-frame-options" not in response.headers
    assert _frame_ancestors(response) is None
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_finding_11_staff_static_files_stay_cacheable(staff_client: Any) -> None:
    response = staff_client.get("/staff/static/staff.js")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get("cache-control") != "no-store"


def test_finding_11_staff_templates_need_no_inline_script_or_style() -> None:
    """The CSP allows only the pages' own files: an inline script, style or handler would break."""
    inline = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|<style[\s>]|\sstyle=\"|\son[a-z]+=\"", re.IGNORECASE)
    templates = [path for path in API_DIR.glob("*/templates/*.html")]
    assert templates
    offending = {str(path.relative_to(API_DIR)): inline.findall(path.read_text()) for path in templates}
    assert {name: found for name, found in offending.items() if found} == {}


@pytest.fixture
def app_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def make(**env: str) -> Any:
        from api.main import create_app

        monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        clear_app_caches()
        return create_app()

    yield make
    clear_app_caches()


def test_finding_11_hsts_only_with_the_secure_cookie(app_with: Any) -> None:
    plain = TestClient(app_with(TTHC_STAFF_COOKIE_SECURE="false")).get("/")
    assert "strict-transport-security" not in plain.headers
    secure = TestClient(app_with(TTHC_STAFF_COOKIE_SECURE="true")).get("/")
    assert secure.headers["strict-transport-security"].startswith("max-age=31536000")


def test_finding_11_a_start_without_a_secure_cookie_is_logged(app_with: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        app_with(TTHC_STAFF_COOKIE_SECURE="false")
    assert any("not Secure" in record.getMessage() for record in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        app_with(TTHC_STAFF_COOKIE_SECURE="true")
    assert not any("not Secure" in record.getMessage() for record in caplog.records)


def test_finding_11_the_session_cookie_is_secure_when_configured(
    staff_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTHC_STAFF_COOKIE_SECURE", "true")
    from core.settings import get_settings

    get_settings.cache_clear()
    staff_client.base_url = "https://testserver"  # Secure cookies only travel over HTTPS
    response = login(staff_client, "agent")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("tthc_staff="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
