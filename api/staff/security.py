"""Who is calling a staff route, and may they: the login session cookie, roles, CSRF.

Every staff page and endpoint declares its roles with ``require_roles`` (admins always pass); the
declarations are made once, in ``api/deps.py``, and routes take them as parameters:

    AgentUser = Annotated[StaffPrincipal, Depends(require_roles(Role.AGENT))]  # api/deps.py

Not logged in: JSON endpoints (``/staff/api/...``) answer 401, pages redirect to the login form.
Wrong role: 403. Requests that change something (POST, PUT, PATCH, DELETE) must also carry the
session's CSRF token, in the ``X-CSRF-Token`` header (fetch) or a ``csrf_token`` form field.
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request

from core.audit.actor import Actor
from core.db import session_scope
from servicedesk.accounts import service as accounts
from servicedesk.accounts.roles import Role, role_label

SESSION_COOKIE = "tthc_staff"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/staff/api/"


@dataclass(frozen=True, kw_only=True)
class StaffPrincipal(Actor):
    """The logged-in officer; as an ``Actor`` it is what the services write in the audit log."""

    id: int
    username: str
    display_name: str
    role: Role
    csrf_token: str

    @property
    def role_label(self) -> str:
        return role_label(self.role)

    def may(self, *roles: Role) -> bool:
        return self.role == Role.ADMIN or self.role in roles


class StaffAccessError(Exception):
    """Refused: 401 (not logged in), 403 (role or CSRF). Rendered by
    ``api.staff.templating.install_staff_handlers`` (a JSON error, a redirect or a page)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


NOT_LOGGED_IN = "Bạn cần đăng nhập bằng tài khoản cán bộ để dùng chức năng này."
BAD_CSRF = "Phiên làm việc không hợp lệ hoặc đã hết hạn (thiếu mã chống giả mạo). Hãy tải lại trang rồi thử lại."


def _lookup(token: str) -> StaffPrincipal | None:
    with session_scope() as session:
        found = accounts.resolve_session(session, token)
        if found is None:
            return None
        user = found.user
        return StaffPrincipal(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=Role(user.role),
            csrf_token=found.csrf_token,
        )


async def current_principal(request: Request) -> StaffPrincipal | None:
    """The logged-in officer, or None (looked up once per request)."""
    if hasattr(request.state, "staff_principal"):
        known: StaffPrincipal | None = request.state.staff_principal
        return known
    token = request.cookies.get(SESSION_COOKIE, "")
    principal = await asyncio.to_thread(_lookup, token) if token else None
    request.state.staff_principal = principal
    return principal


async def _posted_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # Starlette caches the parsed form on the request, so the route reads the same one.
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def check_csrf(request: Request, principal: StaffPrincipal) -> None:
    if request.method in SAFE_METHODS:
        return
    posted = await _posted_csrf(request)
    if not posted or not hmac.compare_digest(posted.encode(), principal.csrf_token.encode()):
        raise StaffAccessError(403, BAD_CSRF)


class RoleGuard:
    """A FastAPI dependency: the principal if logged in with one of ``roles`` (or admin)."""

    def __init__(self, *roles: Role) -> None:
        self.roles: tuple[Role, ...] = roles

    async def __call__(self, request: Request) -> StaffPrincipal:
        principal = await current_principal(request)
        if principal is None:
            raise StaffAccessError(401, NOT_LOGGED_IN)
        if not principal.may(*self.roles):
            allowed = ", ".join(role_label(r) for r in (*self.roles, Role.ADMIN))
            raise StaffAccessError(
                403,
                f"Tài khoản của bạn ({principal.role_label}) không được dùng chức năng này; "
                f"chức năng dành cho: {allowed}.",
            )
        await check_csrf(request, principal)
        return principal


def require_roles(*roles: Role) -> RoleGuard:
    return RoleGuard(*roles)


def require_login() -> RoleGuard:
    """Any logged-in officer (every role)."""
    return RoleGuard(*Role)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/staff/login?next={quote(target, safe='')}"


__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "Role",
    "RoleGuard",
    "SESSION_COOKIE",
    "StaffAccessError",
    "StaffPrincipal",
    "current_principal",
    "require_login",
    "require_roles",
]
