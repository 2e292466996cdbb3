"""What an import file's facts look like: quality flags, fee and deadline kinds, legal-basis
parsing measured against the source. The import report and ``benchmarks/legal_basis.py`` print
these same figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from knowledge.importer.legal_basis import LegalBasisCount
from knowledge.importer.rows import ParsedRow
from knowledge.procedures.facts import DEADLINE_KIND_LABELS, FEE_KIND_LABELS, QUALITY_FLAG_KINDS


@dataclass
class LegalBasisTotals:
    """The legal-basis benchmark over a file: rows and acts parsed vs the raw cells."""

    records: int = 0  # records with a legal-basis cell
    source_acts: int = 0  # act numbers in the raw cells (one plain regular expression)
    rows: int = 0  # rows parsed
    numbers: int = 0  # parsed rows with a number
    intact: int = 0  # parsed numbers that stand whole in the raw cell
    kept: int = 0  # source acts found in the parsed rows (as a number or in a title)
    records_differing: int = 0  # records where some act is lost or some number is broken
    examples: list[str] = field(default_factory=list)  # "code: lost …; broken …" (first few)

    def add(self, code: str | None, count: LegalBasisCount) -> None:
        self.records += 1
        self.source_acts += count.source_acts
        self.rows += count.rows
        self.numbers += count.numbers
        self.intact += count.intact
        self.kept += count.kept
        if count.differs:
            self.records_differing += 1
            if len(self.examples) < 20:
                parts = []
                if count.lost:
                    parts.append("mất " + ", ".join(count.lost))
                if count.broken:
                    parts.append("sai " + ", ".join(count.broken))
                self.examples.append(f"{code}: {'; '.join(parts)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "source_acts": self.source_acts,
            "rows": self.rows,
            "numbers": self.numbers,
            "intact": self.intact,
            "kept": self.kept,
            "records_differing": self.records_differing,
            "examples": self.examples,
        }


@dataclass
class QualitySummary:
    records: int = 0
    records_flagged: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    fee_kinds: Counter[str] = field(default_factory=Counter)
    deadline_kinds: Counter[str] = field(default_factory=Counter)
    legal: LegalBasisTotals = field(default_factory=LegalBasisTotals)

    @classmethod
    def of(cls, rows: Iterable[ParsedRow]) -> QualitySummary:
        summary = cls()
        for parsed in rows:
            record = parsed.record
            if record is None:
                continue
            summary.records += 1
            if record.quality_flags:
                summary.records_flagged += 1
            summary.flags.update(flag.kind for flag in record.quality_flags)
            for channel in record.channels:
                summary.fee_kinds[channel.fee_kind] += 1
                summary.deadline_kinds[channel.deadline_kind] += 1
            if parsed.legal is not None:
                summary.legal.add(record.code, parsed.legal)
        return summary

    def lines(self) -> list[str]:
        """Vietnamese lines for the import report (CLI and knowledge admin)."""
        if not self.records:
            return []
        lines = [
            f"Cảnh báo chất lượng: {self.records_flagged}/{self.records} thủ tục có cảnh báo"
            + (": " + ", ".join(f"{QUALITY_FLAG_KINDS.get(k, k)} ({k}) {n}" for k, n in self._sorted(self.flags)))
            if self.flags
            else f"Cảnh báo chất lượng: 0/{self.records} thủ tục có cảnh báo",
        ]
        if self.fee_kinds:
            lines.append(
                "Loại phí theo cách nộp: "
                + ", ".join(f"{FEE_KIND_LABELS.get(k, k)} ({k}) {n}" for k, n in self._sorted(self.fee_kinds))
            )
        if self.deadline_kinds:
            lines.append(
                "Loại thời hạn theo cách nộp: "
                + ", ".join(f"{DEADLINE_KIND_LABELS.get(k, k)} ({k}) {n}" for k, n in self._sorted(self.deadline_kinds))
            )
        legal = self.legal
        if legal.records:
            lines.append(
                f"Căn cứ pháp lý: {legal.records} ô, {legal.rows} dòng đọc được ({legal.numbers} có số hiệu); "
                f"số hiệu trong nguồn {legal.source_acts}, giữ được {legal.kept}; "
                f"số hiệu nguyên vẹn {legal.intact}/{legal.numbers}; {legal.records_differing} thủ tục lệch"
                + (f" ({'; '.join(legal.examples[:3])})" if legal.examples else "")
            )
        return lines

    @staticmethod
    def _sorted(counter: Counter[str]) -> list[tuple[str, int]]:
        return sorted(counter.items(), key=lambda item: (-item[1], item[0]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "records_flagged": self.records_flagged,
            "flags": dict(self._sorted(self.flags)),
            "fee_kinds": dict(self._sorted(self.fee_kinds)),
            "deadline_kinds": dict(self._sorted(self.deadline_kinds)),
            "legal_basis": self.legal.to_dict(),
        }
