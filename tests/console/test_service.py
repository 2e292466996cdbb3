"""The handoff rules on a private database: one officer takes a request, replies only in a taken
conversation, hands it back; the log the live streams read; audit entries for take and hand back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk.handoff import service
from servicedesk.handoff.models import HandoffMessage, HandoffRequest
from servicedesk.handoff.service import HandoffError

# A Tuesday at 09:00 and at 20:00 in Vietnam: the tests do not depend on the clock.
OFFICE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=service.VIETNAM)
EVENING = dt.datetime(2026, 11, 24, 20, 0, tzinfo=service.VIETNAM)
HOTLINE = "1900 0000"


@dataclass(frozen=True)
class Officer:
    username: str
    display_name: str
    role: str | None = "agent"


LAN = Officer("lan", "Nguyễn Thị Lan")
MINH = Officer("minh", "Trần Văn Minh")


def ask(session: Session, sender: str = "web-1", now: dt.datetime = OFFICE) -> HandoffRequest:
    outcome = service.request_handoff(session, sender_id=sender, channel=sender.split("-")[0], now=now)
    session.commit()
    return outcome.request


def test_a_request_is_recorded_once_and_logged(session: Session) -> None:
    first = ask(session)
    again = ask(session)
    assert first.id == again.id and first.status == "queued"
    assert [(m.author, m.kind) for m in service.transcript(session, first.id)] == [("system", "queued")]
    assert [r.id for r in service.queue(session)] == [first.id]


def test_out_of_hours_requests_wait_and_join_the_queue_when_asked_again_in_office_hours(session: Session) -> None:
    request = ask(session, now=EVENING)
    assert request.status == "out_of_hours"
    assert ask(session, now=EVENING).id == request.id  # no duplicate when asked twice at night
    assert ask(session, now=OFFICE).status == "queued"


def test_only_one_officer_can_take_a_request(session: Session) -> None:
    request = ask(session)
    message = service.take(session, request.id, LAN)
    session.commit()
    assert message.kind == "taken" and "Nguyễn Thị Lan" in message.text
    assert request.status == "taken" and request.taken_by == "lan" and request.taken_at is not None
    with pytest.raises(HandoffError) as refused:
        service.take(session, request.id, MINH)
    assert refused.value.code == "conflict" and "lan" in refused.value.message
    with pytest.raises(HandoffError) as again:
        service.take(session, request.id, LAN)
    assert again.value.code == "conflict"


def test_out_of_hours_requests_can_be_taken(session: Session) -> None:
    request = ask(session, now=EVENING)
    service.take(session, request.id, LAN)
    assert request.status == "taken"


def test_unknown_requests_are_not_found(session: Session) -> None:
    with pytest.raises(HandoffError) as missing:
        service.take(session, 999, LAN)
    assert missing.value.code == "not_found"


def test_replies_need_a_taken_conversation_and_its_officer(session: Session) -> None:
    request = ask(session)
    with pytest.raises(HandoffError) as not_taken:
        service.post_agent_reply(session, request.id, LAN, "Chào anh/chị")
    assert not_taken.value.code == "conflict"
    service.take(session, request.id, LAN)
    with pytest.raises(HandoffError) as other:
        service.post_agent_reply(session, request.id, MINH, "Chào anh/chị")
    assert other.value.code == "forbidden"
    for blank in ("", "   "):
        with pytest.raises(HandoffError) as invalid:
            service.post_agent_reply(session, request.id, LAN, blank)
        assert invalid.value.code == "invalid"
    with pytest.raises(HandoffError):
        service.post_agent_reply(session, request.id, LAN, "x" * (service.MAX_TEXT_CHARS + 1))
    reply = service.post_agent_reply(session, request.id, LAN, "  Chào anh/chị, em là Lan.  ")
    assert reply.author == "agent" and reply.text == "Chào anh/chị, em là Lan." and reply.agent_name == "Nguyễn Thị Lan"


def test_transcript_and_hand_back(session: Session) -> None:
    request = ask(session)
    service.take(session, request.id, LAN)
    assert service.taken_for_sender(session, "web-1") is request
    service.record_citizen_message(session, request.id, "Tôi cần hỏi về hộ khẩu")
    service.post_agent_reply(session, request.id, LAN, "Anh/chị cần làm thủ tục gì ạ?")
    closing, was_taken = service.hand_back(session, request.id, LAN, hotline=HOTLINE)
    session.commit()
    assert was_taken and "Trợ lý tự động tiếp tục" in closing.text
    assert request.status == "closed" and request.closed_by == "lan" and request.closed_at is not None
    assert [(m.author, m.kind) for m in service.transcript(session, request.id)] == [
        ("system", "queued"),
        ("system", "taken"),
        ("citizen", "message"),
        ("agent", "message"),
        ("system", "closed"),
    ]
    assert service.taken_for_sender(session, "web-1") is None and service.queue(session) == []
    with pytest.raises(HandoffError) as closed:
        service.post_agent_reply(session, request.id, LAN, "Còn gì nữa không ạ?")
    assert closed.value.code == "conflict"
    with pytest.raises(HandoffError):
        service.hand_back(session, request.id, LAN, hotline=HOTLINE)
    assert ask(session).id != request.id  # asking again later is a new request


def test_only_the_officer_who_took_it_hands_back_unless_overridden(session: Session) -> None:
    request = ask(session)
    service.take(session, request.id, LAN)
    with pytest.raises(HandoffError) as refused:
        service.hand_back(session, request.id, MINH, hotline=HOTLINE)
    assert refused.value.code == "forbidden"
    _message, was_taken = service.hand_back(session, request.id, MINH, hotline=HOTLINE, override=True)
    assert was_taken and request.closed_by == "minh"


def test_a_request_nobody_took_can_be_closed(session: Session) -> None:
    request = ask(session, now=EVENING)
    closing, was_taken = service.hand_back(session, request.id, MINH, hotline=HOTLINE)
    assert not was_taken and HOTLINE in closing.text and request.status == "closed"


def test_the_citizen_stream_sees_only_what_the_citizen_is_shown(session: Session) -> None:
    mine, other = ask(session, "web-1"), ask(session, "web-2")
    start = service.last_message_id(session, "web-1")
    service.take(session, mine.id, LAN)
    service.take(session, other.id, MINH)
    service.record_citizen_message(session, mine.id, "Xin chào")
    service.post_agent_reply(session, mine.id, LAN, "Em chào anh/chị")
    session.commit()
    lines = service.messages_after(session, start, sender_id="web-1")
    assert [(m.author, m.kind) for m, _r in lines] == [("system", "taken"), ("agent", "message")]
    assert all(r.id == mine.id for _m, r in lines)
    everything = service.messages_after(session, start)  # the console sees it all
    assert len(everything) == 4 + 1  # two takes, the citizen, the officer, and web-2's queued line
    assert service.last_message_id(session, "web-1") == lines[-1][0].id


def test_take_and_hand_back_are_audited(session: Session) -> None:
    from core.audit.models import AuditEntry

    request = ask(session)
    service.take(session, request.id, LAN)
    service.hand_back(session, request.id, LAN, hotline=HOTLINE)
    session.commit()
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "handoff_request").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["handoff.take", "handoff.hand_back"]
    assert all(e.entity_id == str(request.id) for e in entries)


def test_messages_are_deleted_with_their_request(session: Session) -> None:
    request = ask(session)
    session.delete(request)
    session.commit()
    assert session.scalars(select(HandoffMessage)).all() == []
