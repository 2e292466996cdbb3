"""What the assistant and the hotline console say about a procedure, in Vietnamese.

Every sentence is built from stored facts. When a fact is missing the answer says so and points
to the source page instead of guessing.

A fee or a deadline is said as the kind of fact it is (``knowledge.procedures.facts``), never
more certain than its source: only a ``free`` fee reads "Miễn phí"; a ``by_regulation`` fee names
the rule that sets it (a People's Council's differs by province, and the answer says where to
check); an ``unclear`` one says what the portal shows and that it must be confirmed, with the
source; a deadline whose unit was lost is never said as firm working days. A channel's note that
changes what its fee or its deadline means reaches every answer, the card and the officer
console; two channels of one kind are told apart by their ``condition``.
"""

from __future__ import annotations

import re
from typing import Any

from bot.vntext import fold
from knowledge.procedures.models import (
    CHANNEL_LABELS,
    DOCUMENT_KIND_LABELS,
    LEVEL_LABELS,
    Procedure,
    ProcedureChannel,
    ProcedureDocument,
)

MAX_CONDITIONAL_DOCUMENTS = 4
MAX_STEPS = 7

# --- how fees and deadlines are said (answers, card and officer console use these words) -----

FREE = "Miễn phí"
NO_INFORMATION = "chưa có thông tin"
TO_CONFIRM = "cần xác minh"
# After what the portal shows for a deadline whose unit was lost or that contradicts itself.
DEADLINE_CAVEAT = "chưa rõ đơn vị hoặc cách tính, cần xác minh"
DEADLINE_CAVEAT_SHORT = "chưa rõ, cần xác minh (xem nguồn)"
# After what the portal shows for a fee that contradicts itself or is implausible.
FEE_CAVEAT = "thông tin này chưa rõ ràng, cần xác minh trước khi nộp"
FEE_CAVEAT_SHORT = "chưa rõ, cần xác minh (xem nguồn)"
# After a fee or deadline text whose kind nobody has stated yet (a record not yet reviewed).
UNCHECKED = "chưa được kiểm tra, cần xác minh"
COUNCIL_FEE = "mức thu do Hội đồng nhân dân cấp tỉnh quy định nên khác nhau giữa các tỉnh, thành phố"
COUNCIL_FEE_SHORT = "theo mức Hội đồng nhân dân cấp tỉnh quy định (mỗi tỉnh một mức)"
NOTE_PREFIX = "Lưu ý"
# The card (the default answer) stays short: at most this many note lines, each sentence cut to
# this many characters (the fee and time answers say notes whole).
MAX_CARD_NOTES = 3
MAX_NAMED_CHANNELS = 3  # a note of more channels than this says how many, not which
NOTE_CHARS = 240
# A portal's deadline text is quoted in the card only when it is this short ("5", "1 tháng").
SHORT_QUOTE = 40

# --- which procedure? (knowledge.procedures.resolution decides; these are its words) ---------

# Several procedures match the question: the citizen picks one of the buttons.
CHOOSE_PROCEDURE = "Anh/chị muốn hỏi thủ tục nào dưới đây ạ?"
# No procedure is named, by the message or the conversation.
NAME_THE_PROCEDURE = (
    "Dạ, em chưa xác định được anh/chị hỏi thủ tục nào. Anh/chị nhắn giúp em tên thủ tục, "
    "ví dụ: “đăng ký khai sinh”, “đăng ký tạm trú”, “chứng thực bản sao” ạ."
)
# The assistant did not understand the message, and offers what it may have meant.
DID_YOU_MEAN = "Dạ, em chưa chắc đã hiểu đúng. Có phải anh/chị muốn hỏi một trong các nội dung sau không ạ?"
# The assistant did not understand the message and has nothing to offer.
SAY_IT_AGAIN = "Dạ, em chưa hiểu rõ ý anh/chị. Anh/chị nói rõ hơn tên thủ tục hoặc điều cần hỏi giúp em ạ."
# What the assistant can help with, as button titles, by the intent the button sends; offered in
# the order of the NLU's ranking when the message matched no procedure.
TOPIC_CHOICES: dict[str, str] = {
    "ask_documents": "Hỏi hồ sơ, giấy tờ",
    "ask_fee": "Hỏi lệ phí",
    "ask_processing_time": "Hỏi thời gian giải quyết",
    "ask_submission_place": "Hỏi nơi nộp hồ sơ",
    "ask_online_submission": "Nộp trực tuyến",
    "check_dossier_status": "Tra cứu hồ sơ",
    "find_office": "Tìm trung tâm hành chính công",
    "ask_unit_change": "Tra xã, phường mới",
    "give_feedback": "Gửi phản ánh",
}


