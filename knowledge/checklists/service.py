"""A citizen's own checklist for one procedure.

A procedure's documents are grouped by case in its source ("Trường hợp trẻ em bị bỏ rơi", "Đăng
ký vào chỗ ở do thuê, mượn, ở nhờ"). Editors (or the seed files) write the few questions that tell
those cases apart (``Procedure.checklist_questions``) and, on each document, which answers make it
apply (``ProcedureDocument.applies_when``). From the citizen's answers this module builds their
list: what to bring, what may be needed (a skipped question, or a condition no question decides,
said with the source's own condition text), the fee and deadline of the channel they will use (as
``knowledge.procedures.answers`` says them: never "free" unless the fee is free), and where to go.

Nothing is invented here: every document, form, fee and deadline comes from the procedure record.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.vntext import normalize_folded
from core.db import utcnow
from core.errors import InvalidError, NotFoundError
from core.settings import Settings, get_settings
from knowledge.centres import answers as centre_answers
from knowledge.centres import service as centres
from knowledge.centres.models import ServiceCentre
from knowledge.checklists.models import SavedChecklist
from knowledge.procedures import answers
from knowledge.procedures import service as procedures
from knowledge.procedures.models import CHANNEL_KINDS, CHANNEL_LABELS, DOCUMENT_KIND_LABELS, Procedure
from knowledge.procedures.schemas import CHANNEL_QUESTION_KEY
from knowledge.units import service as units

SKIP = "skip"
CHANNEL_QUESTION = CHANNEL_QUESTION_KEY  # "_channel": asked when the procedure has more than one channel kind
CHANNEL_QUESTION_TEXT = "Anh/chị sẽ nộp hồ sơ theo cách nào?"
SKIP_LABEL = "Bỏ qua"
SKIPPED_ANSWER = "Chưa rõ (bỏ qua)"
MAYBE_HEADING = "Có thể cần"
ASK_COMMUNE = "Anh/chị nhắn tên xã/phường để em chỉ địa chỉ nơi nộp."
CHANGED_NOTE = "Thủ tục này đã được cập nhật sau khi danh sách được lập; danh sách dưới đây theo thông tin mới nhất."
MAX_ANSWERS = 40


class ChecklistNotFound(NotFoundError, LookupError):
    def __init__(self) -> None:
        super().__init__("Không tìm thấy danh sách giấy tờ này, hoặc danh sách đã hết hạn lưu.")


class ChecklistInvalid(InvalidError, ValueError):
    """Answers that name no question or option of the procedure, or an unknown commune code."""


@dataclass(frozen=True)
class Option:
    key: str
    label: str


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    options: tuple[Option, ...]

    def label_of(self, key: str) -> str | None:
        return next((o.label for o in self.options if o.key == key), None)


@dataclass(frozen=True)
class ChecklistItem:
    name: str
    kind_label: str | None  # bản chính, bản sao, xuất trình…
    count: int | None
    form: str | None  # the form's name (mẫu tờ khai), as the source gives it
    form_url: str | None  # only where the source has a link
    note: str | None  # the source's condition text, verbatim

    @property
    def amount(self) -> str:
        """ "1 bản chính", "bản sao", or ""."""
        if self.count:
            return f"{self.count} {self.kind_label or ''}".strip()
        return self.kind_label or ""


@dataclass(frozen=True)
class ChannelLine:
    kind: str
    label: str  # "Nộp trực tiếp" (with its condition when two channels share a kind)
    fee: str  # as answers.fee_text says it, with the notes that change what it means
    deadline: str  # as answers.time_text says it, with its notes


@dataclass(frozen=True)
class PersonalChecklist:
    procedure_code: str
    procedure_name: str
    procedure_version: int
    items: tuple[ChecklistItem, ...]
    maybe_items: tuple[ChecklistItem, ...]
    # The chosen channel kind's channels; every channel when the citizen did not say.
    channels: tuple[ChannelLine, ...]
    channel_kind: str | None
    where: str
    answers_summary: tuple[tuple[str, str], ...]  # (question, answer label)
    source_url: str | None
    last_verified: dt.date | None
    online_url: str | None
    unit_code: str | None = None
    unit_name: str | None = None
    guidance: tuple[str, ...] = field(default_factory=tuple)

    @property
    def channel(self) -> ChannelLine | None:
        """The chosen channel (the first of its kind), None when the citizen did not choose."""
        return self.channels[0] if self.channel_kind and self.channels else None

    @property
    def channel_label(self) -> str | None:
        return CHANNEL_LABELS.get(self.channel_kind) if self.channel_kind else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "procedure": {
                "code": self.procedure_code,
                "name": self.procedure_name,
                "version": self.procedure_version,
                "source_url": self.source_url,
                "last_verified": self.last_verified.isoformat() if self.last_verified else None,
                "online_url": self.online_url,
            },
            "items": [_item_dict(i) for i in self.items],
            "maybe_items": [_item_dict(i) for i in self.maybe_items],
            "channel_kind": self.channel_kind,
            "channels": [asdict(c) for c in self.channels],
            "where": self.where,
            "unit": {"code": self.unit_code, "name": self.unit_name} if self.unit_code else None,
            "answers": [{"question": q, "answer": a} for q, a in self.answers_summary],
            "guidance": list(self.guidance),
        }


def _item_dict(item: ChecklistItem) -> dict[str, Any]:
    return {**asdict(item), "amount": item.amount}


# --- questions -------------------------------------------------------------------------------------


def _rule(value: Any) -> tuple[str, frozenset[str]] | None:
    if not isinstance(value, dict) or not value.get("question"):
        return None
    return str(value["question"]), frozenset(str(o) for o in value.get("options") or [])


@dataclass(frozen=True)
class _Spec:
    question: Question
    ask_when: tuple[str, frozenset[str]] | None


def channel_kinds(procedure: Procedure) -> list[str]:
    order = {kind: i for i, kind in enumerate(CHANNEL_KINDS)}
    kinds = dict.fromkeys(c.kind for c in procedure.channels)
    return sorted(kinds, key=lambda k: order.get(k, len(order)))


def channel_question(procedure: Procedure) -> Question | None:
    kinds = channel_kinds(procedure)
    if len(kinds) < 2:
        return None
    return Question(CHANNEL_QUESTION, CHANNEL_QUESTION_TEXT, tuple(Option(k, CHANNEL_LABELS.get(k, k)) for k in kinds))


def _specs(procedure: Procedure) -> list[_Spec]:
    """The procedure's questions in order; the channel question first when another question
    depends on it, else last (what to bring first, then how to hand it in)."""
    specs = []
    for raw in procedure.checklist_questions or []:
        options = tuple(Option(str(o["key"]), str(o["label"])) for o in raw.get("options") or [])
        specs.append(_Spec(Question(str(raw["key"]), str(raw["text"]), options), _rule(raw.get("ask_when"))))
    channel = channel_question(procedure)
    if channel is not None:
        spec = _Spec(channel, None)
        if any(s.ask_when and s.ask_when[0] == CHANNEL_QUESTION for s in specs):
            specs.insert(0, spec)
        else:
            specs.append(spec)
    return specs


def questions(procedure: Procedure) -> list[Question]:
    """Every question of ``procedure`` (the channel question included), in the order asked."""
    return [s.question for s in _specs(procedure)]


def has_questions(procedure: Procedure) -> bool:
    """Whether a personal checklist differs from the plain documents answer: some question decides a document."""
    specs = _specs(procedure)
    if any(_decides(s, specs, procedure) for s in specs if s.question.key != CHANNEL_QUESTION):
        return True
    return len(channel_kinds(procedure)) > 1 and any(
        (rule := _rule(d.applies_when)) is not None and rule[0] == CHANNEL_QUESTION for d in procedure.documents
    )


def _state(specs: Sequence[_Spec], key: str, answers_: Mapping[str, str]) -> str:
    """ "answered", "skipped" (skipped, or not answered yet) or "not_asked" (its ask_when ruled it
    out: an earlier answer makes it irrelevant)."""
    spec = next((s for s in specs if s.question.key == key), None)
    if spec is None:
        return "skipped"
    if spec.ask_when is not None:
        parent, options = spec.ask_when
        parent_state = _state(specs, parent, answers_)
        if parent_state == "not_asked":
            return "not_asked"
        if parent_state in ("skipped", "not_asked_unknown"):
            return "not_asked_unknown"  # the earlier question was skipped: whether it applies is unknown
        if answers_.get(parent) not in options:
            return "not_asked"
    value = answers_.get(key)
    if value is None or value == SKIP or spec.question.label_of(value) is None:
        return "skipped"
    return "answered"


def _decides(spec: _Spec, specs: Sequence[_Spec], procedure: Procedure) -> bool:
    """Whether some answer to ``spec`` changes the list: a document applies for some of its options
    but not all, or a question that decides is asked only after some of its options."""
    all_options = frozenset(o.key for o in spec.question.options)
    if spec.question.key == CHANNEL_QUESTION:
        return True  # fee and deadline differ by channel
    for document in procedure.documents:
        rule = _rule(document.applies_when)
        if rule and rule[0] == spec.question.key and (rule[1] & all_options) != all_options:
            return True
    for child in specs:
        if child is spec or not child.ask_when or child.ask_when[0] != spec.question.key:
            continue
        # Asked after some options only, and deciding itself: this answer decides through it.
        if (child.ask_when[1] & all_options) != all_options and _decides(child, specs, procedure):
            return True
    return False


def next_question(procedure: Procedure, answers_: Mapping[str, str]) -> Question | None:
    """The next question to ask, one at a time: not answered (or skipped) yet, asked only when its
    ``ask_when`` holds, and only when its answer still changes the list. None when done."""
    specs = _specs(procedure)
    for spec in specs:
        key = spec.question.key
        if key in answers_:
            continue
        if spec.ask_when is not None:
            parent, options = spec.ask_when
            if _state(specs, parent, answers_) != "answered" or answers_.get(parent) not in options:
                continue
        if _decides(spec, specs, procedure):
            return spec.question
    return None


_SKIP_WORDS = {"bo qua", "khong ro", "khong biet", "chua biet", "chua ro", "bo", "skip", "qua"}
_FILLERS = {"da", "a", "vang", "nhe", "nha", "oi", "em", "chi", "anh", "la", "thi", "roi", "minh", "toi", "ak", "ah"}
_NUMBER = re.compile(r"^(?:so |cau |lua chon )?(\d{1,2})$")
# Words a citizen types for a channel instead of its label.
_CHANNEL_WORDS = {
    "in_person": ("truc tiep", "den noi", "tai quay", "tai trung tam", "mang den", "tu den"),
    "online": ("truc tuyen", "online", "qua mang", "dich vu cong", "vneid", "tren mang", "qua cong"),
    "post": ("buu chinh", "buu dien", "gui thu", "chuyen phat"),
}


def _key(text: str) -> str:
    return " ".join(normalize_folded(text).replace("_", " ").split())


def read_answer(question: Question, text: str) -> str | None:
    """The option key ``text`` means: an option's label (as a button sends it), its key, its
    number ("1"), tone- and case-insensitive, with polite words around it ("Có ạ"); ``SKIP`` for
    "bỏ qua" / "không rõ" / "không biết"; None when not understood (ask again)."""
    said = _key(text)
    if not said:
        return None
    words = [w for w in said.split() if w not in _FILLERS]
    core = " ".join(words)
    if said in _SKIP_WORDS or core in _SKIP_WORDS or _key(SKIP_LABEL) == said:
        return SKIP
    for candidate in (said, core):
        for option in question.options:
            if candidate in (_key(option.label), _key(option.key)):
                return option.key
        number = _NUMBER.match(candidate)
        if number and 1 <= int(number.group(1)) <= len(question.options):
            return question.options[int(number.group(1)) - 1].key
    if not core:
        return None
    if question.key == CHANNEL_QUESTION:
        kinds = [o.key for o in question.options if any(w in core for w in _CHANNEL_WORDS.get(o.key, ()))]
        if len(kinds) == 1:
            return kinds[0]
    # A label said within a sentence ("nhà thuê ạ"), or a sentence within a label ("thuê"): one
    # option only, otherwise it is not understood ("không có" holds both "không" and "có").
    padded = f" {core} "
    within = [o.key for o in question.options if f" {_key(o.label)} " in padded]
    if len(within) == 1:
        return within[0]
    if len(core) >= 3:
        containing = [o.key for o in question.options if f" {core} " in f" {_key(o.label)} "]
        if len(containing) == 1:
            return containing[0]
    return None


# --- the checklist ---------------------------------------------------------------------------------


def clean_answers(procedure: Procedure, answers_: Mapping[str, str]) -> dict[str, str]:
    """``answers_`` restricted to the procedure's questions and options (``SKIP`` kept); raises
    ChecklistInvalid for anything else, naming it."""
    if len(answers_) > MAX_ANSWERS:
        raise ChecklistInvalid("Quá nhiều câu trả lời.", field="answers")
    by_key = {q.key: q for q in questions(procedure)}
    cleaned: dict[str, str] = {}
    for key, value in answers_.items():
        question = by_key.get(key)
        if question is None:
            raise ChecklistInvalid(f"Thủ tục {procedure.code} không có câu hỏi “{key}”.", field="answers")
        if value != SKIP and question.label_of(value) is None:
            raise ChecklistInvalid(f"Câu hỏi “{key}” không có lựa chọn “{value}”.", field="answers")
        cleaned[key] = value
    return cleaned


def _item(document: Any, note: str | None) -> ChecklistItem:
    return ChecklistItem(
        name=document.name,
        kind_label=DOCUMENT_KIND_LABELS.get(document.kind or "") or None,
        count=document.count,
        form=document.form,
        form_url=getattr(document, "form_url", None),
        note=note,
    )


def _channel_line(channel: Any, procedure: Procedure) -> ChannelLine:
    fee_notes = answers.fee_notes(channel)
    time_notes = answers.time_notes(channel)
    fee = answers.fee_text(channel)
    deadline = answers.time_text(channel)
    return ChannelLine(
        kind=channel.kind,
        label=answers.channel_label(channel, procedure.channels),
        fee=f"{fee} — {' '.join(fee_notes)}" if fee_notes else fee,
        deadline=f"{deadline} — {' '.join(time_notes)}" if time_notes else deadline,
    )


def _receives(centre: ServiceCentre, procedure: Procedure) -> bool:
    levels = set(centre.receives_levels or [])
    return not levels or bool(levels & set(procedure.levels or [])) or procedure.code in (centre.extra_procedures or [])


def where_to_go(session: Session, procedure: Procedure, unit_code: str | None) -> tuple[str, str | None]:
    """Where to hand the file in, and the commune's name: its centre on record when the commune is
    known and the centre receives this procedure, else the procedure's receiving place."""
    place = procedure.receiving_place or procedure.agency
    unit = units.get_current(session, unit_code) if unit_code else None
    if unit is not None:
        found = [c for c in centres.for_unit(session, unit.code) if _receives(c, procedure)]
        if found:
            return "\n\n".join(centre_answers.describe(c) for c in found), unit.name
        if "xa" in (procedure.levels or []):
            return centre_answers.centres_text([], unit.name, get_settings().national_portal_url), unit.name
        if place:
            return f"{place.rstrip('.')}.", unit.name
    if place:
        ask = f" {ASK_COMMUNE}" if "xa" in (procedure.levels or []) and unit is None else ""
        return f"{place.rstrip('.')}.{ask}", unit.name if unit else None
    source = f" Anh/chị xem tại {procedure.source_url}." if procedure.source_url else ""
    return f"Em chưa có thông tin nơi tiếp nhận hồ sơ của thủ tục này.{source}", unit.name if unit else None


