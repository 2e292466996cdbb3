"""Logging in and out: the form, its CSRF token, wrong passwords, rate limiting, sessions."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from core.db import session_scope
from servicedesk.accounts.models import StaffSession
from tests.staff.accounts import STAFF_PASSWORDS, STAFF_USERNAMES
from tests.staff.conftest import login


def form_token(client: Any, path: str = "/staff/login") -> str:
    page = client.get(path)
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def attempt(client: Any, username: str, password: str, **extra: str) -> Any:
    data = {"username": username, "password": password, "csrf_token": form_token(client), **extra}
    return client.post("/staff/login", data=data, follow_redirects=False)


def test_the_login_form_is_in_vietnamese_and_carries_a_token(staff_client: Any) -> None:
    page = staff_client.get("/staff/login")
    assert page.status_code == 200
    assert "Đăng nhập cán bộ" in page.text and 'autocomplete="current-password"' in page.text
    assert "tthc_login_csrf" in page.headers["set-cookie"]
    assert 'rel="icon"' in page.text and staff_client.get("/staff/static/favicon.svg").status_code == 200


def test_a_correct_password_opens_a_session_and_returns_to_the_page_asked_for(staff_client: Any) -> None:
    page = staff_client.get("/staff/console", follow_redirects=False)
    assert page.headers["location"] == "/staff/login?next=%2Fstaff%2Fconsole"
    done = attempt(staff_client, "TongDai ", STAFF_PASSWORDS["agent"], next="/staff/console")
    assert done.status_code == 303 and done.headers["location"] == "/staff/console"
    cookie = done.headers["set-cookie"]
    assert "tthc_staff=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert staff_client.get("/staff/console").status_code == 200


def test_next_never_leaves_the_staff_pages(staff_client: Any) -> None:
    for target in ("https://example.com/", "//example.com/staff", "/api/chat", "/staff\\..\\x"):
        done = attempt(staff_client, STAFF_USERNAMES["agent"], STAFF_PASSWORDS["agent"], next=target)
        assert done.headers["location"] == "/staff/", target


def test_wrong_password_and_unknown_user_get_the_same_answer(staff_client: Any) -> None:
    wrong = attempt(staff_client, STAFF_USERNAMES["agent"], "mat-khau-sai-1234")
    unknown = attempt(staff_client, "khong-ton-tai", "mat-khau-sai-1234")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text
        assert "tthc_staff=" not in response.headers.get("set-cookie", "")
    assert 'value="khong-ton-tai"' in unknown.text  # the username is kept, the password is not
    assert "mat-khau-sai" not in unknown.text


def test_the_form_without_its_token_is_refused(staff_client: Any) -> None:
    staff_client.get("/staff/login")
    response = staff_client.post(
        "/staff/login",
        data={"username": STAFF_USERNAMES["agent"], "password": STAFF_PASSWORDS["agent"], "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403 and "hết hạn" in response.text
    empty = attempt(staff_client, "", "")
    assert empty.status_code == 400 and "Hãy nhập tên đăng nhập và mật khẩu." in empty.text


def test_repeated_failures_lock_the_account_for_this_address_only(staff_client: Any) -> None:
    username = STAFF_USERNAMES["editor"]
    for _ in range(5):
        assert attempt(staff_client, username, "sai-mat-khau-000").status_code == 401
    locked = attempt(staff_client, username, STAFF_PASSWORDS["editor"])
    assert locked.status_code == 429
    assert "thử lại sau khoảng" in locked.text and int(locked.headers["retry-after"]) > 0
    # Other accounts are not locked by one account's failures.
    assert attempt(staff_client, STAFF_USERNAMES["agent"], STAFF_PASSWORDS["agent"]).status_code == 303


def test_a_success_clears_the_accounts_failures(staff_client: Any) -> None:
    username = STAFF_USERNAMES["analyst"]
    for _ in range(4):
        attempt(staff_client, username, "sai-mat-khau-000")
    assert attempt(staff_client, username, STAFF_PASSWORDS["analyst"]).status_code == 303
    for _ in range(4):
        attempt(staff_client, username, "sai-mat-khau-000")
    assert attempt(staff_client, username, STAFF_PASSWORDS["analyst"]).status_code == 303


def test_logout_ends_the_session_on_the_server(staff_client: Any) -> None:
    login(staff_client, "agent")
    cookie = staff_client.cookies.get("tthc_staff")
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', staff_client.get("/staff/").text).group(1)
    assert staff_client.post("/staff/logout", data={}, follow_redirects=False).status_code == 403  # no token
    done = staff_client.post("/staff/logout", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/staff/login"
    # The old cookie no longer works, even if a copy of it was kept.
    staff_client.cookies.set("tthc_staff", cookie)
    assert staff_client.get("/staff/", follow_redirects=False).status_code == 303


def test_the_database_holds_only_a_hash_of_the_session_token(staff_client: Any) -> None:
    login(staff_client, "agent")
    cookie = staff_client.cookies.get("tthc_staff")
    with session_scope() as session:
        hashes = list(session.scalars(select(StaffSession.token_hash)))
    assert hashes and cookie not in hashes


def test_logging_in_again_replaces_the_previous_session(staff_client: Any) -> None:
    login(staff_client, "agent")
    login(staff_client, "analyst")
    with session_scope() as session:
        assert len(list(session.scalars(select(StaffSession)))) == 1
    assert staff_client.get("/staff/analytics").status_code == 200
    assert staff_client.get("/staff/console", follow_redirects=False).status_code == 403
