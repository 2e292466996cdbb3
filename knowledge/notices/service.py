"""Notices: which ones a citizen sees now, how they are said, and how editors publish them.

``active_notices(session, unit_code=…, procedure_code=…)`` is what the widget and the answers ask:
the notices valid now (started, not ended, not withdrawn) whose scopes fit. A notice scoped to
units shows only with one of its units (a commune's own code, or its province's code for a notice
meant for the whole province): a conversation whose unit is unknown sees only notices for every
unit. A notice scoped to procedures shows only when one of them is asked about.

Editors' changes (create, update, withdraw) write an audit entry in the same transaction, like
every other edit of the knowledge store. The checks a form cannot make alone (units are current
official codes, procedures exist) raise ``NoticeInvalid`` with a Vietnamese message naming the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import service as audit
from core.audit.actor import Actor
from core.db import utcnow
from core.errors import InvalidError, NotFoundError
from knowledge.notices.models import SEVERITIES, Notice
from knowledge.procedures.models import Procedure
from knowledge.units.models import AdministrativeUnit

# Vietnam has kept UTC+7, without daylight saving, since 1975; the store keeps naive UTC.
VIETNAM_OFFSET = dt.timedelta(hours=7)
MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 1000
MAX_CODES = 200


class NoticeNotFound(NotFoundError, LookupError):
    def __init__(self, notice_id: int) -> None:
        super().__init__(f"Không có thông báo số {notice_id}.")


class NoticeInvalid(InvalidError, ValueError):
    """A notice that breaks a rule; ``field`` names the form field at fault."""


@dataclass(frozen=True)
class NoticeView:
    id: int
    title: str
    body: str
    severity: str  # info | warning
    ends_at: dt.datetime  # naive UTC
    unit_codes: tuple[str, ...]
    procedure_codes: tuple[str, ...]


def view_of(notice: Notice) -> NoticeView:
    return NoticeView(
        id=notice.id,
        title=notice.title,
        body=notice.body,
        severity=notice.severity,
        ends_at=notice.ends_at,
        unit_codes=tuple(notice.unit_codes or ()),
        procedure_codes=tuple(notice.procedure_codes or ()),
    )


# --- what citizens see ---------------------------------------------------------------------------


def _province_of(session: Session, unit_code: str) -> str | None:
    return session.scalar(
        select(AdministrativeUnit.province_code)
        .where(AdministrativeUnit.code == unit_code, AdministrativeUnit.status == "current")
        .limit(1)
    )


def active_notices(
    session: Session, *, unit_code: str | None, procedure_code: str | None = None, now: dt.datetime | None = None
) -> list[NoticeView]:
    """The notices valid ``now`` (naive UTC) for this unit and procedure, warnings first, then the
    most recent. ``unit_code`` None: only notices for every unit; ``procedure_code`` None: only
    notices about no procedure in particular."""
    moment = now or utcnow()
    rows = session.scalars(
        select(Notice)
        .where(Notice.withdrawn_at.is_(None), Notice.starts_at <= moment, Notice.ends_at > moment)
        .order_by(Notice.starts_at.desc(), Notice.id.desc())
    ).all()
    if not rows:
        return []
    unit = (unit_code or "").strip() or None
    places = {unit} if unit else set()
    if unit and any(n.unit_codes for n in rows):
        province = _province_of(session, unit)
        if province and province != unit:
            places.add(province)
    shown = [
        view_of(n)
        for n in rows
        if (not n.unit_codes or places.intersection(n.unit_codes))
        and (not n.procedure_codes or (procedure_code is not None and procedure_code in n.procedure_codes))
    ]
    return sorted(shown, key=lambda n: n.severity != "warning")  # stable: most recent first within each


def vietnam_time(moment: dt.datetime) -> dt.datetime:
    """A naive UTC time as Vietnam's wall clock (naive)."""
    return moment + VIETNAM_OFFSET