def build_checklist(
    session: Session, procedure: Procedure, answers_: Mapping[str, str], *, unit_code: str | None = None
) -> PersonalChecklist:
    """The list for these answers. Answers naming no question or option count as skipped (a saved
    list stays readable after an editor changed the questions)."""
    specs = _specs(procedure)
    by_key = {s.question.key: s.question for s in specs}
    valid = {k: v for k, v in answers_.items() if k in by_key and (v == SKIP or by_key[k].label_of(v))}
    items: list[ChecklistItem] = []
    maybe: list[ChecklistItem] = []
    for document in procedure.documents:
        condition = " ".join(document.condition.split()) if document.condition else None
        rule = _rule(document.applies_when)
        if rule is None:
            (items if document.required else maybe).append(_item(document, condition))
            continue
        question_key, options = rule
        state = _state(specs, question_key, valid) if question_key in by_key else "skipped"
        if state == "answered":
            if valid[question_key] in options:
                items.append(_item(document, condition))
        elif state in ("skipped", "not_asked_unknown"):
            question = by_key.get(question_key)
            maybe.append(_item(document, condition or (question.text if question else None)))
        # "not_asked": an earlier answer rules the case out, the document does not apply.

    kinds = channel_kinds(procedure)
    chosen = valid.get(CHANNEL_QUESTION)
    channel_kind = chosen if chosen in kinds else (kinds[0] if len(kinds) == 1 else None)
    shown = [c for c in procedure.channels if channel_kind is None or c.kind == channel_kind]
    where, unit_name = where_to_go(session, procedure, unit_code)

    summary = []
    for spec in specs:
        value = valid.get(spec.question.key)
        if value is not None:
            summary.append(
                (spec.question.text, SKIPPED_ANSWER if value == SKIP else spec.question.label_of(value) or "")
            )
    online = procedure.online_url if channel_kind in (None, "online") else None
    return PersonalChecklist(
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        procedure_version=procedures.current_version(procedure),
        items=tuple(items),
        maybe_items=tuple(maybe),
        channels=tuple(_channel_line(c, procedure) for c in shown),
        channel_kind=channel_kind,
        where=where,
        answers_summary=tuple(summary),
        source_url=procedure.source_url,
        last_verified=procedure.last_verified,
        online_url=online,
        unit_code=unit_code if unit_name else None,
        unit_name=unit_name,
        guidance=tuple(" ".join(g.split()) for g in procedure.guidance or [] if g and g.strip()),
    )


