"""Staff roles. Admins may do everything; the others only their own part of the work."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # accounts, the audit log, and everything the other roles do
    EDITOR = "editor"  # procedure knowledge, service centres, imports, the learning inbox
    AGENT = "agent"  # the hotline console: suggestions and chat takeover
    ANALYST = "analyst"  # the analytics page and its exports


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Quản trị viên",
    Role.EDITOR: "Biên tập viên",
    Role.AGENT: "Cán bộ tổng đài",
    Role.ANALYST: "Cán bộ thống kê",
}


def role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role
