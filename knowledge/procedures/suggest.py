"""Suggestions for a hotline officer: the procedures a caller's question is about, what it asks
about them (documents, fee, time, place, online, steps) and an answer ready to read out.

The ranking is the assistant's own search (``ProcedureSearch``, revision-checked, so an edit in
the knowledge admin shows at once) and the answers are the assistant's own (``answers``), so the
officer and the bot never disagree, and a fact missing from the store is said to be missing,
with the source, rather than guessed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.vntext import normalize_folded
from knowledge.procedures import answers
from knowledge.procedures.models import Procedure, ProcedureChannel
from knowledge.procedures.search import ProcedureSearch, procedure_search

Aspect = Literal["documents", "fee", "time", "where", "online", "steps", "general"]
ASPECTS: tuple[Aspect, ...] = ("documents", "fee", "time", "where", "online", "steps", "general")
ASPECT_LABELS: dict[Aspect, str] = {
    "documents": "Thành phần hồ sơ",
    "fee": "Phí, lệ phí",
    "time": "Thời hạn giải quyết",
    "where": "Nơi nộp hồ sơ",
    "online": "Nộp trực tuyến",
    "steps": "Trình tự thực hiện",
    "general": "Thông tin chung",
}
MAX_LIMIT = 20
MAX_QUESTION_LENGTH = 500  # a caller's question, pasted; longer is a document, not a question

# Folded phrases (after abbreviations are expanded: "bn" is "bao nhieu", "dc" is "duoc") that say
# what the question asks. Checked in this order, so "nộp online mất bao lâu" asks about time and
# "phí nộp online" about the fee: the channel is then only the context of the question. "Làm thế
# nào" asks for the procedure as a whole (the card), not its steps; "các bước" does.
_ASPECT_PATTERNS: tuple[tuple[Aspect, str], ...] = (
    ("steps", r"cac buoc|tung buoc|may buoc|nhung buoc|buoc \w+|quy+ trinh|trinh tu|thu tu|step by step"),
    (
        "time",
        r"bao lau|lau (?:khong|ko|hok|hong|vay|ko)|co lau|may ngay|bao nhieu ngay|may tuan|bao nhieu tuan|may thang"
        r"|may hom|may bua|thoi gian|thoi han|khi nao|bao gio|ngay nao|lay nhanh|lam nhanh|lay ngay|lay duoc"
        r"|co kip|kip khong|ngay lam viec|trong ngay|nhanh khong|lam gap|co ket qua|nhan ket qua|hen tra|tra ket qua",
    ),
    (
        "fee",
        r"le ph\w*|chi phi|mien phi|ph+i+s?(?! nong nghiep)|bao nhieu tien"
        r"|(?:tra|mat|ton|het|thu|dong|nop|them|bao nhieu)(?: \w+)? tien|tien ho so|ton nhieu|ton kem"
        r"|bao nhieu(?! (?:ngay|lau|tuan|thang|buoc|loai|giay|ban|lan))"
        r"|mac khong|co mac|gia bao nhieu|bang gia|gia tien|may (?:tram|nghin|ngan|chuc|trieu)",
    ),
    (
        "documents",
        r"giay to (?:gi|nao|can|chung minh)|nhung giay|cac giay|can giay|giay gi|\w+ gi theo|mang gi|mang theo"
        r"|dem theo|phai mang|mang cac|ho so gom|ho so gi|ho so co|thanh phan ho so|chuan bi|bo ho so|can mang"
        r"|gom nhung|gom gi|gom co|may loai|bao nhieu loai|can anh|can ban sao|can co|co can(?! den| ky so)|phai co"
        r"|dien (?:nhung )?gi|to khai|nhung gi|can nhung|can gi",
    ),
    (
        "online",
        r"online|onl|onlai|ol|truc tuyen|qua mang|tren mang|dich vu cong|qua app|tren app|vneid|veid|qua zalo"
        r"|tren dt|tren dien thoai|khong can den|khong phai den|co can den|tai nha|ky so|trang nao|trang web",
    ),
    (
        "where",
        r"o dau|nop dau|lam dau|den dau|di dau|len dau|ra dau|cap xa hay|hay cap tinh|bat ky dau"
        r"|dau+\s*(?:a|vay|nhi|the|vay ad)?\s*$|cho nao|co quan nao|noi nao|o nao|noi tiep nhan|bo phan nao"
        r"|xa nao|phuong nao|tinh nao|trung tam nao"
        r"|tt hanh chinh|tinh hay|hay (?:o )?tinh|len tinh|ve que|dia chi|tai dau|mot cua|nop cho ai"
        r"|(?:nop|lam) (?:o|tai)|o (?:xa(?! hoi)|phuong|tinh|huyen|ubnd|noi|van phong|so|bo phan|trung tam)",
    ),
    ("steps", r"huong dan|tiep theo|tiep+ theo|lam gi tiep|lam gi truoc|lam gi nua|sau do|lam j nua"),
)
_ASPECT_RES: tuple[tuple[Aspect, re.Pattern[str]], ...] = tuple(
    (aspect, re.compile(rf"\b(?:{pattern})\b")) for aspect, pattern in _ASPECT_PATTERNS
)
_PUNCTUATION_RE = re.compile(r"[^\w\s]")


def _folded(text: str) -> str:
    return " ".join(_PUNCTUATION_RE.sub(" ", normalize_folded(text)).split())


def detect_aspect(question: str, name: str | None = None) -> Aspect:
    """What the question asks about its procedure; "general" when it only names one.

    ``name`` is the procedure the question names, when known: words of the name are not the
    question ("nộp tiền trồng rừng thay thế cần giấy tờ gì" asks for documents, not a fee)."""
    folded = _folded(question)
    folded_name = f" {_folded(name)} " if name else ""
    for aspect, pattern in _ASPECT_RES:
        for match in pattern.finditer(folded):
            if f" {match.group(0)} " not in folded_name:
                return aspect
    return "general"


_ANSWERS: dict[Aspect, Callable[[Procedure], str]] = {
    "documents": answers.documents_answer,
    "fee": answers.fee_answer,
    "time": answers.processing_time_answer,
    # No commune is known on a phone call: the officer names the centre if the caller asks.
    "where": lambda proc: answers.submission_place_answer(proc),
    "online": answers.online_answer,
    "steps": answers.steps_answer,
    "general": answers.card_answer,
}


@dataclass(frozen=True)
class SuggestionFacts:
    """The facts an officer is asked most, each None (or empty) when the store lacks it."""

    fee: str | None
    processing_time: str | None
    documents: list[str]
    online: str | None


@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    score: float
    level: str  # as an officer reads it: "cấp xã, cấp tỉnh"
    levels: list[str]  # codes ("xa", "tinh"), for filters
    field: str | None
    answer: str
    source_url: str | None
    facts: SuggestionFacts


@dataclass(frozen=True)
class SuggestionResult:
    query: str
    aspect: Aspect
    took_ms: float
    suggestions: list[Suggestion] = field(default_factory=list)


def _per_channel(proc: Procedure, value: Callable[[ProcedureChannel], str | None]) -> str | None:
    """One line for a fact stored per submission channel: the value alone when every channel
    that states it agrees, else "Nộp trực tiếp: …; Nộp trực tuyến: …" (channels of one kind told
    apart by their condition)."""
    known = [(answers.channel_label(c, proc.channels), v) for c in proc.channels if (v := value(c))]
    if not known:
        return None
    if len({v for _, v in known}) == 1 and len(known) == len(proc.channels):
        return known[0][1]
    return "; ".join(f"{label}: {v}" for label, v in known)


def facts_of(proc: Procedure) -> SuggestionFacts:
    """The console's summary of a procedure: fee and deadline said as their kinds allow (the
    assistant's own words, ``answers``), with the notes that change what they mean."""
    online: str | None = None
    if any(c.kind == "online" for c in proc.channels):
        online = f"Nộp trực tuyến được: {proc.online_url}" if proc.online_url else "Nộp trực tuyến được"
    elif proc.channels:
        online = "Chưa nộp trực tuyến được"
    return SuggestionFacts(
        fee=_per_channel(proc, answers.console_fee),
        processing_time=_per_channel(proc, answers.console_time),
        documents=[d.name for d in proc.documents],
        online=online,
    )