def until_text(ends_at: dt.datetime) -> str:
    """When a notice ends, in Vietnam time: "đến hết ngày 02/09/2026" for a notice that runs to
    the end of a day (its end is midnight, or 23:59 and after), else "đến 06:00 ngày 06/12/2026"."""
    local = vietnam_time(ends_at)
    if local.time() == dt.time(0, 0):
        return f"đến hết ngày {(local - dt.timedelta(days=1)):%d/%m/%Y}"
    if local.time() >= dt.time(23, 59):
        return f"đến hết ngày {local:%d/%m/%Y}"
    return f"đến {local:%H:%M} ngày {local:%d/%m/%Y}"


def notice_text(notice: NoticeView) -> str:
    """What the assistant says: "Thông báo: <title>. <body> (đến hết ngày dd/mm/yyyy)"."""
    title = notice.title.strip().rstrip(".:;,")
    body = notice.body.strip()
    return f"Thông báo: {title}. {body} ({until_text(notice.ends_at)})"


# --- what editors do -----------------------------------------------------------------------------


def _codes(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        code = value.strip()
        if code and code not in seen:
            seen.append(code)
    return seen


@dataclass(frozen=True)
class _Checked:
    title: str
    body: str
    severity: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    unit_codes: list[str]
    procedure_codes: list[str]


def _check(
    session: Session,
    *,
    title: str,
    body: str,
    severity: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime,
    unit_codes: Iterable[str],
    procedure_codes: Iterable[str],
    now: dt.datetime,
) -> _Checked:
    title = " ".join((title or "").split())
    body = (body or "").strip()
    if not title:
        raise NoticeInvalid("Thông báo cần có tiêu đề.", field="title")
    if len(title) > MAX_TITLE_CHARS:
        raise NoticeInvalid(f"Tiêu đề dài quá {MAX_TITLE_CHARS} ký tự.", field="title")
    if not body:
        raise NoticeInvalid("Thông báo cần có nội dung.", field="body")
    if len(body) > MAX_BODY_CHARS:
        raise NoticeInvalid(f"Nội dung dài quá {MAX_BODY_CHARS} ký tự; hãy viết ngắn gọn hơn.", field="body")
    if severity not in SEVERITIES:
        raise NoticeInvalid("Mức độ chỉ là “Thông tin” hoặc “Cảnh báo”.", field="severity")
    start = starts_at or now
    if ends_at <= start:
        raise NoticeInvalid("Thời điểm kết thúc phải sau thời điểm bắt đầu.", field="ends_at")
    if ends_at <= now:
        raise NoticeInvalid("Thời điểm kết thúc đã qua: thông báo sẽ không hiện cho ai.", field="ends_at")
    units = _codes(unit_codes)
    procedures = _codes(procedure_codes)
    if len(units) > MAX_CODES or len(procedures) > MAX_CODES:
        raise NoticeInvalid(f"Mỗi thông báo chọn tối đa {MAX_CODES} đơn vị và {MAX_CODES} thủ tục.")
    if units:
        known = set(
            session.scalars(
                select(AdministrativeUnit.code).where(
                    AdministrativeUnit.code.in_(units), AdministrativeUnit.status == "current"
                )
            )
        )
        unknown = [c for c in units if c not in known]
        if unknown:
            raise NoticeInvalid(
                "Không có đơn vị hành chính hiện hành mã " + ", ".join(unknown) + " (nhập mã xã, phường hoặc tỉnh).",
                field="unit_codes",
            )
    if procedures:
        known = set(session.scalars(select(Procedure.code).where(Procedure.code.in_(procedures))))
        unknown = [c for c in procedures if c not in known]
        if unknown:
            raise NoticeInvalid("Kho tri thức chưa có thủ tục mã " + ", ".join(unknown) + ".", field="procedure_codes")
    return _Checked(title, body, severity, start, ends_at, units, procedures)


def _state(notice: Notice) -> dict[str, Any]:
    return {
        "title": notice.title,
        "body": notice.body,
        "severity": notice.severity,
        "starts_at": notice.starts_at,
        "ends_at": notice.ends_at,
        "unit_codes": list(notice.unit_codes or []),
        "procedure_codes": list(notice.procedure_codes or []),
        "withdrawn_at": notice.withdrawn_at,
    }


def _audit(session: Session, actor: Actor, action: str, notice: Notice, before: Any) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="notice",
        entity_id=notice.id,
        before=before,
        after=_state(notice),
    )


