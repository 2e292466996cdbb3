"""What a parser yields for each row of an input file."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from core.errors import InvalidError
from knowledge.importer.legal_basis import LegalBasisCount
from knowledge.procedures.history import FIELD_LABELS
from knowledge.procedures.schemas import ProcedureRecord

__all__ = ["FIELD_LABELS", "ImportFileError", "ParsedRow", "RowError", "validation_error"]


class ImportFileError(InvalidError, ValueError):
    """The file as a whole cannot be imported (missing, unknown format, unreadable, bad header)."""


class RowError(InvalidError, ValueError):
    """A row that cannot become a procedure record.

    ``message`` is Vietnamese for the admin; ``detail`` is the technical reason.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(f"{message} ({detail})" if detail else message)
        self.message = message
        self.detail = detail


@dataclass
class ParsedRow:
    """One input row: a record, or an error; ``row`` is the line (JSONL) or sheet row number."""

    row: int
    code: str | None = None
    record: ProcedureRecord | None = None
    error: RowError | None = None
    warnings: list[str] = field(default_factory=list)
    # Fields the row states. ``None``: all of them (a full record). A sheet without, say, a
    # "conditions" column leaves the stored conditions alone when it updates a procedure.
    fields: frozenset[str] | None = None
    # The legal-basis table measured against its raw cell (catalogue rows only).
    legal: LegalBasisCount | None = None


def validation_error(exc: ValidationError) -> RowError:
    """Turn a pydantic error into one readable RowError naming the fields."""
    parts_vi: list[str] = []
    parts_tech: list[str] = []
    for err in exc.errors()[:5]:
        loc = [str(p) for p in err.get("loc", ())]
        top = loc[0] if loc else ""
        label = FIELD_LABELS.get(top, top)
        where = label + (f" (mục {int(loc[1]) + 1})" if len(loc) > 1 and loc[1].isdigit() else "")
        parts_vi.append(f"{where} không hợp lệ" if where else "dữ liệu không hợp lệ")
        value = err.get("input")
        shown = repr(value)[:80] if not isinstance(value, dict) else "{…}"
        parts_tech.append(f"{'.'.join(loc)}: {err.get('msg')} [input={shown}]")
    more = len(exc.errors()) - 5
    if more > 0:
        parts_tech.append(f"+{more} more")
    return RowError("; ".join(dict.fromkeys(parts_vi)).capitalize(), "; ".join(parts_tech))
