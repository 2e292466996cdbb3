"""The web chat widget in a real browser: headless Chromium from Debian (/usr/bin/chromium), driven
by Playwright for Python, against the real stack (Rasa, action server, API) of tests/e2e.

The browser is never downloaded (`playwright install` is not used): scripts/install_browser.sh
installs Debian's chromium, and `make test` runs it first. Without it the tests fail, they do not skip.
"""

from __future__ import annotations

import html
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cli.stack import free_port
from core.paths import ROOT
from tests.e2e.conftest import api, stack  # noqa: F401 - the real stack, shared with tests/e2e

CHROMIUM = Path(os.environ.get("TTHC_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


def pytest_configure(config: pytest.Config) -> None:
    # Also registered in pyproject.toml; here too so that this folder runs on its own.
    config.addinivalue_line("markers", "browser: drives the web widget in headless Chromium")


# Another site that embeds the widget: a page served from another port is another origin. The API
# must allow it (TTHC_CORS_ORIGINS), so it is added here, before the session's stack starts. (A
# page faked by Playwright's routing would not do: Chromium blocks requests from an unknown address
# space to loopback, which a real commune site on a public address never meets.)
FOREIGN_PORT = free_port()
FOREIGN_ORIGIN = f"http://127.0.0.1:{FOREIGN_PORT}"
_origins = [o.strip() for o in os.environ.get("TTHC_CORS_ORIGINS", "").split(",") if o.strip()]
if "*" not in _origins and FOREIGN_ORIGIN not in _origins:
    os.environ["TTHC_CORS_ORIGINS"] = ",".join([*_origins, FOREIGN_ORIGIN])


@pytest.fixture(scope="session")
def foreign_site(site: str) -> Iterator[str]:
    """A commune page on another origin whose only link to the assistant is the one script tag.

    ``?color=...`` sets its data-color, ``?unit=...`` its data-unit."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            query = parse_qs(urlsplit(self.path).query)
            colour = html.escape(query.get("color", ["#0b5394"])[0], quote=True)
            unit = html.escape(query.get("unit", ["Xã Minh Họa"])[0], quote=True)
            page = (
                "<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>Xã Minh Họa</title></head>"
                "<body><h1>Ủy ban nhân dân xã Minh Họa</h1><p>Trang của một đơn vị khác.</p>"
                f"<script src='{site}/widget.js' data-title='Hỏi đáp thủ tục' data-unit='{unit}' "
                f"data-color='{colour}' data-position='left' defer></script></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", FOREIGN_PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{FOREIGN_ORIGIN}/xa-minh-hoa.html"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    # Module scope: while Playwright's sync API runs, its event loop counts as running in this
    # thread, so it must be stopped before other tests call asyncio.run().
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run scripts/install_browser.sh "
            "(`make test` does it) to install Debian's chromium package",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the playwright package is missing from the application environment: run `make test`",
            pytrace=False,
        )
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def site(stack: Any) -> str:  # noqa: F811 - the stack fixture imported above
    """The API's base URL, once it is known to serve the widget and its history endpoint."""
    base = stack.config.api_url
    with httpx.Client(base_url=base, timeout=10) as client:
        script = client.get("/widget.js")
        history = client.get("/api/chat/history", params={"sender": "web-00000000-0000-4000-8000-000000000000"})
    if script.status_code != 200 or history.status_code != 200:
        pytest.fail(
            "the API does not serve the widget (GET /widget.js "
            f"{script.status_code}, GET /api/chat/history {history.status_code}): "
            "api/main.py must include api.widget.routes.router",
            pytrace=False,
        )
    return base


class Browser:
    """A fresh Chromium profile (its own user-data dir) per test: nothing leaks between tests."""

    def __init__(self, playwright: Any, user_data_dir: Path, base_url: str) -> None:
        self._playwright = playwright
        self._user_data_dir = user_data_dir
        self.base_url = base_url
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    def page(self, viewport: dict[str, int] = DESKTOP, mobile: bool = False) -> Any:
        context = self._playwright.chromium.launch_persistent_context(
            str(self._user_data_dir / f"profile-{len(self.contexts)}"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=viewport,
            is_mobile=mobile,
            has_touch=mobile,
            locale="vi-VN",
            base_url=self.base_url,
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browser(playwright: Any, site: str, tmp_path: Path) -> Iterator[Browser]:
    opened = Browser(playwright, tmp_path, site)
    try:
        yield opened
    finally:
        opened.close()
    assert not opened.errors, f"JavaScript errors on the page: {opened.errors}"


@pytest.fixture
def staff_page(browser: Browser) -> Callable[[str], Any]:
    """``staff_page(role)``: a new browser profile logged in through the login form as the test
    account of ``role`` (tests/staff/accounts.py), on the staff home page."""
    from tests.staff.accounts import STAFF_PASSWORDS, STAFF_USERNAMES

    def open_as(role: str) -> Any:
        page = browser.page()
        page.goto("/staff/login")
        page.get_by_label("Tên đăng nhập").fill(STAFF_USERNAMES[role])
        page.get_by_label("Mật khẩu").fill(STAFF_PASSWORDS[role])
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url("**/staff/")
        return page

    return open_as


README_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def readme_image(screenshot: Path) -> None:
    """Copies a test's screenshot over the README's image of the same name when asked
    (``TTHC_README_IMAGES=1 make test``): a normal run leaves the repository's files alone."""
    if os.environ.get("TTHC_README_IMAGES") == "1":
        README_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, README_IMAGES / screenshot.name)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


__all__ = ["Browser", "DESKTOP", "PHONE", "readme_image"]
