"""Legal-basis parsing against the source (issue 15): rows and act numbers parsed vs the raw cells.

    python -m benchmarks.legal_basis [--catalogue PATH] [--show N]

Reads the national catalogue sample (no database) with the importer's own parser and, for each
record's "Căn cứ pháp lý" cell, compares what was parsed with the cell itself:

- *source acts*: the distinct act numbers (``num/year/ISSUER…``) one plain regular expression
  finds in the raw cell (``legal_basis.simple_acts``: it knows the issuer codes and nothing of
  the table's layout);
- *rows* / *numbers*: legal-basis rows parsed, and those with a number;
- *intact*: parsed numbers that stand whole in the raw cell, spaces around "/" and "-"
  squeezed (not the tail of a longer number, "7/2025/NQ-CP" of "66.7/2025/NQ-CP", nor the head
  of one, "105/2025/NĐ" of "105/2025/NĐ- CP");
- *kept*: source acts found in the parsed rows, as a number or inside a title;
- *records differing*: records where an act is lost or a number is not intact.

The import report prints the same figures (``knowledge.importer.quality``). Target: every act
number intact and kept.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.knowledge import DEFAULT_CATALOGUE
from knowledge.importer.quality import QualitySummary
from knowledge.importer.service import parse_file
from knowledge.procedures.facts import DEADLINE_KIND_LABELS, FEE_KIND_LABELS, QUALITY_FLAG_KINDS


def _table(rows: list[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label.ljust(width)}  {value:>8}" for label, value in rows)


def run(path: Path, show: int = 10) -> QualitySummary:
    started = time.perf_counter()
    parsed = parse_file(path)
    elapsed = time.perf_counter() - started
    summary = QualitySummary.of(parsed.rows)
    legal = summary.legal
    print(f"{path.name}: {len(parsed.rows)} rows, {summary.records} records parsed in {elapsed:.1f} s\n")
    print("Legal basis (parsed vs the raw cells)")
    print(
        _table(
            [
                ("records with a legal-basis cell", str(legal.records)),
                ("act numbers in the source", str(legal.source_acts)),
                ("rows parsed", str(legal.rows)),
                ("rows with a number", str(legal.numbers)),
                ("numbers intact", f"{legal.intact}"),
                ("numbers not intact", f"{legal.numbers - legal.intact}"),
                ("source acts kept", f"{legal.kept}"),
                ("source acts lost", f"{legal.source_acts - legal.kept}"),
                ("records differing", str(legal.records_differing)),
            ]
        )
    )
    for example in legal.examples[:show]:
        print(f"    {example}")
    print(f"\nQuality flags (records flagged: {summary.records_flagged})")
    print(
        _table([(f"{kind} — {QUALITY_FLAG_KINDS.get(kind, kind)}", str(n)) for kind, n in summary.flags.most_common()])
    )
    print("\nFee kinds (channels)")
    print(_table([(f"{kind} — {FEE_KIND_LABELS[kind]}", str(summary.fee_kinds[kind])) for kind in FEE_KIND_LABELS]))
    print("\nDeadline kinds (channels)")
    print(
        _table(
            [
                (f"{kind} — {DEADLINE_KIND_LABELS[kind]}", str(summary.deadline_kinds[kind]))
                for kind in DEADLINE_KIND_LABELS
            ]
        )
    )
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE)
    parser.add_argument("--show", type=int, default=10, help="records differing to list")
    args = parser.parse_args(argv)
    if not args.catalogue.exists():
        raise SystemExit(f"{args.catalogue} not found (../shared/reference is not beside the project)")
    run(args.catalogue, args.show)


if __name__ == "__main__":
    main()
