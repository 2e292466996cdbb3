"""Accounts: the service's rules (hashing, validation, the last admin) and the admin's page,
with every change in the audit log."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from core.audit.models import AuditEntry
from core.db import session_scope
from servicedesk.accounts import service
from servicedesk.accounts.models import StaffUser
from tests.staff.accounts import STAFF_PASSWORDS, STAFF_USERNAMES
from tests.staff.conftest import login


def test_passwords_are_stored_as_argon2_hashes(session: Session) -> None:
    user = service.create_account(
        session, username="CanBo.Moi", password="mot-mat-khau-dai", display_name="Cán bộ mới", role="agent"
    )
    assert user.username == "canbo.moi"
    assert user.password_hash.startswith("$argon2id$") and "mot-mat-khau-dai" not in user.password_hash
    assert service.authenticate(session, "canbo.moi", "mot-mat-khau-dai") is user
    assert service.authenticate(session, "canbo.moi", "sai") is None
    entry = session.scalars(select(AuditEntry)).one()
    assert entry.action == "account.create" and entry.actor == "cli"
    assert "password_hash" not in entry.after and entry.after["role"] == "agent"


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("ab", "mot-mat-khau-dai", "agent", "Tên đăng nhập"),
        ("có dấu", "mot-mat-khau-dai", "agent", "Tên đăng nhập"),
        ("hople", "ngan", "agent", "ít nhất 10 ký tự"),
        ("hople", "mot-mat-khau-dai", "superuser", "Vai trò không hợp lệ"),
    ],
)
def test_bad_accounts_are_refused_in_vietnamese(
    session: Session, username: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(service.AccountError, match=message):
        service.create_account(session, username=username, password=password, display_name="X", role=role)


def test_usernames_are_unique_whatever_the_case(session: Session) -> None:
    service.create_account(session, username="trung", password="mot-mat-khau-dai", display_name="A", role="agent")
    with pytest.raises(service.AccountError, match="đã có người dùng"):
        service.create_account(session, username="TRUNG", password="mot-mat-khau-dai", display_name="B", role="agent")


def test_the_last_active_admin_cannot_be_removed(session: Session) -> None:
    admin = service.create_account(
        session, username="quantri", password="mot-mat-khau-dai", display_name="A", role="admin"
    )
    with pytest.raises(service.AccountError, match="quản trị viên cuối cùng"):
        service.update_account(session, admin.id, actor=Actor("cli"), active=False)
    with pytest.raises(service.AccountError, match="quản trị viên cuối cùng"):
        service.update_account(session, admin.id, actor=Actor("cli"), role="editor")
    service.create_account(session, username="quantri2", password="mot-mat-khau-dai", display_name="B", role="admin")
    _, changed = service.update_account(session, admin.id, actor=Actor("cli"), active=False)
    assert changed and not admin.active


def test_a_deactivated_account_cannot_log_in(session: Session) -> None:
    service.create_account(session, username="quantri", password="mot-mat-khau-dai", display_name="A", role="admin")
    user = service.create_account(session, username="nghi", password="mot-mat-khau-dai", display_name="B", role="agent")
    service.update_account(session, user.id, actor=Actor("cli"), active=False)
    assert service.authenticate(session, "nghi", "mot-mat-khau-dai") is None


def _csrf(client: Any) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/staff/accounts").text).group(1)


def _user(username: str) -> StaffUser:
    with session_scope() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        assert user is not None
        return user


def test_an_admin_creates_changes_and_locks_an_account(staff_client: Any) -> None:
    login(staff_client, "admin")
    token = _csrf(staff_client)
    created = staff_client.post(
        "/staff/accounts",
        data={
            "csrf_token": token,
            "username": "tongdai2",
            "display_name": "Cán bộ mới (thử nghiệm)",
            "role": "agent",
            "password": "mat-khau-ban-dau-9",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"].endswith("done=created")
    page = staff_client.get(created.headers["location"])
    assert "tongdai2" in page.text and "Đã tạo tài khoản." in page.text
    user = _user("tongdai2")

    refused = staff_client.post(
        "/staff/accounts",
        data={
            "csrf_token": token,
            "username": "tongdai2",
            "display_name": "Trùng",
            "role": "agent",
            "password": "mat-khau-ban-dau-9",
        },
    )
    assert refused.status_code == 400 and "đã có người dùng" in refused.text

    staff_client.post(f"/staff/accounts/{user.id}", data={"csrf_token": token, "role": "editor"})
    assert _user("tongdai2").role == "editor"
    staff_client.post(f"/staff/accounts/{user.id}", data={"csrf_token": token, "active": "0"})
    assert not _user("tongdai2").active

    with session_scope() as session:
        entries = list(
            session.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(user.id)).order_by(AuditEntry.id))
        )
    assert [e.action for e in entries] == ["account.create", "account.update", "account.update"]
    assert entries[1].before["role"] == "agent" and entries[1].after["role"] == "editor"
    assert entries[2].actor == STAFF_USERNAMES["admin"] and entries[2].actor_role == "admin"
    audit_page = staff_client.get("/staff/audit", params={"entity_type": "staff_user"})
    assert audit_page.status_code == 200 and "account.update" in audit_page.text


def test_a_role_change_takes_effect_at_once(staff_client: Any) -> None:
    from fastapi.testclient import TestClient

    with TestClient(staff_client.app) as officer:
        login(officer, "agent")
        assert officer.get("/staff/console").status_code == 200
        login(staff_client, "admin")
        agent = _user(STAFF_USERNAMES["agent"])
        staff_client.post(f"/staff/accounts/{agent.id}", data={"csrf_token": _csrf(staff_client), "role": "analyst"})
        assert officer.get("/staff/console", follow_redirects=False).status_code == 303  # logged out


def test_an_admin_resets_a_password(staff_client: Any) -> None:
    login(staff_client, "admin")
    analyst = _user(STAFF_USERNAMES["analyst"])
    url = f"/staff/accounts/{analyst.id}/password"
    short = staff_client.post(url, data={"csrf_token": _csrf(staff_client), "password": "ngan"})
    assert short.status_code == 400 and "ít nhất 10 ký tự" in short.text
    staff_client.post(url, data={"csrf_token": _csrf(staff_client), "password": "mat-khau-moi-12345"})
    with session_scope() as session:
        assert service.authenticate(session, STAFF_USERNAMES["analyst"], STAFF_PASSWORDS["analyst"]) is None
        assert service.authenticate(session, STAFF_USERNAMES["analyst"], "mat-khau-moi-12345") is not None
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "account.reset_password")).one()
        assert "mat-khau-moi" not in str(entry.after)