# --- saved lists -----------------------------------------------------------------------------------


def save_checklist(
    session: Session,
    procedure: Procedure,
    answers_: Mapping[str, str],
    *,
    unit_code: str | None,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> SavedChecklist:
    """Keep the answers behind a new unguessable token for ``checklist_retention_days``."""
    settings = settings or get_settings()
    now = now or utcnow()
    cleaned = clean_answers(procedure, answers_)
    code = (unit_code or "").strip() or None
    if code is not None and units.get_current(session, code) is None:
        raise ChecklistInvalid(f"Không có xã, phường hiện hành mã {code}.", field="unit_code")
    chosen = cleaned.get(CHANNEL_QUESTION)
    kinds = channel_kinds(procedure)
    saved = SavedChecklist(
        token=secrets.token_urlsafe(16),
        procedure_code=procedure.code,
        procedure_version=procedures.current_version(procedure),
        answers=cleaned,
        channel_kind=chosen if chosen in kinds else (kinds[0] if len(kinds) == 1 else None),
        unit_code=code,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.checklist_retention_days),
    )
    session.add(saved)
    session.flush()
    return saved


_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def get_saved(session: Session, token: str, *, now: dt.datetime | None = None) -> SavedChecklist:
    if not _TOKEN.match(token or ""):
        raise ChecklistNotFound()
    saved = session.scalars(select(SavedChecklist).where(SavedChecklist.token == token)).first()
    if saved is None or saved.expires_at <= (now or utcnow()):
        raise ChecklistNotFound()
    return saved


