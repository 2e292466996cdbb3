"""Rendering staff pages: one Jinja2 environment rooted at ``api/`` (each domain keeps its
templates beside its routes: ``console/templates/console.html``), autoescaped, with the base
page's context (the officer, the CSRF token, the menu for the officer's role); and how a refused
staff request is answered (``install_staff_handlers``). Access itself is decided in security.py,
which renders nothing, so the two modules depend one way only."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.staff.security import StaffAccessError, StaffPrincipal, login_url, wants_json
from servicedesk.accounts.roles import Role

API_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    roles: tuple[Role, ...]


NAV: tuple[NavItem, ...] = (
    NavItem("/staff/console", "Bàn trực tổng đài", (Role.AGENT,)),
    NavItem("/staff/procedures", "Thủ tục", (Role.EDITOR,)),
    NavItem("/staff/import", "Nhập tệp", (Role.EDITOR,)),
    NavItem("/staff/centres", "Trung tâm phục vụ", (Role.EDITOR,)),
    NavItem("/staff/notices", "Thông báo", (Role.EDITOR,)),
    NavItem("/staff/learning", "Học từ hội thoại", (Role.EDITOR,)),
    NavItem("/staff/analytics", "Thống kê", (Role.ANALYST,)),
    NavItem("/staff/accounts", "Tài khoản", ()),
    NavItem("/staff/audit", "Nhật ký thay đổi", ()),
)


def nav_for(user: StaffPrincipal | None) -> list[NavItem]:
    if user is None:
        return []
    return [item for item in NAV if user.may(*item.roles)]


@lru_cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(API_DIR),
        autoescape=select_autoescape(["html"]),
    )


def render(
    request: Request, template_name: str, user: StaffPrincipal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    path = request.url.path
    nav = [
        {"href": item.href, "label": item.label, "active": path == item.href or path.startswith(item.href + "/")}
        for item in nav_for(user)
    ]
    page = (
        environment()
        .get_template(template_name)
        .render(
            request=request,
            user=user,
            csrf_token=user.csrf_token if user else "",
            nav=nav,
            **context,
        )
    )
    return HTMLResponse(page, status_code=status_code, headers={"Cache-Control": "no-store"})


def render_refusal(request: Request, status_code: int, message: str) -> HTMLResponse:
    user = getattr(request.state, "staff_principal", None)
    return render(request, "staff/templates/refused.html", user, status_code=status_code, message=message)


def install_staff_handlers(app: FastAPI) -> None:
    """Refusals of ``require_roles``: JSON under /staff/api/, the login form for a page when not
    logged in, otherwise a page saying why."""

    @app.exception_handler(StaffAccessError)
    async def _refused(request: Request, error: StaffAccessError) -> Response:
        if wants_json(request):
            return JSONResponse({"error": error.message}, status_code=error.status_code)
        if error.status_code == 401:
            return RedirectResponse(login_url(request) if request.method == "GET" else "/staff/login", status_code=303)
        return render_refusal(request, error.status_code, error.message)
