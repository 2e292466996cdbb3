"""Editors correcting how a procedure's cases map to checklist questions.

A change is a procedure edit like any other (``knowledge.procedures.service.edit``): a new
version with the editor's note, the audit entry, the optimistic version check. The general edit
form does not show the questions, so its saves carry them over (``keep_checklist``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from bot.vntext import normalize_folded
from core.audit.actor import Actor
from core.errors import InvalidError
from knowledge.procedures import service as procedures
from knowledge.procedures.models import Procedure
from knowledge.procedures.schemas import ProcedureRecord


class ChecklistEditInvalid(InvalidError, ValueError):
    """The questions or the rules do not hold together; ``problems`` lists them in Vietnamese."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def keep_checklist(procedure: Procedure, record: ProcedureRecord) -> ProcedureRecord:
    """``record`` (from the general edit form, which has no checklist fields) with the stored
    questions, and each document's ``applies_when`` and ``form_url`` carried over by its name."""
    stored = procedures.to_record(procedure)
    by_name = {normalize_folded(d.name): d for d in stored.documents}
    documents = []
    for document in record.documents:
        old = by_name.get(normalize_folded(document.name))
        if old is not None and document.applies_when is None and document.form_url is None:
            document = document.model_copy(update={"applies_when": old.applies_when, "form_url": old.form_url})
        documents.append(document)
    kept = record.model_copy(update={"checklist_questions": stored.checklist_questions, "documents": documents})
    # A document whose rule names a question no longer there would break the record: drop the rule.
    known = {q.key: {o.key for o in q.options} for q in kept.checklist_questions}
    cleaned = [
        d
        if d.applies_when is None
        or d.applies_when.question == "_channel"
        or set(d.applies_when.options) <= known.get(d.applies_when.question, set())
        else d.model_copy(update={"applies_when": None})
        for d in kept.documents
    ]
    return kept.model_copy(update={"documents": cleaned})


def save_mapping(
    session: Session,
    code: str,
    *,
    questions: list[dict[str, Any]],
    rules: dict[int, dict[str, Any] | None],
    form_urls: dict[int, str | None] | None = None,
    actor: Actor,
    expected_version: int | None,
    note: str | None = None,
) -> procedures.ChangeOutcome:
    """Replace the questions of ``code`` and the ``applies_when`` of its documents (by position;
    a position not in ``rules`` keeps its rule), as a new version (audited ``procedure.checklist``).
    Raises ChecklistEditInvalid with every problem, StaleVersionError when someone saved since."""
    procedure = procedures.require(session, code)
    stored = procedures.to_record(procedure)
    data = stored.model_dump(mode="json")
    data["checklist_questions"] = questions
    for index, document in enumerate(data["documents"]):
        if index in rules:
            document["applies_when"] = rules[index]
        if form_urls is not None and index in form_urls:
            document["form_url"] = form_urls[index]
    try:
        record = ProcedureRecord.model_validate(data)
    except ValidationError as exc:
        raise ChecklistEditInvalid([_problem(e) for e in exc.errors()]) from exc
    return procedures.edit(
        session,
        code,
        record,
        actor=actor,
        expected_version=expected_version,
        note=note or "sửa câu hỏi lập danh sách giấy tờ",
        action="procedure.checklist",
    )


_MESSAGES = {
    "string_pattern_mismatch": "mã chỉ gồm chữ thường không dấu, số và dấu gạch dưới (ví dụ bo_roi), bắt đầu bằng chữ",
    "too_short": "cần ít nhất hai lựa chọn",
    "too_long": "quá nhiều lựa chọn (tối đa 8)",
    "string_too_short": "không được để trống",
    "string_too_long": "quá dài",
    "missing": "thiếu",
}


def _problem(error: Any) -> str:
    where = _where(error.get("loc") or ())
    message = str(error.get("msg", ""))
    if error.get("type") == "value_error":
        return message.removeprefix("Value error, ")
    text = _MESSAGES.get(str(error.get("type")), message)
    return f"{where}: {text}" if where else text


def _where(loc: Sequence[Any]) -> str:
    parts = []
    names = {"checklist_questions": "câu hỏi", "options": "lựa chọn", "documents": "giấy tờ"}
    fields = {"key": "mã", "text": "nội dung", "label": "nhãn", "form_url": "đường dẫn mẫu", "ask_when": "chỉ hỏi khi"}
    items = list(loc)
    for i, part in enumerate(items):
        if isinstance(part, int):
            continue
        label = names.get(str(part)) or fields.get(str(part)) or str(part)
        if i + 1 < len(items) and isinstance(items[i + 1], int):
            label = f"{label} {items[i + 1] + 1}"
        parts.append(label)
    return " › ".join(parts)


# --- the editor's text form of questions and rules ---------------------------------------------------
# One question per block: "key | text" (and "| khi other = a, b" when asked only after those
# answers), then one "  option_key = Nhãn" line per option. A rule: "question = a, b", empty for none.

_WHEN = "khi "


def rule_text(rule: Any) -> str:
    if not isinstance(rule, dict) or not rule.get("question"):
        return ""
    return f"{rule['question']} = {', '.join(map(str, rule.get('options') or []))}"


def parse_rule(text: str, where: str) -> dict[str, Any] | None:
    text = " ".join(text.split())
    if not text:
        return None
    question, sep, options = text.partition("=")
    keys = [o.strip() for o in options.split(",") if o.strip()]
    if not sep or not question.strip() or not keys:
        raise ChecklistEditInvalid([f"{where}: viết theo dạng “mã_câu_hỏi = mã_lựa_chọn, mã_lựa_chọn”"])
    return {"question": question.strip(), "options": keys}


def questions_text(questions: Sequence[Any]) -> str:
    blocks = []
    for question in questions:
        data = question if isinstance(question, dict) else question.model_dump(mode="json")
        head = f"{data['key']} | {data['text']}"
        if data.get("ask_when"):
            head += f" | {_WHEN}{rule_text(data['ask_when'])}"
        lines = [head] + [f"  {o['key']} = {o['label']}" for o in data.get("options") or []]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def parse_questions(text: str) -> list[dict[str, Any]]:
    """The questions an editor wrote (``questions_text``'s format); ChecklistEditInvalid lists
    every line it cannot read."""
    questions: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not raw.strip() or raw.strip().startswith("#"):
            continue
        if raw[:1].isspace():  # an option of the question above
            key, sep, label = raw.strip().partition("=")
            if not questions:
                problems.append(f"dòng {number}: lựa chọn đứng trước mọi câu hỏi")
            elif not sep or not key.strip() or not label.strip():
                problems.append(f"dòng {number}: lựa chọn viết theo dạng “mã = Nhãn”")
            else:
                questions[-1]["options"].append({"key": key.strip(), "label": label.strip()})
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            problems.append(f"dòng {number}: câu hỏi viết theo dạng “mã | Nội dung câu hỏi”")
            continue
        question: dict[str, Any] = {"key": parts[0], "text": parts[1], "options": [], "ask_when": None}
        if len(parts) > 2 and parts[2]:
            when = parts[2]
            if not when.lower().startswith(_WHEN):
                problems.append(f"dòng {number}: điều kiện hỏi viết theo dạng “khi mã_câu_hỏi = mã_lựa_chọn”")
            else:
                try:
                    question["ask_when"] = parse_rule(when[len(_WHEN) :], f"dòng {number}")
                except ChecklistEditInvalid as exc:
                    problems += exc.problems
        questions.append(question)
    if problems:
        raise ChecklistEditInvalid(problems)
    return questions