def choice_title(name: str, code: str) -> str:
    """A procedure as a button title: the name a citizen knows, the code an officer can check."""
    return f"{name} ({code})"


def _source_line(proc: Procedure) -> str:
    parts = []
    if proc.source_url:
        parts.append(f"Nguồn: {proc.source_url}")
    if proc.last_verified:
        parts.append(f"cập nhật {proc.last_verified.strftime('%d/%m/%Y')}")
    return " · ".join(parts)


def _missing(proc: Procedure, what: str) -> str:
    where = f" Anh/chị xem chi tiết tại {proc.source_url}" if proc.source_url else ""
    return f"Hiện em chưa có thông tin chính thức về {what} của thủ tục này.{where}"


# --- the kinds of a channel's facts ---------------------------------------------------------
# Read with defaults: a channel built in memory (not loaded) has None until it is flushed.


def fee_kind(channel: ProcedureChannel) -> str:
    return getattr(channel, "fee_kind", None) or "unknown"


def deadline_kind(channel: ProcedureChannel) -> str:
    return getattr(channel, "deadline_kind", None) or "unknown"


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value else ""


def _condition(channel: ProcedureChannel) -> str:
    return _text(getattr(channel, "condition", None))


def channel_label(channel: ProcedureChannel, channels: list[ProcedureChannel] | None = None) -> str:
    """ "Nộp trực tiếp", or "Nộp trực tiếp (tại cơ quan đại diện Việt Nam ở nước ngoài)" when the
    channel has a condition. Two channels of one kind without one are numbered, so that they are
    at least not read as the same channel twice."""
    label = CHANNEL_LABELS.get(channel.kind, channel.kind)
    condition = _condition(channel)
    if condition:
        return f"{label} ({condition})"
    same = [c for c in channels or [] if c.kind == channel.kind]
    if len(same) > 1 and not any(_condition(c) for c in same if c is not channel):
        number = next(i for i, c in enumerate(same, start=1) if c is channel)
        return f"{label} (cách {number})"
    return label


def _says_free(text: str) -> bool:
    folded = fold(text)
    return bool(re.search(r"\bmien (?:phi|le phi|thu)\b|\bkhong (?:thu|mat|phai nop) (?:phi|le phi|tien)", folded))


_FREE_OPENING = re.compile(r"(?:mien (?:phi|le phi|thu)|khong (?:thu|mat|phai nop) (?:phi|le phi|tien))\b")
_CLAUSE_END = re.compile(r"[.;:(\n—]")


def _reads_free(text: str) -> bool:
    """Whether a clause of ``text`` opens with "miễn phí", "không thu phí"… (read alone, it says
    free; "Người thuộc diện miễn lệ phí…" names who is exempt and does not)."""
    return any(_FREE_OPENING.match(clause.strip(" •,'\"“”)")) for clause in _CLAUSE_END.split(fold(text)))


def _is_council(basis: str) -> bool:
    folded = fold(basis)
    return "hoi dong nhan dan" in folded or "hdnd" in folded


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _amount(channel: ProcedureChannel) -> str:
    """The amount exactly as the source states it, with its unit when the text lacks it."""
    text = _text(channel.fee)
    if not text or _says_free(text):
        text = _vnd(channel.fee_vnd) if channel.fee_vnd else text
    if not text:
        return NO_INFORMATION
    unit = _text(getattr(channel, "fee_unit", None))
    if unit and fold(unit) not in fold(text):
        text = f"{text}/{unit}"
    return text