def create_notice(
    session: Session,
    *,
    title: str,
    body: str,
    ends_at: dt.datetime,
    actor: Actor,
    starts_at: dt.datetime | None = None,
    severity: str = "info",
    unit_codes: Iterable[str] = (),
    procedure_codes: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> Notice:
    """A new notice (times naive UTC; ``starts_at`` None: now), audited."""
    moment = now or utcnow()
    checked = _check(
        session,
        title=title,
        body=body,
        severity=severity,
        starts_at=starts_at,
        ends_at=ends_at,
        unit_codes=unit_codes,
        procedure_codes=procedure_codes,
        now=moment,
    )
    notice = Notice(
        title=checked.title,
        body=checked.body,
        severity=checked.severity,
        starts_at=checked.starts_at,
        ends_at=checked.ends_at,
        unit_codes=checked.unit_codes,
        procedure_codes=checked.procedure_codes,
        created_by=actor.username,
        created_at=moment,
        updated_at=moment,
    )
    session.add(notice)
    session.flush()
    _audit(session, actor, "notice.create", notice, None)
    return notice


def get_notice(session: Session, notice_id: int) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NoticeNotFound(notice_id)
    return notice


def update_notice(
    session: Session,
    notice_id: int,
    *,
    title: str,
    body: str,
    ends_at: dt.datetime,
    actor: Actor,
    starts_at: dt.datetime | None = None,
    severity: str = "info",
    unit_codes: Iterable[str] = (),
    procedure_codes: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> tuple[Notice, bool]:
    """The notice with its new content, and whether anything changed (audited when it did). A
    withdrawn notice cannot be edited: publish a new one."""
    moment = now or utcnow()
    notice = get_notice(session, notice_id)
    if notice.withdrawn_at is not None:
        raise NoticeInvalid("Thông báo này đã gỡ nên không sửa được nữa; hãy tạo thông báo mới.")
    checked = _check(
        session,
        title=title,
        body=body,
        severity=severity,
        starts_at=starts_at or notice.starts_at,
        ends_at=ends_at,
        unit_codes=unit_codes,
        procedure_codes=procedure_codes,
        now=moment,
    )
    before = _state(notice)
    notice.title, notice.body, notice.severity = checked.title, checked.body, checked.severity
    notice.starts_at, notice.ends_at = checked.starts_at, checked.ends_at
    notice.unit_codes, notice.procedure_codes = checked.unit_codes, checked.procedure_codes
    if _state(notice) == before:
        return notice, False
    notice.updated_at = moment
    session.flush()
    _audit(session, actor, "notice.update", notice, before)
    return notice, True


def withdraw_notice(session: Session, notice_id: int, *, actor: Actor, now: dt.datetime | None = None) -> Notice:
    """Takes a notice down at once (kept, marked withdrawn); withdrawing twice changes nothing."""
    moment = now or utcnow()
    notice = get_notice(session, notice_id)
    if notice.withdrawn_at is not None:
        return notice
    before = _state(notice)
    notice.withdrawn_at = moment
    notice.updated_at = moment
    session.flush()
    _audit(session, actor, "notice.withdraw", notice, before)
    return notice


# --- the editors' list ---------------------------------------------------------------------------

STATUS_LABELS = {
    "active": "Đang hiển thị",
    "upcoming": "Chưa đến ngày",
    "ended": "Đã hết hạn",
    "withdrawn": "Đã gỡ",
}


def status_of(notice: Notice, now: dt.datetime | None = None) -> str:
    moment = now or utcnow()
    if notice.withdrawn_at is not None:
        return "withdrawn"
    if notice.starts_at > moment:
        return "upcoming"
    if notice.ends_at <= moment:
        return "ended"
    return "active"


def list_notices(session: Session, *, limit: int = 200) -> list[Notice]:
    """Most recent first: the editors' list (ended and withdrawn ones too)."""
    return list(session.scalars(select(Notice).order_by(Notice.id.desc()).limit(limit)))
