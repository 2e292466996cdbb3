"""Resolution accuracy and latency on the labelled questions.

    python -m benchmarks.units [--db sqlite:///path] [--questions tests/data/unit_questions.yml] [-v]

Without --db it loads the units into a temporary SQLite file first (and says how long that took).
A question counts as right when the top match's current successor (the unit itself when it is
current, its main successor when it is former) is one of the expected codes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker

from knowledge.units.service import UnitMatch, get_index, resolve

DEFAULT_QUESTIONS = Path(__file__).resolve().parents[1] / "tests" / "data" / "unit_questions.yml"


def top_current_code(match: UnitMatch) -> str | None:
    if match.status == "current":
        return match.code
    return match.successors[0].code if match.successors else None


def is_right(matches: list[UnitMatch], expected: list[str]) -> bool:
    return bool(matches) and top_current_code(matches[0]) in set(expected)


@dataclass
class BenchResult:
    total: int = 0
    right: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[tuple[str, list[str], str]] = field(default_factory=list)
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [right, total]

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(round(q * (len(data) - 1))))]


def load_questions(path: Path = DEFAULT_QUESTIONS) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]


def run(session: Session, questions: list[dict], repeat: int = 3) -> BenchResult:
    get_index(session)  # build outside the timings
    result = BenchResult()
    for item in questions:
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            matches = resolve(session, item["text"])
            timings.append((time.perf_counter() - started) * 1000)
        result.latencies_ms.append(statistics.median(timings))
        ok = is_right(matches, item["expected"])
        result.total += 1
        result.right += ok
        kind = result.by_kind.setdefault(item.get("kind", "?"), [0, 0])
        kind[0] += ok
        kind[1] += 1
        if not ok:
            got = (
                f"{matches[0].status} {matches[0].code} {matches[0].name} -> {top_current_code(matches[0])}"
                if matches
                else "nothing"
            )
            result.misses.append((item["text"], item["expected"], got))
    return result


def main(argv: list[str] | None = None) -> int:
    import database.models  # noqa: F401 - every table on Base.metadata
    from core.db import Base, make_engine
    from knowledge.units.loader import load_units

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="SQLAlchemy URL of a database that already holds the units")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the misses")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'units.sqlite3'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        with sessionmaker(bind=engine)() as session:
            if not args.db:
                report = load_units(session)
                session.commit()
                print(
                    f"loaded {report.current_provinces} current provinces, {report.current_communes} current "
                    f"communes, {report.former_provinces} former provinces, {report.former_communes} former "
                    f"communes, {report.successions} successions ({report.split_former_communes} split former "
                    f"communes) in {report.seconds:.2f} s"
                )
            started = time.perf_counter()
            get_index(session)
            print(f"index built in {time.perf_counter() - started:.2f} s")
            result = run(session, load_questions(args.questions))
        engine.dispose()

    print(f"accuracy: {result.right}/{result.total} = {result.accuracy:.3f}")
    for kind, (right, total) in sorted(result.by_kind.items()):
        print(f"  {kind}: {right}/{total}")
    print(
        f"latency per query: p50 {result.percentile(0.5):.2f} ms, p95 {result.percentile(0.95):.2f} ms, "
        f"max {max(result.latencies_ms, default=0):.2f} ms"
    )
    if args.verbose:
        for text, expected, got in result.misses:
            print(f"  MISS {text!r}: expected {expected}, got {got}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