def _portal_amount(channel: ProcedureChannel) -> str:
    """What the portal's fee cell shows, when it is worth quoting beside a rule: an amount, never
    a "Miễn phí" the rule contradicts."""
    text = _text(channel.fee)
    return "" if not text or _says_free(text) else text


def fee_text(channel: ProcedureChannel, *, short: bool = False) -> str:
    """The fee of one channel as its kind allows it to be said. ``short`` for the card."""
    kind = fee_kind(channel)
    if kind == "free":
        return FREE
    if kind == "amount":
        return _amount(channel)
    if kind == "by_regulation":
        basis = _text(getattr(channel, "fee_basis", None))
        portal = _portal_amount(channel)
        shown = f"Cổng ghi {portal}, nhưng " if portal and not short else ""
        if basis and _is_council(basis):
            if short:
                return COUNCIL_FEE_SHORT
            others = [part for part in basis.split("; ") if not _is_council(part)]
            also = f"; căn cứ: {', '.join(others)}" if others else ""
            return f"{shown}{COUNCIL_FEE}{also}"
        rule = basis or "văn bản quy định"
        if short:
            return f"theo {rule}"
        if portal:
            return f"{shown}mức thu cụ thể theo {rule}"
        return f"mức thu theo {rule} (em chưa có số tiền cụ thể)"
    text = _text(channel.fee)
    if kind == "unknown" and not text:
        return NO_INFORMATION
    # unclear, or a fee text whose kind nobody has stated yet: what the portal shows, to confirm.
    if short or not text:
        return FEE_CAVEAT_SHORT
    if kind == "unknown":
        return f"Cổng Dịch vụ công ghi “{text}” ({UNCHECKED})"
    return f"Cổng Dịch vụ công ghi “{text}”, {FEE_CAVEAT}"


def _days(days: float | None) -> str:
    if days is None:
        return "?"
    return str(int(days)) if float(days).is_integer() else f"{days:g}".replace(".", ",")


def time_text(channel: ProcedureChannel, *, short: bool = False) -> str:
    """The deadline of one channel as its kind allows it to be said. ``short`` for the card."""
    kind = deadline_kind(channel)
    text = _text(channel.processing_time)
    folded = fold(text)
    days = channel.processing_days
    if kind == "working_days" and days is not None:
        return text if "ngay lam viec" in folded else f"{_days(days)} ngày làm việc"
    if kind == "days" and days is not None:
        return text if "ngay" in folded and "ngay lam viec" not in folded else f"{_days(days)} ngày"
    if kind == "same_day":
        return text if "trong ngay" in folded else "Trong ngày làm việc"
    if kind == "unknown" and not text and days is None:
        return NO_INFORMATION
    # unclear (unit lost, contradictory), or a deadline whose kind nobody has stated yet.
    shown = text or (_days(days) if days is not None else "")
    if not shown:
        return DEADLINE_CAVEAT_SHORT if short else f"Thời hạn {DEADLINE_CAVEAT}"
    if short and len(shown) > SHORT_QUOTE:
        return DEADLINE_CAVEAT_SHORT
    caveat = UNCHECKED if kind == "unknown" else DEADLINE_CAVEAT
    if fold(shown).startswith("cong"):  # the text already says what the portal shows
        return f"{shown.rstrip('. ')} — {caveat}"
    return f"Cổng ghi “{shown}” — {caveat}"