@dataclass(frozen=True)
class SavedView:
    saved: SavedChecklist
    checklist: PersonalChecklist
    changed: bool  # the procedure has a newer version than the one the list was made from

    @property
    def changed_note(self) -> str | None:
        return CHANGED_NOTE if self.changed else None


def open_saved(session: Session, token: str, *, now: dt.datetime | None = None) -> SavedView:
    """A saved list rebuilt from the procedure as it is now (ChecklistNotFound when the token is
    unknown or expired, or the procedure is gone)."""
    saved = get_saved(session, token, now=now)
    procedure = procedures.get_by_code(session, saved.procedure_code, include_unpublished=True)
    if procedure is None:
        raise ChecklistNotFound()
    checklist = build_checklist(session, procedure, dict(saved.answers or {}), unit_code=saved.unit_code)
    return SavedView(saved, checklist, checklist.procedure_version != saved.procedure_version)


def purge_expired(session: Session, *, now: dt.datetime | None = None) -> int:
    """Drop saved lists past their retention; returns how many."""
    result = session.execute(delete(SavedChecklist).where(SavedChecklist.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)


def checklist_url(settings: Settings, token: str) -> str:
    return f"{settings.public_base_url}/checklists/{token}"


def pdf_url(settings: Settings, token: str) -> str:
    return f"{checklist_url(settings, token)}.pdf"


# --- the message kept on Zalo / web ----------------------------------------------------------------


def _line(item: ChecklistItem, *, with_note: bool) -> str:
    details = [d for d in (item.amount, item.form) if d]
    text = f"• {item.name}" + (f" ({'; '.join(details)})" if details else "")
    if item.form_url:
        text += f" — mẫu: {item.form_url}"
    if with_note and item.note:
        text += f" — {item.note}"
    return text


def chat_text(checklist: PersonalChecklist, link: str) -> str:
    """The list as one message the citizen can keep: their documents, what may be needed, the fee
    and deadline of their channel, where to go, and the printable link."""
    lines = [f"📋 Danh sách giấy tờ của anh/chị — {checklist.procedure_name} (mã {checklist.procedure_code}):"]
    if checklist.items:
        lines.append("Cần chuẩn bị:")
        lines += [_line(item, with_note=False) for item in checklist.items]
    else:
        lines.append("Theo câu trả lời của anh/chị, nguồn không nêu giấy tờ bắt buộc chung.")
    if checklist.maybe_items:
        lines.append(f"{MAYBE_HEADING} (tùy trường hợp hoặc câu anh/chị đã bỏ qua):")
        lines += [_line(item, with_note=True) for item in checklist.maybe_items]
    if checklist.channel is not None:
        lines.append(f"Cách nộp: {checklist.channel_label}")
    for channel in checklist.channels:
        prefix = "" if checklist.channel is not None and len(checklist.channels) == 1 else f"{channel.label} — "
        lines.append(f"• {prefix}Phí, lệ phí: {channel.fee}")
        lines.append(f"• {prefix}Thời hạn giải quyết: {channel.deadline}")
    if checklist.online_url and checklist.channel_kind == "online":
        lines.append(f"Nộp trực tuyến tại: {checklist.online_url}")
    lines.append(f"Nơi nộp:\n{checklist.where}" if "\n" in checklist.where else f"Nơi nộp: {checklist.where}")
    lines.append(f"Xem, in hoặc tải PDF danh sách: {link}")
    source = [f"Nguồn: {checklist.source_url}"] if checklist.source_url else []
    if checklist.last_verified:
        source.append(f"cập nhật {checklist.last_verified.strftime('%d/%m/%Y')}")
    if source:
        lines.append(" · ".join(source))
    return "\n".join(lines)