def _load(session: Session, codes: list[str]) -> dict[str, Procedure]:
    # One query per relationship for all the hits, not one lookup per hit.
    stmt = (
        select(Procedure)
        .where(Procedure.code.in_(codes), Procedure.published.is_(True))
        .options(selectinload(Procedure.channels), selectinload(Procedure.documents))
    )
    return {proc.code: proc for proc in session.scalars(stmt)}


def suggest(
    session: Session, question: str, limit: int = 5, *, search: ProcedureSearch = procedure_search
) -> SuggestionResult:
    """Ranked procedures for a caller's question, each with the answer to what it asks."""
    started = time.perf_counter()
    limit = max(1, min(limit, MAX_LIMIT))
    hits = search.search(session, question, limit=limit) if question.strip() else []
    aspect = detect_aspect(question, hits[0].name if hits else None)
    procedures = _load(session, [hit.code for hit in hits]) if hits else {}
    suggestions = []
    for hit in hits:
        proc = procedures.get(hit.code)
        if proc is None:  # unpublished between the index check and this read
            continue
        suggestions.append(
            Suggestion(
                code=proc.code,
                name=proc.name,
                score=hit.score,
                level=answers.level_phrase(proc),
                levels=list(proc.levels or []),
                field=proc.field,
                answer=_ANSWERS[aspect](proc),
                source_url=proc.source_url,
                facts=facts_of(proc),
            )
        )
    took_ms = round((time.perf_counter() - started) * 1000, 2)
    return SuggestionResult(query=question, aspect=aspect, took_ms=took_ms, suggestions=suggestions)