# --- notes that change what a fact means ------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_FEE_NOTE = re.compile(
    r"\b(?:phi|le phi|muc thu|muc phi|mien|hoi dong nhan dan|hdnd|bieu phi|thanh toan|nop tien)\b"
    r"|\d\s*(?:dong|d|vnd|usd)\b"
)
_TIME_NOTE = re.compile(
    r"\b(?:thoi han|ngay lam viec|trong ngay|tra ket qua|phieu hen|don vi|hen tra|\d+ (?:ngay|gio|thang))\b"
)
# A sentence that qualifies the channel's facts whatever they are about.
_CAVEAT_NOTE = re.compile(
    r"\b(?:nguon chi|cong ghi|cong khong|khong ghi|chua ro|can kiem tra|can xac minh|chi ap dung|ap dung den|"
    r"mau thuan|khong ro)\b"
)


def _sentences(note: str) -> list[str]:
    parts: list[str] = []
    for piece in _SENTENCE_END.split(_text(note)):
        if parts and piece and not piece[0].isupper():  # "v.v. còn" is one sentence
            parts[-1] = f"{parts[-1]} {piece}"
        elif piece:
            parts.append(piece)
    return parts


def _is_fee_sentence(sentence: str) -> bool:
    folded = fold(sentence)
    return bool(_FEE_NOTE.search(folded) or (_CAVEAT_NOTE.search(folded) and not _TIME_NOTE.search(folded)))


def _is_time_sentence(sentence: str) -> bool:
    return bool(_TIME_NOTE.search(fold(sentence)))


def _as_said(channel: ProcedureChannel, text: str, *, short: bool = False) -> str:
    """A note as the answer says it. Beside a fee that is not ``free``, a note that reads free
    ("Không thu phí", "Miễn phí chứng thực … cho …") is quoted as the source's words, not said in
    the assistant's voice: the answer has just said the fee is set by a rule or must be confirmed.
    ``short`` (card, console): a long sentence is cut at a word and says where the rest is."""
    shown = _shortened(text) if short else text
    if fee_kind(channel) != "free" and _reads_free(text):
        return f"nguồn ghi “{shown}”"
    return shown


