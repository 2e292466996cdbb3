"""Staff accounts: creation, password checks, login sessions, and the admin's changes (role,
deactivation, password reset), each audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.audit import service as audit
from core.audit.actor import CLI, Actor
from core.db import utcnow
from core.errors import InvalidError
from servicedesk.accounts.models import StaffSession, StaffUser
from servicedesk.accounts.roles import Role, role_label

SESSION_LIFETIME = dt.timedelta(hours=12)  # one working shift; then the officer logs in again
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Checked when the username is unknown, so that a wrong username costs as much time as a wrong
# password and response times do not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("tthc-dummy-password-for-timing")


class AccountError(InvalidError, ValueError):
    """A refused account change; the message is shown to the officer as is."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def _check_username(username: str) -> str:
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise AccountError(
            "Tên đăng nhập gồm 3–64 ký tự: chữ cái không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang."
        )
    return name


def _check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    return password


def _check_role(role: str) -> Role:
    try:
        return Role(str(role))
    except ValueError as error:
        raise AccountError("Vai trò không hợp lệ.") from error


def _state(user: StaffUser) -> dict[str, object]:
    # Never the password hash: the audit log is read by admins.
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "active": user.active,
    }


def get_by_username(session: Session, username: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.username == normalise_username(username)))


def get(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise AccountError("Không có tài khoản này.")
    return user


def list_accounts(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.username)))


def create_account(
    session: Session,
    *,
    username: str,
    password: str,
    display_name: str,
    role: str,
    actor: Actor = CLI,
) -> StaffUser:
    name = _check_username(username)
    _check_password(password)
    checked_role = _check_role(role)
    display = (display_name or "").strip()
    if not display or len(display) > 255:
        raise AccountError("Cần họ tên hiển thị (tối đa 255 ký tự).")
    if get_by_username(session, name) is not None:
        raise AccountError(f"Tên đăng nhập {name} đã có người dùng.")
    user = StaffUser(
        username=name, display_name=display, role=checked_role.value, password_hash=_hasher.hash(password), active=True
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor=actor, action="account.create", entity_type="staff_user", entity_id=user.id, after=_state(user)
    )
    return user


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active account whose password this is, or None (for any reason: the caller says only
    that the pair is wrong)."""
    user = get_by_username(session, username)
    if user is None or not user.active:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


@dataclass(frozen=True)
class OpenedSession:
    token: str  # goes to the browser only; the database keeps its hash
    csrf_token: str
    expires_at: dt.datetime


def open_session(session: Session, user: StaffUser, *, now: dt.datetime | None = None) -> OpenedSession:
    now = now or utcnow()
    session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    opened = OpenedSession(token=token, csrf_token=secrets.token_urlsafe(32), expires_at=now + SESSION_LIFETIME)
    session.add(
        StaffSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=opened.csrf_token,
            created_at=now,
            expires_at=opened.expires_at,
        )
    )
    session.flush()
    return opened


def resolve_session(session: Session, token: str, *, now: dt.datetime | None = None) -> StaffSession | None:
    """The live session of an active account for this browser token, or None."""
    if not token:
        return None
    found = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if found is None or found.expires_at <= (now or utcnow()) or not found.user.active:
        return None
    return found


def close_session(session: Session, token: str) -> None:
    if token:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def _active_admins(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(StaffUser.role == Role.ADMIN.value, StaffUser.active.is_(True))
        )
        or 0
    )


def _keep_an_admin(session: Session, user: StaffUser, *, role: str, active: bool) -> None:
    losing_admin = user.role == Role.ADMIN.value and user.active and (role != Role.ADMIN.value or not active)
    if losing_admin and _active_admins(session) <= 1:
        raise AccountError("Không thể bỏ quyền hoặc khóa quản trị viên cuối cùng đang hoạt động.")


def update_account(
    session: Session,
    user_id: int,
    *,
    actor: Actor,
    role: str | None = None,
    active: bool | None = None,
    display_name: str | None = None,
) -> tuple[StaffUser, bool]:
    """Change an account's role, state or name. Returns the account and whether anything changed;
    a deactivated account is logged out everywhere at once."""
    user = get(session, user_id)
    before = _state(user)
    new_role = _check_role(role).value if role is not None else user.role
    new_active = user.active if active is None else active
    _keep_an_admin(session, user, role=new_role, active=new_active)
    if display_name is not None:
        display = display_name.strip()
        if not display or len(display) > 255:
            raise AccountError("Cần họ tên hiển thị (tối đa 255 ký tự).")
        user.display_name = display
    user.role, user.active = new_role, new_active
    if not user.active or new_role != before["role"]:
        # A changed role must take effect now, not at the next login.
        session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    after = _state(user)
    if after == before:
        return user, False
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="account.update",
        entity_type="staff_user",
        entity_id=user.id,
        before=before,
        after=after,
    )
    return user, True


def reset_password(session: Session, user_id: int, password: str, *, actor: Actor) -> StaffUser:
    user = get(session, user_id)
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="account.reset_password",
        entity_type="staff_user",
        entity_id=user.id,
        before=None,
        after={"username": user.username, "password": "(đã đặt lại)"},
    )
    return user


__all__ = [
    "AccountError",
    "OpenedSession",
    "Role",
    "authenticate",
    "close_session",
    "create_account",
    "get_by_username",
    "list_accounts",
    "open_session",
    "reset_password",
    "resolve_session",
    "role_label",
    "update_account",
]
