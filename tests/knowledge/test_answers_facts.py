"""Answers never turn a caveat into a certainty (issue 15).

Every kind of fee (free, amount, by_regulation, unclear, unknown) and of deadline (working_days,
days, same_day, unclear, unknown) is said as the kind it is by every answer that states it: the
fee and time answers, the card (the default answer) and its payload, the online answer and the
officer console's summary. Then a sweep over the reviewed seed and over the national catalogue
sample as the importer reads it: no rendering says or implies "miễn phí" for a fee that is not
``free``, and no deadline of kind ``unclear`` is said without its caveat.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, selectinload

from bot.vntext import fold
from core.audit.actor import Actor
from knowledge.procedures import answers, service
from knowledge.procedures.models import Procedure, ProcedureChannel
from knowledge.procedures.schemas import ProcedureRecord
from knowledge.procedures.suggest import facts_of
from knowledge.seed.loader import seed_procedures

CODE = "9.990001"
SOURCE = "https://example.invalid/nguon"
CATALOGUE = Path("procedures") / "national-catalogue-sample.jsonl"
EMBASSY = "tại cơ quan đại diện Việt Nam ở nước ngoài"
COUNCIL = "Nghị quyết của Hội đồng nhân dân cấp tỉnh"

WORKING_DAYS: dict[str, Any] = {
    "processing_time": "05 ngày làm việc kể từ ngày nhận hồ sơ",
    "processing_days": 5,
    "deadline_kind": "working_days",
}
FREE: dict[str, Any] = {"fee": "Miễn phí", "fee_kind": "free"}

# "Miễn phí", "không thu phí": a fee said to be free (folded). "Miễn lệ phí cho người thuộc hộ
# nghèo" is an exemption for some, not a free fee.
SAYS_FREE = re.compile(r"\bmien phi\b|\bkhong (?:thu|mat|phai nop) (?:phi|le phi)\b")
# What the portal shows, quoted and attributed ("Cổng … ghi “Miễn phí”"): not the assistant's word.
QUOTED = re.compile(r"ghi:?\s*(?:“[^”]*”|\"[^\"]*\")")
# A clause that frees only some: "Miễn phí chứng thực hợp đồng thế chấp cho cá nhân vay vốn…",
# "Cá nhân vay vốn … không phải nộp phí chứng thực", "miễn phí khi đăng ký đúng hạn". A clause
# says the fee is free when it opens with it ("Miễn phí", "…: Miễn phí", "Miễn phí (Cổng ghi …)").
FOR_SOME = re.compile(r"\b(?:cho|khi|doi voi|truong hop|neu|tru)\b")
CLAUSE_END = re.compile(r"[.;:(\n—]")


def _says_free(text: str | None) -> bool:
    """Whether ``text`` says the fee is free (what the portal is quoted to show, or an exemption
    for some, is not saying so)."""
    for clause in CLAUSE_END.split(fold(QUOTED.sub("", text or ""))):
        clause = clause.strip(" •,\"'“”)")
        if SAYS_FREE.match(clause) and not FOR_SOME.search(clause):
            return True
    return False


def _store(
    session: Session,
    *channels: dict[str, Any],
    guidance: list[str] | None = None,
    documents: list[dict[str, Any]] | None = None,
) -> Procedure:
    record = ProcedureRecord.model_validate(
        {
            "code": CODE,
            "name": "Cấp giấy phép thử nghiệm",
            "levels": ["xa"],
            "channels": [{"kind": "in_person", **c} for c in channels],
            "documents": [{"name": "Tờ khai", "kind": "original", "count": 1}] if documents is None else documents,
            "guidance": guidance or [],
            "online_url": SOURCE if any(c.get("kind") == "online" for c in channels) else None,
            "source_url": SOURCE,
        }
    )
    service.upsert(session, record, actor=Actor("test"))
    session.commit()
    procedure = service.get_by_code(session, CODE)
    assert procedure is not None
    return procedure


def _payload_channels(proc: Procedure) -> list[dict[str, Any]]:
    card = answers.card_payload(proc)
    channels = card["channels"]
    assert isinstance(channels, list)
    return channels


def _line(text: str, prefix: str) -> str:
    [line] = [line for line in text.splitlines() if line.startswith(prefix)]
    return line


# --- fees, kind by kind ------------------------------------------------------------------------


def test_free_reads_free_everywhere(session: Session) -> None:
    proc = _store(session, {**FREE, **WORKING_DAYS})
    assert _line(answers.fee_answer(proc), "• Nộp trực tiếp") == "• Nộp trực tiếp: Miễn phí"
    assert _line(answers.card_answer(proc), "• Nộp trực tiếp") == (
        "• Nộp trực tiếp: 05 ngày làm việc kể từ ngày nhận hồ sơ; phí, lệ phí: Miễn phí"
    )
    [channel] = _payload_channels(proc)
    assert channel["fee"] == "Miễn phí" and channel["fee_kind"] == "free" and channel["notes"] == []
    assert facts_of(proc).fee == "Miễn phí"


def test_a_free_fee_keeps_the_note_that_changes_it_and_drops_the_one_that_does_not(session: Session) -> None:
    note = "Gửi kèm bản sao có chứng thực các giấy tờ. Phí cấp bản sao trích lục (nếu có yêu cầu) theo Thông tư 281/2016/TT-BTC."
    proc = _store(session, {**FREE, **WORKING_DAYS, "note": note})
    assert _line(answers.fee_answer(proc), "• Nộp trực tiếp") == f"• Nộp trực tiếp: Miễn phí — {note}"
    card = answers.card_answer(proc)
    assert "• Lưu ý: Phí cấp bản sao trích lục (nếu có yêu cầu) theo Thông tư 281/2016/TT-BTC." in card
    assert "Gửi kèm" not in card  # not about the fee or the deadline: the card stays short
    assert _payload_channels(proc)[0]["notes"] == [
        "Phí cấp bản sao trích lục (nếu có yêu cầu) theo Thông tư 281/2016/TT-BTC."
    ]
    assert facts_of(proc).fee == (
        "Miễn phí (lưu ý: Phí cấp bản sao trích lục (nếu có yêu cầu) theo Thông tư 281/2016/TT-BTC.)"
    )


def test_an_amount_is_said_as_stated_with_its_unit(session: Session) -> None:
    proc = _store(session, {"fee": "10.000 đồng", "fee_vnd": 10000, "fee_unit": "trường hợp", "fee_kind": "amount"})
    assert _line(answers.fee_answer(proc), "• Nộp trực tiếp") == "• Nộp trực tiếp: 10.000 đồng/trường hợp"
    assert _line(answers.card_answer(proc), "• Nộp trực tiếp").endswith("phí, lệ phí: 10.000 đồng/trường hợp")
    assert _payload_channels(proc)[0]["fee"] == "10.000 đồng/trường hợp"
    assert facts_of(proc).fee == "10.000 đồng/trường hợp"


def test_two_channels_of_one_kind_are_told_apart_by_their_condition(session: Session) -> None:
    proc = _store(
        session,
        {"fee": "10.000 đồng/trường hợp", "fee_vnd": 10000, "fee_unit": "trường hợp", "fee_kind": "amount"},
        {"fee": "10 USD/bản", "fee_unit": "bản", "fee_kind": "amount", "condition": EMBASSY},
    )
    fee = answers.fee_answer(proc)
    assert "• Nộp trực tiếp: 10.000 đồng/trường hợp" in fee.splitlines()
    assert f"• Nộp trực tiếp ({EMBASSY}): 10 USD/bản" in fee.splitlines()
    card = answers.card_answer(proc)
    assert f"• Nộp trực tiếp ({EMBASSY}): chưa có thông tin; phí, lệ phí: 10 USD/bản" in card.splitlines()
    labels = [c["label"] for c in _payload_channels(proc)]
    assert labels == ["Nộp trực tiếp", f"Nộp trực tiếp ({EMBASSY})"]
    assert _payload_channels(proc)[1]["condition"] == EMBASSY
    assert facts_of(proc).fee == f"Nộp trực tiếp: 10.000 đồng/trường hợp; Nộp trực tiếp ({EMBASSY}): 10 USD/bản"


def test_two_channels_of_one_kind_without_a_condition_are_numbered(session: Session) -> None:
    proc = _store(
        session,
        {"fee": "10.000 đồng", "fee_vnd": 10000, "fee_kind": "amount"},
        {"fee": "20.000 đồng", "fee_vnd": 20000, "fee_kind": "amount"},
    )
    assert [c["label"] for c in _payload_channels(proc)] == ["Nộp trực tiếp (cách 1)", "Nộp trực tiếp (cách 2)"]


def test_a_council_fee_is_never_free_and_says_it_differs_by_province(session: Session) -> None:
    note = "Mức lệ phí cụ thể do Hội đồng nhân dân cấp tỉnh quyết định; miễn lệ phí cho người thuộc hộ nghèo."
    proc = _store(
        session,
        {"fee": "Miễn phí", "fee_kind": "by_regulation", "fee_basis": COUNCIL, "note": note, **WORKING_DAYS},
    )
    fee = answers.fee_answer(proc)
    # The note's exemption is the source's word, quoted: the assistant has just said the fee is the council's.
    assert _line(fee, "• Nộp trực tiếp") == f"• Nộp trực tiếp: {answers.COUNCIL_FEE} — nguồn ghi “{note}”"
    assert "khác nhau giữa các tỉnh" in fee and "Trung tâm Phục vụ hành chính công" in fee and SOURCE in fee
    card = answers.card_answer(proc)
    assert _line(card, "• Nộp trực tiếp").endswith(f"phí, lệ phí: {answers.COUNCIL_FEE_SHORT}")
    assert f"• Lưu ý: nguồn ghi “{note}”" in card.splitlines()
    [channel] = _payload_channels(proc)
    assert channel["fee"] == answers.COUNCIL_FEE_SHORT and channel["fee_kind"] == "by_regulation"
    console = facts_of(proc).fee
    assert console is not None and answers.COUNCIL_FEE in console and note in console
    for text in (fee, card, str(channel["fee"]), console, answers.online_answer(proc)):
        assert not _says_free(text), text


def test_a_fee_set_by_an_instrument_names_it(session: Session) -> None:
    basis = "Thông tư 244/2016/TT-BTC"
    proc = _store(session, {"fee": "Miễn phí", "fee_kind": "by_regulation", "fee_basis": basis})
    fee = answers.fee_answer(proc)
    assert _line(fee, "• Nộp trực tiếp") == f"• Nộp trực tiếp: mức thu theo {basis} (em chưa có số tiền cụ thể)"
    assert SOURCE in _line(fee, "Số tiền cụ thể theo văn bản")
    assert _line(answers.card_answer(proc), "• Nộp trực tiếp").endswith(f"phí, lệ phí: theo {basis}")
    assert facts_of(proc).fee == f"mức thu theo {basis} (em chưa có số tiền cụ thể)"
    assert not any(_says_free(t) for t in (fee, answers.card_answer(proc), facts_of(proc).fee))


def test_an_amount_the_portal_shows_beside_a_council_rule_is_the_portals(session: Session) -> None:
    proc = _store(session, {"fee": "50.000 đồng", "fee_kind": "by_regulation", "fee_basis": COUNCIL})
    assert _line(answers.fee_answer(proc), "• Nộp trực tiếp") == (
        f"• Nộp trực tiếp: Cổng ghi 50.000 đồng, nhưng {answers.COUNCIL_FEE}"
    )
    # The card does not state the portal's amount as the fee.
    assert "50.000" not in answers.card_answer(proc)


@pytest.mark.parametrize("cell", ["50 VNĐ", "Miễn phí"])
def test_an_unclear_fee_says_what_the_portal_shows_and_to_confirm_it(session: Session, cell: str) -> None:
    proc = _store(session, {"fee": cell, "fee_kind": "unclear", "note": "Mô tả trên Cổng ghi 25.000 đồng/hồ sơ."})
    fee = answers.fee_answer(proc)
    assert _line(fee, "• Nộp trực tiếp").startswith(
        f"• Nộp trực tiếp: Cổng Dịch vụ công ghi “{cell}”, {answers.FEE_CAVEAT}"
    )
    assert SOURCE in _line(fee, "Thông tin phí, lệ phí trên Cổng chưa rõ ràng")
    card = answers.card_answer(proc)
    assert _line(card, "• Nộp trực tiếp").endswith(f"phí, lệ phí: {answers.FEE_CAVEAT_SHORT}")
    assert cell not in card.replace("25.000", "")  # the card never shows the doubtful value as the fee
    assert _payload_channels(proc)[0]["fee"] == answers.FEE_CAVEAT_SHORT
    console = facts_of(proc).fee
    assert console is not None and answers.FEE_CAVEAT in console
    assert not any(_says_free(t) for t in (fee, card, console))
    assert "miễn phí" not in card.lower()


def test_an_unknown_fee_says_there_is_no_official_information(session: Session) -> None:
    proc = _store(session, {**WORKING_DAYS})
    assert answers.fee_answer(proc) == (
        f"Cấp giấy phép thử nghiệm ({CODE}): Hiện em chưa có thông tin chính thức về phí, lệ phí "
        f"của thủ tục này. Anh/chị xem chi tiết tại {SOURCE}"
    )
    assert _line(answers.card_answer(proc), "• Nộp trực tiếp").endswith("phí, lệ phí: chưa có thông tin")
    assert _payload_channels(proc)[0]["fee"] == "chưa có thông tin"
    assert facts_of(proc).fee is None


def test_a_fee_text_whose_kind_nobody_stated_is_not_a_certainty(session: Session) -> None:
    proc = _store(session, {"fee": "Miễn phí"})  # fee_kind left "unknown"
    assert not _says_free(answers.card_answer(proc)) and not _says_free(facts_of(proc).fee)
    assert "Cổng Dịch vụ công ghi “Miễn phí” (chưa được kiểm tra, cần xác minh)" in answers.fee_answer(proc)


def test_a_deadline_text_whose_kind_nobody_stated_is_not_a_certainty(session: Session) -> None:
    proc = _store(session, {**FREE, "processing_time": "3 ngày làm việc"})  # deadline_kind left "unknown"
    said = "Cổng ghi “3 ngày làm việc” — chưa được kiểm tra, cần xác minh"
    assert _line(answers.processing_time_answer(proc), "• Nộp trực tiếp") == f"• Nộp trực tiếp: {said}"
    assert _line(answers.card_answer(proc), "• Nộp trực tiếp") == f"• Nộp trực tiếp: {said}; phí, lệ phí: Miễn phí"
    assert facts_of(proc).processing_time == said


def test_the_card_stays_short_and_says_where_the_rest_of_a_note_is(session: Session) -> None:
    long_sentence = (
        "Mức thu theo Thông tư 25/2022/TT-BTC: "
        + ", ".join(f"trường hợp {i} thu {i}.000 đồng" for i in range(1, 40))
        + "."
    )
    others = " ".join(f"Lệ phí loại {i} theo Thông tư {i}/2020/TT-BTC." for i in range(1, 5))
    proc = _store(
        session, {"fee": "20.000 đồng", "fee_vnd": 20000, "fee_kind": "amount", "note": f"{long_sentence} {others}"}
    )
    assert long_sentence in answers.fee_answer(proc)  # the fee answer says the note whole
    notes = [line for line in answers.card_answer(proc).splitlines() if line.startswith("• Lưu ý")]
    assert len(notes) == answers.MAX_CARD_NOTES
    assert "… (xem đầy đủ tại nguồn)" in notes[0] and len(notes[0]) < answers.NOTE_CHARS + 40
    assert "• …và 2 lưu ý khác về phí, lệ phí, thời hạn (xem nguồn)." in answers.card_answer(proc).splitlines()
    assert _payload_channels(proc)[0]["notes"][0] == long_sentence  # the payload keeps them whole


# --- deadlines, kind by kind -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "said"),
    [
        (WORKING_DAYS, "05 ngày làm việc kể từ ngày nhận hồ sơ"),
        ({"processing_time": "5", "processing_days": 5, "deadline_kind": "working_days"}, "5 ngày làm việc"),
        ({"processing_time": "15 ngày", "processing_days": 15, "deadline_kind": "days"}, "15 ngày"),
        ({"processing_days": 1.5, "deadline_kind": "days"}, "1,5 ngày"),
        ({"deadline_kind": "same_day"}, "Trong ngày làm việc"),
        (
            {
                "processing_time": "Trong ngày làm việc (nhận sau 15 giờ thì trả ngày làm việc tiếp theo)",
                "deadline_kind": "same_day",
            },
            "Trong ngày làm việc (nhận sau 15 giờ thì trả ngày làm việc tiếp theo)",
        ),
    ],
)
def test_a_firm_deadline_is_said_in_its_unit(session: Session, channel: dict[str, Any], said: str) -> None:
    proc = _store(session, {**FREE, **channel})
    assert _line(answers.processing_time_answer(proc), "• Nộp trực tiếp") == f"• Nộp trực tiếp: {said}"
    assert _line(answers.card_answer(proc), "• Nộp trực tiếp") == f"• Nộp trực tiếp: {said}; phí, lệ phí: Miễn phí"
    assert _payload_channels(proc)[0]["processing_time"] == said
    assert facts_of(proc).processing_time == said


def test_a_deadline_whose_unit_was_lost_is_never_firm(session: Session) -> None:
    note = 'Cổng ghi thời hạn "5", không ghi rõ đơn vị. Tiếp nhận giờ hành chính.'
    proc = _store(session, {**FREE, "processing_time": "5", "deadline_kind": "unclear", "note": note})
    said = f"Cổng ghi “5” — {answers.DEADLINE_CAVEAT}"
    time = answers.processing_time_answer(proc)
    assert _line(time, "• Nộp trực tiếp") == f'• Nộp trực tiếp: {said} — Cổng ghi thời hạn "5", không ghi rõ đơn vị.'
    assert SOURCE in _line(time, "Thời hạn trên Cổng chưa rõ ràng")
    card = answers.card_answer(proc)
    assert _line(card, "• Nộp trực tiếp") == f"• Nộp trực tiếp: {said}; phí, lệ phí: Miễn phí"
    assert '• Lưu ý: Cổng ghi thời hạn "5", không ghi rõ đơn vị.' in card.splitlines()  # the deadline's note
    [channel] = _payload_channels(proc)
    assert channel["processing_time"] == said and channel["deadline_kind"] == "unclear"
    assert facts_of(proc).processing_time == f'{said} (lưu ý: Cổng ghi thời hạn "5", không ghi rõ đơn vị.)'
    for text in (time, card, answers.online_answer(proc), facts_of(proc).processing_time or ""):
        assert "5 ngày làm việc" not in text


def test_a_long_unclear_deadline_is_not_quoted_in_the_card(session: Session) -> None:
    text = 'Cổng ghi "1" (không rõ đơn vị); trả kết quả theo phiếu hẹn.'
    proc = _store(session, {**FREE, "processing_time": text, "deadline_kind": "unclear"})
    assert _line(answers.processing_time_answer(proc), "• Nộp trực tiếp") == (
        f"• Nộp trực tiếp: {text.rstrip('.')} — {answers.DEADLINE_CAVEAT}"
    )
    assert _line(answers.card_answer(proc), "• Nộp trực tiếp") == (
        f"• Nộp trực tiếp: {answers.DEADLINE_CAVEAT_SHORT}; phí, lệ phí: Miễn phí"
    )


def test_an_unknown_deadline_says_there_is_no_official_information(session: Session) -> None:
    proc = _store(session, {**FREE})
    assert "chưa có thông tin chính thức về thời hạn giải quyết" in answers.processing_time_answer(proc)
    assert _line(answers.card_answer(proc), "• Nộp trực tiếp") == (
        "• Nộp trực tiếp: chưa có thông tin; phí, lệ phí: Miễn phí"
    )
    assert facts_of(proc).processing_time is None


def test_the_online_answer_says_its_channels_facts_as_their_kinds(session: Session) -> None:
    proc = _store(
        session,
        {**FREE, **WORKING_DAYS},
        {
            "kind": "online",
            "fee_kind": "by_regulation",
            "fee_basis": COUNCIL,
            "processing_time": "5",
            "deadline_kind": "unclear",
        },
    )
    online = answers.online_answer(proc)
    assert (
        f"Khi nộp trực tuyến: thời hạn Cổng ghi “5” — {answers.DEADLINE_CAVEAT}; phí, lệ phí: {answers.COUNCIL_FEE}."
        in online
    )
    assert not _says_free(online) and SOURCE in online


# --- documents and guidance -------------------------------------------------------------------


def test_guidance_follows_the_documents_and_is_never_one(session: Session) -> None:
    guidance = [
        "Trường hợp ủy quyền thì văn bản ủy quyền phải được chứng thực.",
        "Nộp bản sao thì xuất trình bản chính để đối chiếu.",
    ]
    proc = _store(session, {**FREE}, guidance=guidance)
    lines = answers.documents_answer(proc).splitlines()
    assert lines[1] == "• Tờ khai (1 bản chính)"
    assert lines[2:4] == [f"Lưu ý: {g}" for g in guidance]
    assert not any(line.startswith("•") and "ủy quyền" in line for line in lines)
    assert "Tờ khai" in lines[1] and lines[-1].startswith("Nguồn:")
    assert facts_of(proc).documents == ["Tờ khai"]


def test_guidance_is_said_even_when_no_document_is_known(session: Session) -> None:
    proc = _store(session, {**FREE}, guidance=["Hồ sơ nộp 01 bộ."], documents=[])
    text = answers.documents_answer(proc)
    assert "chưa có thông tin chính thức về thành phần hồ sơ" in text
    assert text.splitlines()[-1] == "Lưu ý: Hồ sơ nộp 01 bộ."


# --- the sweep: the seed, and the national catalogue sample as imported ------------------------


def _channel_renderings(proc: Procedure, channel: ProcedureChannel, index: int) -> list[str]:
    payload = _payload_channels(proc)[index]
    return [
        answers.fee_text(channel),
        answers.fee_text(channel, short=True),
        answers.console_fee(channel) or "",
        str(payload["fee"]),
        _line_of(answers.fee_answer(proc), proc, channel),
        _line_of(answers.card_answer(proc), proc, channel),
    ]


def _line_of(text: str, proc: Procedure, channel: ProcedureChannel) -> str:
    prefix = f"• {answers.channel_label(channel, proc.channels)}: "
    return next((line for line in text.splitlines() if line.startswith(prefix)), "")


def _time_renderings(proc: Procedure, channel: ProcedureChannel, index: int) -> list[str]:
    payload = _payload_channels(proc)[index]
    return [
        answers.time_text(channel),
        answers.time_text(channel, short=True),
        answers.console_time(channel) or "",
        str(payload["processing_time"]),
    ]


def _payload_words(proc: Procedure) -> str:
    return "\n".join(
        f"{c['label']}: {c['processing_time']}; {c['fee']}; {' '.join(c['notes'])}" for c in _payload_channels(proc)
    )


def _sweep(procedures: list[Procedure]) -> tuple[list[str], dict[str, int]]:
    """What is wrong, and how many channels of each kind were checked."""
    problems: list[str] = []
    checked: dict[str, int] = {}
    for proc in procedures:
        all_kinds = {answers.fee_kind(c) for c in proc.channels}
        whole = [
            answers.fee_answer(proc),
            answers.card_answer(proc),
            answers.processing_time_answer(proc),
            answers.online_answer(proc),
            _payload_words(proc),
            facts_of(proc).fee or "",
        ]
        if proc.channels and "free" not in all_kinds:
            problems += [f"{proc.code}: says free: {t[:300]!r}" for t in whole if _says_free(t)]
        for index, channel in enumerate(proc.channels):
            fee, deadline = answers.fee_kind(channel), answers.deadline_kind(channel)
            checked[f"fee {fee}"] = checked.get(f"fee {fee}", 0) + 1
            checked[f"deadline {deadline}"] = checked.get(f"deadline {deadline}", 0) + 1
            if fee != "free":
                for text in _channel_renderings(proc, channel, index):
                    if _says_free(text):
                        problems.append(f"{proc.code} {channel.kind} ({fee}): says free: {text[:300]!r}")
                card_line = _line_of(answers.card_answer(proc), proc, channel)
                if "miễn phí" in card_line.lower():
                    problems.append(f"{proc.code} {channel.kind} ({fee}): card shows Miễn phí: {card_line!r}")
            if fee == "by_regulation":
                basis = channel.fee_basis or ""
                said = answers.fee_text(channel)
                if "Hội đồng nhân dân" not in said and basis not in said:
                    problems.append(f"{proc.code} {channel.kind}: rule not named: {said!r}")
            if deadline == "unclear":
                for text in _time_renderings(proc, channel, index):
                    if answers.TO_CONFIRM not in text:
                        problems.append(f"{proc.code} {channel.kind}: unclear deadline said firm: {text!r}")
                time_line = _line_of(answers.processing_time_answer(proc), proc, channel)
                if answers.TO_CONFIRM not in time_line:
                    problems.append(f"{proc.code} {channel.kind}: unclear deadline said firm: {time_line!r}")
    return problems, checked


def test_no_seed_answer_turns_a_caveat_into_a_certainty(session: Session) -> None:
    seed_procedures(session)
    session.commit()
    procedures = service.list_published(session)
    assert len(procedures) >= 48
    problems, checked = _sweep(procedures)
    assert not problems, "\n".join(problems[:40])
    assert sum(v for k, v in checked.items() if k.startswith("fee ")) >= 48


@pytest.fixture(scope="module")
def imported(reference_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Procedure]]:
    """The national catalogue sample, imported once into its own SQLite database."""
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    import database.models  # noqa: F401 - every table on Base.metadata
    from core.db import Base, make_engine
    from knowledge.importer import import_file

    catalogue = reference_dir / CATALOGUE
    if not catalogue.exists():
        pytest.skip(f"{catalogue} is missing")
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('answers') / 'knowledge.sqlite3'}")
    Base.metadata.create_all(engine)
    with sessionmaker(bind=engine, expire_on_commit=False)() as session:
        import_file(session, catalogue, actor=Actor("test"), allow_partial=True)
        stmt = select(Procedure).options(selectinload(Procedure.channels), selectinload(Procedure.documents))
        procedures = list(session.scalars(stmt))
        assert len(procedures) > 2000, "the catalogue sample was not imported"
        yield procedures
    engine.dispose()


@pytest.mark.slow
def test_no_answer_on_the_imported_sample_turns_a_caveat_into_a_certainty(imported: list[Procedure]) -> None:
    problems, checked = _sweep(imported)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
    for proc in imported:  # the card stays short whatever the source's notes are
        notes = [line for line in answers.card_answer(proc).splitlines() if line.startswith("• Lưu ý")]
        assert len(notes) <= answers.MAX_CARD_NOTES, proc.code
        assert all(len(line) < answers.NOTE_CHARS + 300 for line in notes), proc.code
    # The sample has every kind the issue is about: the sweep is not vacuous.
    for kind in (
        "fee free",
        "fee amount",
        "fee by_regulation",
        "fee unclear",
        "deadline working_days",
        "deadline unclear",
    ):
        assert checked.get(kind, 0) > 0, checked