def _shortened(text: str) -> str:
    if len(text) <= NOTE_CHARS:
        return text
    cut = text[:NOTE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return f"{cut}… (xem đầy đủ tại nguồn)"


def fee_notes(channel: ProcedureChannel, *, short: bool = False) -> list[str]:
    """The sentences of the channel's note that change what its fee means."""
    return [_as_said(channel, s, short=short) for s in _sentences(channel.note or "") if _is_fee_sentence(s)]


def time_notes(channel: ProcedureChannel, *, short: bool = False) -> list[str]:
    """The sentences of the channel's note that change what its deadline means."""
    return [_as_said(channel, s, short=short) for s in _sentences(channel.note or "") if _is_time_sentence(s)]


def meaning_notes(channel: ProcedureChannel, *, short: bool = False) -> list[str]:
    """The sentences of the note that change what the fee or the deadline means, in order."""
    return [
        _as_said(channel, s, short=short)
        for s in _sentences(channel.note or "")
        if _is_fee_sentence(s) or _is_time_sentence(s)
    ]


def full_note(channel: ProcedureChannel) -> str:
    """The whole note, as the fee answer says it."""
    return _as_said(channel, _text(channel.note))


def _joined(sentences: list[str]) -> str:
    return " ".join(s if s.endswith((".", "!", "?", "”")) else f"{s}." for s in sentences)


def _where_to_check(proc: Procedure) -> str:
    where = "tại Trung tâm Phục vụ hành chính công nơi nộp hồ sơ"
    return f"{where}, hoặc xem tại {proc.source_url}" if proc.source_url else where


def _fee_advice(proc: Procedure) -> list[str]:
    """Where to check a fee the store cannot state as an amount."""
    kinds = {fee_kind(c) for c in proc.channels}
    bases = [_text(getattr(c, "fee_basis", None)) for c in proc.channels if fee_kind(c) == "by_regulation"]
    unstated = [c for c in proc.channels if fee_kind(c) == "unknown" and _text(c.fee)]
    lines = []
    if any(_is_council(b) for b in bases if b):
        lines.append(
            "Mức lệ phí do Hội đồng nhân dân từng tỉnh, thành phố quyết định nên mỗi nơi một khác; "
            f"anh/chị hỏi mức thu {_where_to_check(proc)}."
        )
    if any(not (b and _is_council(b)) for b in bases):
        lines.append(f"Số tiền cụ thể theo văn bản nêu trên: anh/chị kiểm tra {_where_to_check(proc)}.")
    if "unclear" in kinds or unstated:
        lines.append(f"Thông tin phí, lệ phí trên Cổng chưa rõ ràng: anh/chị xác minh {_where_to_check(proc)}.")
    return lines


# --- answers ----------------------------------------------------------------------------------


def _document_line(doc: ProcedureDocument) -> str:
    details = []
    if doc.count:
        kind = DOCUMENT_KIND_LABELS.get(doc.kind or "", "")
        details.append(f"{doc.count} {kind}".strip())
    elif doc.kind:
        details.append(DOCUMENT_KIND_LABELS.get(doc.kind, doc.kind))
    if doc.form:
        details.append(doc.form)
    suffix = f" ({'; '.join(details)})" if details else ""
    return f"• {doc.name}{suffix}"


def _guidance(proc: Procedure) -> list[str]:
    """Prose the source's document table carries: said after the documents, never as one."""
    return [f"{NOTE_PREFIX}: {_text(line)}" for line in getattr(proc, "guidance", None) or [] if _text(line)]


def documents_answer(proc: Procedure) -> str:
    if not proc.documents:
        lines = [f"{proc.name} ({proc.code}): " + _missing(proc, "thành phần hồ sơ"), *_guidance(proc)]
        return "\n".join(lines)
    required = [d for d in proc.documents if d.required]
    conditional = [d for d in proc.documents if not d.required]
    lines = [f"Hồ sơ {_lower_first(proc.name)} (mã {proc.code}) gồm:"]
    lines += [_document_line(d) for d in required] or ["• (không có giấy tờ bắt buộc chung)"]
    if conditional:
        lines.append("Trong một số trường hợp cần thêm:")
        for doc in conditional[:MAX_CONDITIONAL_DOCUMENTS]:
            when = f" — {doc.condition}" if doc.condition else ""
            lines.append(f"{_document_line(doc)}{when}")
        if len(conditional) > MAX_CONDITIONAL_DOCUMENTS:
            lines.append(f"…và {len(conditional) - MAX_CONDITIONAL_DOCUMENTS} trường hợp khác (xem nguồn).")
    lines += _guidance(proc)
    lines.append(_source_line(proc))
    return "\n".join(line for line in lines if line)


def _knows_fee(channel: ProcedureChannel) -> bool:
    return fee_kind(channel) != "unknown" or bool(_text(channel.fee))


def _knows_time(channel: ProcedureChannel) -> bool:
    return deadline_kind(channel) != "unknown" or bool(_text(channel.processing_time))


def fee_answer(proc: Procedure) -> str:
    if not any(_knows_fee(c) for c in proc.channels):
        return f"{proc.name} ({proc.code}): " + _missing(proc, "phí, lệ phí")
    lines = [f"Phí, lệ phí {_lower_first(proc.name)} (mã {proc.code}):"]
    for channel in proc.channels:
        note = f" — {full_note(channel)}" if _text(channel.note) else ""
        lines.append(f"• {channel_label(channel, proc.channels)}: {fee_text(channel)}{note}")
    lines += _fee_advice(proc)
    lines.append(_source_line(proc))
    return "\n".join(line for line in lines if line)


def processing_time_answer(proc: Procedure) -> str:
    if not any(_knows_time(c) for c in proc.channels):
        return f"{proc.name} ({proc.code}): " + _missing(proc, "thời hạn giải quyết")
    lines = [f"Thời hạn giải quyết {_lower_first(proc.name)} (mã {proc.code}):"]
    for channel in proc.channels:
        notes = time_notes(channel)
        note = f" — {_joined(notes)}" if notes else ""
        lines.append(f"• {channel_label(channel, proc.channels)}: {time_text(channel)}{note}")
    if any(deadline_kind(c) == "unclear" or (deadline_kind(c) == "unknown" and _knows_time(c)) for c in proc.channels):
        lines.append(f"Thời hạn trên Cổng chưa rõ ràng: anh/chị xác minh {_where_to_check(proc)}.")
    lines.append(_source_line(proc))
    return "\n".join(line for line in lines if line)


def steps_answer(proc: Procedure) -> str:
    if not proc.steps:
        return f"{proc.name} ({proc.code}): " + _missing(proc, "trình tự thực hiện")
    lines = [f"Các bước {_lower_first(proc.name)} (mã {proc.code}):"]
    lines += [f"{i}. {step}" for i, step in enumerate(proc.steps[:MAX_STEPS], start=1)]
    if len(proc.steps) > MAX_STEPS:
        lines.append("…(xem đầy đủ tại nguồn)")
    lines.append(_source_line(proc))
    return "\n".join(lines)


def level_phrase(proc: Procedure) -> str:
    levels = [LEVEL_LABELS.get(level, level) for level in proc.levels or []]
    return ", ".join(levels) if levels else "chưa rõ cấp thực hiện"


def submission_place_answer(proc: Procedure, centre_line: str | None = None) -> str:
    lines = [f"{proc.name} (mã {proc.code}) được giải quyết ở {level_phrase(proc)}."]
    if proc.agency:
        lines.append(f"Cơ quan thực hiện: {proc.agency}.")
    if proc.receiving_place:
        lines.append(f"Nơi tiếp nhận hồ sơ: {proc.receiving_place}.")
    elif not proc.agency:
        lines.append(_missing(proc, "nơi tiếp nhận hồ sơ"))
    if centre_line:
        lines.append(centre_line)
    if any(c.kind == "online" for c in proc.channels):
        lines.append("Anh/chị cũng có thể nộp trực tuyến trên Cổng Dịch vụ công quốc gia.")
    lines.append(_source_line(proc))
    return "\n".join(lines)


def online_answer(proc: Procedure) -> str:
    online = [c for c in proc.channels if c.kind == "online"]
    if not proc.channels:
        return f"{proc.name} ({proc.code}): " + _missing(proc, "hình thức nộp hồ sơ")
    if not online:
        kinds = ", ".join(dict.fromkeys(CHANNEL_LABELS.get(c.kind, c.kind).lower() for c in proc.channels))
        return (
            f"Theo thông tin công bố, {_lower_first(proc.name)} (mã {proc.code}) chưa nộp trực tuyến được; "
            f"hình thức nộp: {kinds}.\n{_source_line(proc)}"
        )
    lines = [f"Có ạ, {_lower_first(proc.name)} (mã {proc.code}) nộp trực tuyến được."]
    if proc.online_url:
        lines.append(f"Nộp tại: {proc.online_url}")
    for channel in online:
        details = []
        if _knows_time(channel):
            details.append(f"thời hạn {time_text(channel)}")
        if _knows_fee(channel):
            details.append(f"phí, lệ phí: {fee_text(channel)}")
        condition = f" ({_condition(channel)})" if _condition(channel) else ""
        if details:
            lines.append(f"Khi nộp trực tuyến{condition}: " + "; ".join(details) + ".")
        notes = meaning_notes(channel)
        if notes:
            lines.append(f"{NOTE_PREFIX}: {_joined(notes)}")
    if any(fee_kind(c) in ("by_regulation", "unclear") for c in online) or any(
        deadline_kind(c) == "unclear" for c in online
    ):
        lines.append(f"Anh/chị kiểm tra lại {_where_to_check(proc)}.")
    lines.append(_source_line(proc))
    return "\n".join(lines)


def _card_notes(proc: Procedure) -> list[str]:
    """Each distinct note sentence that changes a fact's meaning, once; named by its channel
    when not every channel says it."""
    by_sentence: dict[str, list[str]] = {}
    for channel in proc.channels:
        for sentence in meaning_notes(channel, short=True):
            by_sentence.setdefault(sentence, []).append(channel_label(channel, proc.channels))
    lines = []
    for sentence, labels in by_sentence.items():
        named = [_lower_first(label) for label in dict.fromkeys(labels)]
        if len(labels) == len(proc.channels):
            whose = ""
        elif len(named) > MAX_NAMED_CHANNELS:
            whose = f" ({len(named)} cách nộp)"
        else:
            whose = f" khi {', '.join(named)}"
        lines.append(f"• {NOTE_PREFIX}{whose}: {_joined([sentence])}")
    if len(lines) > MAX_CARD_NOTES:
        more = len(lines) - MAX_CARD_NOTES
        lines = lines[:MAX_CARD_NOTES] + [f"• …và {more} lưu ý khác về phí, lệ phí, thời hạn (xem nguồn)."]
    return lines


def card_answer(proc: Procedure) -> str:
    """The overview: what, where, how long, how much, and the source."""
    lines = [f"📄 {proc.name} (mã {proc.code})", f"• Cấp thực hiện: {level_phrase(proc)}"]
    if proc.agency:
        lines.append(f"• Cơ quan thực hiện: {proc.agency}")
    if proc.documents:
        required = [d.name for d in proc.documents if d.required]
        lines.append(f"• Hồ sơ: {len(proc.documents)} loại giấy tờ ({len(required)} bắt buộc chung)")
    for channel in proc.channels:
        lines.append(
            f"• {channel_label(channel, proc.channels)}: {time_text(channel, short=True)}; "
            f"phí, lệ phí: {fee_text(channel, short=True)}"
        )
    lines += _card_notes(proc)
    if proc.online_url:
        lines.append(f"• Nộp trực tuyến: {proc.online_url}")
    if proc.legal_basis:
        numbers = ", ".join(lb.get("number") or "" for lb in proc.legal_basis[:3] if lb.get("number"))
        if numbers:
            lines.append(f"• Căn cứ pháp lý: {numbers}")
    lines.append(_source_line(proc))
    return "\n".join(lines)


def card_payload(proc: Procedure) -> dict[str, object]:
    """Structured card for channels that can draw one (web widget, Zalo list template).

    ``fee`` and ``processing_time`` are the card's words (what a drawing shows as it is), with
    their kinds beside them; ``notes`` are the note sentences that change what they mean."""
    return {
        "type": "procedure_card",
        "code": proc.code,
        "name": proc.name,
        "levels": list(proc.levels or []),
        "agency": proc.agency,
        "channels": [
            {
                "kind": c.kind,
                "label": channel_label(c, proc.channels),
                "condition": _condition(c) or None,
                "processing_time": time_text(c, short=True),
                "deadline_kind": deadline_kind(c),
                "fee": fee_text(c, short=True),
                "fee_kind": fee_kind(c),
                "notes": meaning_notes(c),
            }
            for c in proc.channels
        ],
        "online_url": proc.online_url,
        "source_url": proc.source_url,
        "last_verified": proc.last_verified.isoformat() if proc.last_verified else None,
    }


# --- the officer console's summary (knowledge.procedures.suggest.facts_of) ---------------------


def console_fee(channel: ProcedureChannel) -> str | None:
    """One channel's fee as the officer reads it: as the fee answer says it, with the note's
    sentences that change it; None when the store knows nothing of it."""
    if not _knows_fee(channel):
        return None
    return _with_notes(fee_text(channel), fee_notes(channel, short=True))


def console_time(channel: ProcedureChannel) -> str | None:
    """One channel's deadline as the officer reads it, with the note's sentences that change it."""
    if not _knows_time(channel):
        return None
    return _with_notes(time_text(channel), time_notes(channel, short=True))


def _with_notes(text: str, notes: list[str]) -> str:
    return f"{text} ({NOTE_PREFIX.lower()}: {_joined(notes)})" if notes else text


def _lower_first(text: str) -> str:
    # "Đăng ký khai sinh" reads "hồ sơ đăng ký khai sinh"; keep acronyms and proper names as they are.
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text
