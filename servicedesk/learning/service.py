"""The learning inbox: messages the assistant did not understand well, and what editors decide.

A message (a ``ConversationTurn`` flagged ``needs_review``, its text already redacted) leaves the
inbox when an editor decides: assign an intent (the text becomes a training example in the
learned file), assign a procedure alias (a ``ProcedureAlias`` through the procedure service, so a
version snapshot is written and every process's search index sees it), or dismiss. Each decision
is audited in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.vntext import normalize_folded
from core.audit.actor import Actor
from core.audit.service import record as audit
from core.db import begin_writing
from core.errors import ConflictError, RejectedError
from core.labels import chat_channel_label, intent_label
from knowledge.procedures import service as procedures
from knowledge.procedures.models import ProcedureAlias
from servicedesk.conversations.models import ConversationTurn
from servicedesk.learning import training_file
from servicedesk.learning.models import InboxDecision

REASON_LABELS = {"fallback": "Không hiểu", "low_confidence": "Độ tin cậy thấp"}
MAX_ALIAS_CHARS = 255


class DecisionError(RejectedError, ValueError):
    """The decision cannot be made; the message is Vietnamese, for the editor."""


class AlreadyDecided(DecisionError, ConflictError):
    """Someone decided this message already."""


@dataclass(frozen=True)
class InboxFilters:
    channel: str | None = None
    reason: str | None = None  # "fallback" | "low_confidence"
    intent: str | None = None  # what the assistant guessed
    q: str | None = None  # words the message contains (diacritics and case ignored)
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class InboxItem:
    id: int
    at: dt.datetime
    channel: str
    unit_code: str | None  # official code of the current unit (servicedesk/conversations/units.py)
    intent: str | None
    confidence: float | None
    fallback: bool
    procedure_code: str | None
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(timespec="seconds"),
            "channel": self.channel,
            "channel_label": chat_channel_label(self.channel),
            "unit_code": self.unit_code,
            "intent": self.intent,
            "intent_label": intent_label(self.intent) if self.intent else self.intent,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "fallback": self.fallback,
            "reason": "fallback" if self.fallback else "low_confidence",
            "procedure_code": self.procedure_code,
            "text": self.text,
        }


@dataclass(frozen=True)
class DecisionResult:
    turn_id: int
    kind: str
    message: str  # Vietnamese, shown to the editor
    added: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"turn_id": self.turn_id, "kind": self.kind, "message": self.message, "added": self.added}


def intent_options() -> list[dict[str, str]]:
    return [{"name": name, "label": intent_label(name)} for name in training_file.domain_intents()]


def _pending() -> Select[tuple[ConversationTurn]]:
    decided = select(InboxDecision.id).where(InboxDecision.turn_id == ConversationTurn.id).exists()
    return select(ConversationTurn).where(
        ConversationTurn.needs_review.is_(True),
        ConversationTurn.text_redacted.is_not(None),
        ~decided,
    )


def _filtered(filters: InboxFilters) -> Select[tuple[ConversationTurn]]:
    stmt = _pending()
    if filters.channel:
        stmt = stmt.where(ConversationTurn.channel == filters.channel)
    if filters.reason == "fallback":
        stmt = stmt.where(ConversationTurn.fallback.is_(True))
    elif filters.reason == "low_confidence":
        stmt = stmt.where(ConversationTurn.fallback.is_(False))
    if filters.intent:
        stmt = stmt.where(ConversationTurn.intent == filters.intent)
    if filters.since:
        stmt = stmt.where(ConversationTurn.at >= dt.datetime.combine(filters.since, dt.time.min))
    if filters.until:
        stmt = stmt.where(ConversationTurn.at < dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time.min))
    return stmt


def _item(turn: ConversationTurn) -> InboxItem:
    return InboxItem(
        id=turn.id,
        at=turn.at,
        channel=turn.channel,
        unit_code=turn.unit_code,
        intent=turn.intent,
        confidence=turn.confidence,
        fallback=bool(turn.fallback),
        procedure_code=turn.procedure_code,
        text=turn.text_redacted or "",
    )


def inbox(session: Session, filters: InboxFilters) -> tuple[list[InboxItem], int]:
    """Undecided messages matching ``filters``, newest first, and how many match in all."""
    stmt = _filtered(filters).order_by(ConversationTurn.at.desc(), ConversationTurn.id.desc())
    if filters.q and normalize_folded(filters.q).strip():
        # Folded matching needs Python (SQLite has no Vietnamese folding); the inbox is small
        # because every message leaves it once decided.
        words = normalize_folded(filters.q).split()
        matches = [t for t in session.scalars(stmt) if all(w in normalize_folded(t.text_redacted or "") for w in words)]
        page = matches[filters.offset : filters.offset + filters.limit]
        return [_item(t) for t in page], len(matches)
    total = session.scalar(select(func.count()).select_from(_filtered(filters).subquery())) or 0
    page = list(session.scalars(stmt.offset(filters.offset).limit(filters.limit)))
    return [_item(t) for t in page], int(total)


def pending_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(_pending().subquery())) or 0)


def _open_turn(session: Session, turn_id: int) -> ConversationTurn:
    turn = session.get(ConversationTurn, turn_id)
    if turn is None or not turn.needs_review or not turn.text_redacted:
        raise DecisionError("Không có tin nhắn này trong hộp thư cần xem xét.")
    decided = session.scalars(select(InboxDecision).where(InboxDecision.turn_id == turn_id)).first()
    if decided is not None:
        raise AlreadyDecided(f"Tin nhắn này đã được {decided.decided_by} xử lý.")
    return turn


def _claim(session: Session, decision: InboxDecision) -> None:
    """Insert the decision first: the unique turn id makes a concurrent second decision fail
    here, before anything is written to the training file or the catalogue."""
    begin_writing(session)
    session.add(decision)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise AlreadyDecided("Tin nhắn này vừa được người khác xử lý.") from error


def _audit(session: Session, decision: InboxDecision, actor: Actor, after: dict[str, Any]) -> None:
    audit(
        session,
        actor=actor,
        action=f"learning.inbox.{decision.kind}",
        entity_type="conversation_turn",
        entity_id=str(decision.turn_id),
        before={"status": "pending"},
        after=after,
    )


def assign_intent(session: Session, turn_id: int, intent: str, *, actor: Actor, learned_path: Path) -> DecisionResult:
    """Write the message as a training example of ``intent`` (the caller commits; on an error
    it must roll back, which removes the claimed decision)."""
    turn = _open_turn(session, turn_id)
    decision = InboxDecision(turn_id=turn.id, kind="intent", intent=intent, decided_by=actor.username)
    _claim(session, decision)
    try:
        added = training_file.add_example(learned_path, intent, turn.text_redacted or "")
    except training_file.ExampleError as error:
        raise DecisionError(str(error)) from error
    decision.example = added.text
    _audit(
        session,
        decision,
        actor,
        {"intent": intent, "example": added.text, "file": learned_path.name, "added": added.added},
    )
    label = intent_label(intent)
    message = (
        f"Đã thêm câu vào dữ liệu huấn luyện với ý định “{label}”; có hiệu lực sau lần huấn luyện lại tới."
        if added.added
        else f"Câu này đã có trong dữ liệu huấn luyện với ý định “{label}”; không thêm lần nữa."
    )
    return DecisionResult(turn.id, "intent", message, added=added.added)


def assign_alias(
    session: Session, turn_id: int, procedure_code: str, *, actor: Actor, alias: str | None = None
) -> DecisionResult:
    """Add ``alias`` (by default the message text) as a name of the procedure (the caller commits)."""
    turn = _open_turn(session, turn_id)
    text = " ".join((alias if alias is not None else turn.text_redacted or "").split())
    folded = normalize_folded(text)
    if not folded:
        raise DecisionError("Tên gọi trống.")
    if len(text) > MAX_ALIAS_CHARS:
        raise DecisionError(f"Tên gọi dài quá {MAX_ALIAS_CHARS} ký tự; hãy rút gọn thành cách người dân gọi thủ tục.")
    procedure = procedures.get_by_code(session, procedure_code, include_unpublished=True)
    if procedure is None:
        raise DecisionError(f"Không có thủ tục mã {procedure_code}.")
    clash = session.scalars(select(ProcedureAlias).where(ProcedureAlias.alias_folded == folded)).first()
    if clash is not None:
        owner = (
            "thủ tục này"
            if clash.procedure_id == procedure.id
            else f"thủ tục {clash.procedure.code} ({clash.procedure.name})"
        )
        raise DecisionError(f"Tên gọi “{clash.alias}” (viết cách khác) đã dùng cho {owner}.")
    decision = InboxDecision(
        turn_id=turn.id, kind="alias", procedure_code=procedure.code, alias=text, decided_by=actor.username
    )
    _claim(session, decision)
    record = procedures.to_record(procedure)
    try:
        # The knowledge admin's edit: a version snapshot, an audit entry (before/after), and
        # origin "admin" so that reloading the seed files at the next start keeps the alias.
        procedures.edit(
            session,
            procedure.code,
            record.model_copy(update={"aliases": [*record.aliases, text]}),
            actor=actor,
            expected_version=None,
            note=f"thêm tên gọi từ hộp thư học: “{text}”",
            action="procedure.alias.add",
        )
    except procedures.AliasConflictError as error:
        raise DecisionError(str(error)) from error
    _audit(session, decision, actor, {"procedure_code": procedure.code, "alias": text})
    return DecisionResult(
        turn.id, "alias", f"Đã thêm tên gọi “{text}” cho thủ tục {procedure.code} — {procedure.name}."
    )


def dismiss(session: Session, turn_id: int, *, actor: Actor) -> DecisionResult:
    turn = _open_turn(session, turn_id)
    decision = InboxDecision(turn_id=turn.id, kind="dismiss", decided_by=actor.username)
    _claim(session, decision)
    _audit(session, decision, actor, {"dismissed": True})
    return DecisionResult(turn.id, "dismiss", "Đã bỏ qua tin nhắn.")


def recent_decisions(session: Session, limit: int = 20) -> list[InboxDecision]:
    return list(session.scalars(select(InboxDecision).order_by(InboxDecision.id.desc()).limit(limit)))
