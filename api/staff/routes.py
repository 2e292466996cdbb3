"""The staff side's own pages: login and logout, the home page, accounts and the audit log
(admins). The other staff pages live with their domains (console, admin, learning, analytics)."""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import AdminUser, ContextDep, SessionDep, StaffUser
from api.metrics import count_login_failure
from api.security.proxies import client_address
from api.staff.security import (
    SESSION_COOKIE,
    Role,
    StaffPrincipal,
)
from api.staff.templating import render
from core.audit import service as audit
from core.db import session_scope
from core.settings import get_settings
from servicedesk.accounts import service as accounts
from servicedesk.accounts.roles import ROLE_LABELS

router = APIRouter(prefix="/staff", include_in_schema=False)

LOGIN_CSRF_COOKIE = "tthc_login_csrf"

WRONG_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."
NOTICES = {
    "created": "Đã tạo tài khoản.",
    "updated": "Đã lưu thay đổi của tài khoản.",
    "unchanged": "Không có thay đổi nào.",
    "password": "Đã đặt lại mật khẩu; tài khoản phải đăng nhập lại.",
}


def _safe_next(target: str | None) -> str:
    # Only a staff page of this site: an open redirect would make phishing links look genuine.
    if target and target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff/"


def _login_page(
    request: Request, *, next_url: str, username: str = "", error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    # Double-submit token for the login form itself (there is no session yet to hold one).
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "staff/templates/login.html",
        None,
        status_code=status_code,
        login_csrf=token,
        next=next_url,
        username=username,
        error=error,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/staff/login",
        secure=get_settings().staff_cookie_secure,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query name
    # Shown even to a logged-in officer: logging in again (as another account) replaces the session.
    return _login_page(request, next_url=_safe_next(next))


def _log_in(username: str, password: str, previous_token: str) -> accounts.OpenedSession | None:
    with session_scope() as session:
        user = accounts.authenticate(session, username, password)
        if user is None:
            return None
        accounts.close_session(session, previous_token)  # logging in again ends the old session
        return accounts.open_session(session, user)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    context: ContextDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/staff/",  # noqa: A002 - the form field's name
) -> Response:
    target = _safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_page(
            request,
            next_url=target,
            username=username,
            status_code=403,
            error="Trang đăng nhập đã hết hạn. Vui lòng nhập lại.",
        )
    if not username.strip() or not password:
        return _login_page(
            request,
            next_url=target,
            username=username,
            status_code=400,
            error="Hãy nhập tên đăng nhập và mật khẩu.",
        )
    address = client_address(request)  # resolved through trusted proxies only (api/security/proxies.py)
    throttle = context.login_throttle  # one per app (api/deps.py)
    # In a thread: with Redis (several workers share the counters) a call may wait on the network.
    decision = await asyncio.to_thread(throttle.check, username, address)
    if not decision.allowed:
        minutes = max(1, -(-decision.retry_after_seconds // 60))
        page = _login_page(
            request,
            next_url=target,
            username=username,
            status_code=429,
            error=f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau khoảng {minutes} phút.",
        )
        page.headers["Retry-After"] = str(decision.retry_after_seconds)
        return page
    opened = await asyncio.to_thread(_log_in, username, password, request.cookies.get(SESSION_COOKIE, ""))
    if opened is None:
        await asyncio.to_thread(throttle.failed, username, address)
        count_login_failure()
        return _login_page(request, next_url=target, username=username, status_code=401, error=WRONG_CREDENTIALS)
    await asyncio.to_thread(throttle.succeeded, username, address)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        httponly=True,
        samesite="lax",
        path="/",
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        secure=get_settings().staff_cookie_secure,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/staff/login")
    return response


@router.post("/logout")
async def logout(request: Request, user: StaffUser) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")

    def close() -> None:
        with session_scope() as session:
            accounts.close_session(session, token)

    await asyncio.to_thread(close)
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: StaffUser) -> HTMLResponse:
    return render(request, "staff/templates/home.html", user)


# --- accounts (admins) ---------------------------------------------------------------------------


def _accounts_page(
    request: Request,
    user: StaffPrincipal,
    session: Session,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "staff/templates/accounts.html",
        user,
        status_code=status_code,
        accounts=accounts.list_accounts(session),
        roles=ROLE_LABELS,
        error=error,
        form=form or {},
        notice=NOTICES.get(request.query_params.get("done", "")),
    )


@router.get("/accounts", response_class=HTMLResponse)
def accounts_list(request: Request, user: AdminUser, session: SessionDep) -> HTMLResponse:
    return _accounts_page(request, user, session)


@router.post("/accounts", response_class=HTMLResponse)
def accounts_create(
    request: Request,
    user: AdminUser,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        accounts.create_account(
            session, username=username, password=password, display_name=display_name, role=role, actor=user
        )
        session.commit()
    except accounts.AccountError as error:
        session.rollback()
        form = {"username": username, "display_name": display_name, "role": role}
        return _accounts_page(request, user, session, error=str(error), form=form, status_code=400)
    return RedirectResponse("/staff/accounts?done=created", status_code=303)


@router.post("/accounts/{account_id}", response_class=HTMLResponse)
def accounts_update(
    request: Request,
    account_id: int,
    user: AdminUser,
    session: SessionDep,
    role: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
) -> Response:
    try:
        _, changed = accounts.update_account(
            session,
            account_id,
            actor=user,
            role=role or None,
            active=None if active == "" else active in {"1", "true", "on"},
            display_name=display_name or None,
        )
        session.commit()
    except accounts.AccountError as error:
        session.rollback()
        return _accounts_page(request, user, session, error=str(error), status_code=400)
    return RedirectResponse(f"/staff/accounts?done={'updated' if changed else 'unchanged'}", status_code=303)


@router.post("/accounts/{account_id}/password", response_class=HTMLResponse)
def accounts_reset_password(
    request: Request, account_id: int, user: AdminUser, session: SessionDep, password: Annotated[str, Form()] = ""
) -> Response:
    try:
        accounts.reset_password(session, account_id, password, actor=user)
        session.commit()
    except accounts.AccountError as error:
        session.rollback()
        return _accounts_page(request, user, session, error=str(error), status_code=400)
    return RedirectResponse("/staff/accounts?done=password", status_code=303)


# --- the audit log (admins) ----------------------------------------------------------------------


def _pretty(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    user: AdminUser,
    session: SessionDep,
    actor: str | None = None,
    entity_type: str | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    found = audit.list_entries(session, actor=actor or None, entity_type=entity_type or None, page=page)
    return render(
        request,
        "staff/templates/audit.html",
        user,
        log=found,
        actor=actor or "",
        entity_type=entity_type or "",
        pretty=_pretty,
    )


__all__ = ["router", "Role"]
