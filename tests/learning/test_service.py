"""The learning inbox and its decisions: intent → training file, alias → catalogue, dismiss; each
audited, each message decided once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import servicedesk.learning.models  # noqa: F401 - tables
from core.audit.actor import Actor
from core.audit.models import AuditEntry
from knowledge.procedures import service as procedures
from knowledge.procedures.models import ProcedureVersion
from knowledge.seed.loader import seed_procedures
from servicedesk.conversations.models import ConversationTurn
from servicedesk.learning import service
from servicedesk.learning.models import InboxDecision
from servicedesk.learning.service import AlreadyDecided, DecisionError, InboxFilters
from servicedesk.learning.training_file import read_examples

DEATH = "1.000656"  # seed procedure with the alias “khai tử”


@pytest.fixture
def db(session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path / "var"))
    from core.settings import get_settings

    get_settings.cache_clear()
    seed_procedures(session)
    session.commit()
    yield session
    get_settings.cache_clear()


@pytest.fixture
def learned(tmp_path: Path) -> Path:
    return tmp_path / "learned.yml"


def _turn(
    db: Session,
    text: str | None,
    *,
    channel: str = "web",
    intent: str | None = "ask_fee",
    confidence: float | None = 0.31,
    fallback: bool = False,
    needs_review: bool = True,
    at: dt.datetime | None = None,
) -> int:
    turn = ConversationTurn(
        at=at or dt.datetime(2026, 11, 20, 9, 0),
        sender_hash="h" * 16,
        channel=channel,
        unit_code=None,
        intent=intent,
        confidence=confidence,
        procedure_code=None,
        fallback=fallback,
        needs_review=needs_review,
        text_redacted=text,
        handled_by="bot",
    )
    db.add(turn)
    db.commit()
    return turn.id


def _audit(db: Session) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_inbox_lists_undecided_messages_newest_first_with_filters(db: Session) -> None:
    old = _turn(db, "lam lai so ho khau mat bao lau", at=dt.datetime(2026, 11, 1, 8, 0))
    new = _turn(
        db,
        "Cấp lại sổ đỏ bị cháy cần gì",
        channel="zalo",
        fallback=True,
        intent="nlu_fallback",
        at=dt.datetime(2026, 11, 21, 8, 0),
    )
    _turn(db, "không cần xem", needs_review=False)
    _turn(db, None)  # flagged but its text was not kept: nothing to learn from

    items, total = service.inbox(db, InboxFilters())
    assert [i.id for i in items] == [new, old] and total == 2
    assert items[0].as_dict()["reason"] == "fallback" and items[1].as_dict()["reason"] == "low_confidence"
    assert [i.id for i in service.inbox(db, InboxFilters(channel="zalo"))[0]] == [new]
    assert [i.id for i in service.inbox(db, InboxFilters(reason="low_confidence"))[0]] == [old]
    assert [i.id for i in service.inbox(db, InboxFilters(intent="ask_fee"))[0]] == [old]
    assert [i.id for i in service.inbox(db, InboxFilters(since=dt.date(2026, 11, 10)))[0]] == [new]
    assert [i.id for i in service.inbox(db, InboxFilters(until=dt.date(2026, 11, 1)))[0]] == [old]
    # words without diacritics find text with them, and the other way round
    assert [i.id for i in service.inbox(db, InboxFilters(q="so do"))[0]] == [new]
    assert [i.id for i in service.inbox(db, InboxFilters(q="sổ hộ khẩu"))[0]] == [old]
    page, total = service.inbox(db, InboxFilters(limit=1, offset=1))
    assert [i.id for i in page] == [old] and total == 2
    assert service.pending_count(db) == 2


def test_assigning_an_intent_writes_the_example_and_audits(db: Session, learned: Path) -> None:
    turn = _turn(db, "làm lại thẻ căn cước bị rách thì mất bao nhiêu tiền hả ad")
    result = service.assign_intent(db, turn, "ask_fee", actor=Actor("editor1"), learned_path=learned)
    db.commit()
    assert result.added and "Hỏi phí, lệ phí" in result.message
    assert read_examples(learned) == {"ask_fee": ["làm lại thẻ căn cước bị rách thì mất bao nhiêu tiền hả ad"]}
    assert service.inbox(db, InboxFilters())[1] == 0
    decision = db.scalars(select(InboxDecision)).one()
    assert (decision.kind, decision.intent, decision.decided_by) == ("intent", "ask_fee", "editor1")
    (entry,) = _audit(db)
    assert (entry.action, entry.entity_type, entry.entity_id) == (
        "learning.inbox.intent",
        "conversation_turn",
        str(turn),
    )
    assert entry.before == {"status": "pending"} and entry.after["intent"] == "ask_fee"


def test_the_same_text_twice_is_learned_once(db: Session, learned: Path) -> None:
    first = _turn(db, "Làm lại thẻ căn cước bị rách thì mất bao nhiêu tiền?")
    second = _turn(db, "lam lai the can cuoc bi rach thi mat bao nhieu tien")
    service.assign_intent(db, first, "ask_fee", actor=Actor("editor1"), learned_path=learned)
    again = service.assign_intent(db, second, "ask_fee", actor=Actor("editor1"), learned_path=learned)
    db.commit()
    assert not again.added and "đã có" in again.message
    assert len(read_examples(learned)["ask_fee"]) == 1
    assert service.pending_count(db) == 0  # both decided


def test_a_refused_example_leaves_the_message_in_the_inbox(db: Session, learned: Path) -> None:
    turn = _turn(db, "làm lại thẻ căn cước bị rách thì mất bao nhiêu tiền hả ad")
    service.assign_intent(db, turn, "ask_fee", actor=Actor("editor1"), learned_path=learned)
    db.commit()
    other = _turn(db, "Làm lại thẻ căn cước bị rách thì mất bao nhiêu tiền hả ad!")
    with pytest.raises(DecisionError, match="ask_fee"):
        service.assign_intent(db, other, "ask_documents", actor=Actor("editor1"), learned_path=learned)
    db.rollback()
    assert [i.id for i in service.inbox(db, InboxFilters())[0]] == [other]
    assert len(_audit(db)) == 1


def test_a_message_is_decided_once(db: Session, learned: Path) -> None:
    turn = _turn(db, "thủ tục này ở đâu vậy")
    service.dismiss(db, turn, actor=Actor("editor1"))
    db.commit()
    with pytest.raises(AlreadyDecided, match="editor1"):
        service.assign_intent(db, turn, "ask_submission_place", actor=Actor("editor2"), learned_path=learned)
    db.rollback()
    with pytest.raises(DecisionError, match="Không có tin nhắn"):
        service.dismiss(db, 9999, actor=Actor("editor1"))


def test_dismiss_is_audited(db: Session) -> None:
    turn = _turn(db, "abc xyz")
    assert service.dismiss(db, turn, actor=Actor("editor1")).kind == "dismiss"
    db.commit()
    assert [e.action for e in _audit(db)] == ["learning.inbox.dismiss"]
    assert service.pending_count(db) == 0


def test_assigning_an_alias_adds_it_with_a_version_and_audit(db: Session) -> None:
    turn = _turn(db, "làm giấy báo mất người nhà")
    versions = len(db.scalars(select(ProcedureVersion).join(ProcedureVersion.procedure)).all())
    result = service.assign_alias(db, turn, DEATH, actor=Actor("editor1"), alias="  giấy báo   mất người nhà ")
    db.commit()
    assert "giấy báo mất người nhà" in result.message and DEATH in result.message
    record = procedures.to_record(procedures.get_by_code(db, DEATH))
    assert "giấy báo mất người nhà" in record.aliases
    assert len(db.scalars(select(ProcedureVersion)).all()) == versions + 1
    latest = db.scalars(select(ProcedureVersion).order_by(ProcedureVersion.id.desc())).first()
    assert latest.changed_by == "editor1" and "giấy báo mất người nhà" in latest.snapshot["aliases"]
    actions = [e.action for e in _audit(db)]
    assert actions == ["procedure.alias.add", "learning.inbox.alias"]
    change = _audit(db)[0]
    assert set(change.before["aliases"]) == set(record.aliases) - {"giấy báo mất người nhà"}
    assert set(change.after["aliases"]) == set(record.aliases)
    # an editor's change: reloading the seed files at the next start keeps it
    seed_procedures(db)
    db.commit()
    assert "giấy báo mất người nhà" in procedures.to_record(procedures.get_by_code(db, DEATH)).aliases
    # the search sees it at once
    from knowledge.procedures.search import ProcedureSearch

    assert ProcedureSearch().search(db, "giấy báo mất người nhà", limit=1)[0].code == DEATH


def test_an_alias_is_unique_after_folding(db: Session) -> None:
    same = _turn(db, "KHAI TU")
    with pytest.raises(DecisionError, match="khai tử.*thủ tục này"):
        service.assign_alias(db, same, DEATH, actor=Actor("editor1"))
    db.rollback()
    other = next(p.code for p in procedures.list_published(db) if p.code != DEATH)
    with pytest.raises(DecisionError, match=f"khai tử.*{DEATH}"):
        service.assign_alias(db, same, other, actor=Actor("editor1"), alias="Khai tu")
    db.rollback()
    with pytest.raises(DecisionError, match="trống"):
        service.assign_alias(db, same, other, actor=Actor("editor1"), alias=" ... ")
    db.rollback()
    with pytest.raises(DecisionError, match="Không có thủ tục"):
        service.assign_alias(db, same, "9.999999", actor=Actor("editor1"), alias="tên mới")
    db.rollback()
    assert service.pending_count(db) == 1 and _audit(db) == []


def test_intent_options_come_from_the_domain_with_vietnamese_labels() -> None:
    options = {o["name"]: o["label"] for o in service.intent_options()}
    assert options["ask_fee"] == "Hỏi phí, lệ phí" and "request_human" in options
    assert all(label for label in options.values())
