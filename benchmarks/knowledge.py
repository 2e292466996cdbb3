"""Procedure search quality and speed on the labelled questions, then unit resolution.

    python -m benchmarks.knowledge [--catalogue PATH] [--db URL] [--questions PATH] [--no-units]

Without --db it builds a temporary SQLite store the way a deployment does: the reviewed seed
first, then the national catalogue sample imported on top (the seed records are kept), when the
file exists. It prints top-1 / top-3 accuracy overall and for the questions written with and
without diacritics, the search latency per query (p50 / p95, after a warm-up, index build
excluded), the index build time, and every miss. The unit-resolution numbers come from
``benchmarks.units``.

tests/knowledge/test_search_quality.py asserts the same numbers through ``evaluate``.
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

from bot.vntext import has_diacritics
from core.audit.actor import Actor
from knowledge.procedures.search import ProcedureIndex, SearchHit, procedure_search
from knowledge.procedures.service import list_published

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONS = ROOT / "tests" / "data" / "search_questions.yml"
DEFAULT_CATALOGUE = ROOT.parent / "shared" / "reference" / "procedures" / "national-catalogue-sample.jsonl"
REPEAT = 5  # timings per question; the median is kept, so one GC pause does not count as a query


@dataclass(frozen=True)
class Question:
    text: str
    expected: tuple[str, ...]

    @property
    def with_diacritics(self) -> bool:
        return has_diacritics(self.text)


@dataclass
class Score:
    total: int = 0
    top1: int = 0
    top3: int = 0

    def add(self, rank: int | None) -> None:
        self.total += 1
        self.top1 += rank == 1
        self.top3 += rank is not None and rank <= 3

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.total if self.total else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.total if self.total else 0.0


@dataclass
class Miss:
    question: Question
    rank: int | None
    got: list[SearchHit]


@dataclass
class SearchReport:
    overall: Score = field(default_factory=Score)
    with_diacritics: Score = field(default_factory=Score)
    without_diacritics: Score = field(default_factory=Score)
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)  # not first, in order of the file

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(round(q * (len(data) - 1))))]


def load_questions(path: Path = DEFAULT_QUESTIONS) -> list[Question]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    return [Question(str(item["q"]), tuple(str(code) for code in item["expected"])) for item in items]


def rank_of(hits: list[SearchHit], expected: tuple[str, ...]) -> int | None:
    """1-based rank of the first acceptable hit, None when none is listed."""
    return next((i for i, hit in enumerate(hits, start=1) if hit.code in expected), None)


def evaluate(index: ProcedureIndex, questions: list[Question], limit: int = 5) -> SearchReport:
    for question in questions:  # warm-up: the fuzzy matcher and caches
        index.search(question.text, limit)
    report = SearchReport()
    for question in questions:
        timings = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            hits = index.search(question.text, limit)
            timings.append((time.perf_counter() - started) * 1000)
        report.latencies_ms.append(statistics.median(timings))
        rank = rank_of(hits, question.expected)
        report.overall.add(rank)
        (report.with_diacritics if question.with_diacritics else report.without_diacritics).add(rank)
        if rank != 1:
            report.misses.append(Miss(question, rank, hits))
    return report


def build_store(session: Session, catalogue: Path | None) -> str:
    """Seed, then import the catalogue on top; returns what was done, for the printout."""
    from knowledge.importer import import_file
    from knowledge.seed.loader import seed_procedures

    started = time.perf_counter()
    seeded = seed_procedures(session)
    session.commit()
    done = f"seeded {len(seeded.added)} procedures in {time.perf_counter() - started:.1f} s"
    if catalogue is not None and catalogue.exists():
        started = time.perf_counter()
        report = import_file(session, catalogue, actor=Actor("benchmark"))
        done += f"; imported {catalogue.name} in {time.perf_counter() - started:.1f} s ({report.summary()})"
    else:
        done += "; no catalogue imported (seed only)"
    return done


def _format_score(label: str, score: Score) -> str:
    return (
        f"  {label:<20} top-1 {score.top1}/{score.total} = {score.top1_rate:.3f}   "
        f"top-3 {score.top3}/{score.total} = {score.top3_rate:.3f}"
    )


def print_report(report: SearchReport, build_seconds: float, documents: int) -> None:
    print(f"index: {documents} procedures, built in {build_seconds:.3f} s")
    print("procedure search:")
    print(_format_score("overall", report.overall))
    print(_format_score("with diacritics", report.with_diacritics))
    print(_format_score("without diacritics", report.without_diacritics))
    print(
        f"  latency per query: p50 {report.percentile(0.5):.2f} ms, p95 {report.percentile(0.95):.2f} ms, "
        f"max {max(report.latencies_ms, default=0):.2f} ms"
    )
    for miss in report.misses:
        where = f"rank {miss.rank}" if miss.rank else "not in top 5"
        got = "; ".join(f"{h.code} {h.name[:60]} ({h.score})" for h in miss.got[:3]) or "nothing"
        print(f"  MISS ({where}) {miss.question.text!r}: expected {list(miss.question.expected)}, got {got}")


def _time_with_revision_check(session: Session, questions: list[Question]) -> list[float]:
    """What a caller pays through ``procedure_search``: the search plus the catalogue-revision
    check (two small queries) that keeps the index fresh."""
    procedure_search.search(session, "khai sinh")
    timings = []
    for question in questions:
        started = time.perf_counter()
        procedure_search.search(session, question.text)
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


def main(argv: list[str] | None = None) -> int:
    import database.models  # noqa: F401 - every table on Base.metadata
    from core.db import Base, make_engine

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE, help="national catalogue JSONL")
    parser.add_argument("--db", help="SQLAlchemy URL of a store that already holds the procedures")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--no-units", action="store_true", help="skip the unit-resolution benchmark")
    args = parser.parse_args(argv)

    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory(prefix="tthc-bench-kb-") as tmp:
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'knowledge.sqlite3'}")
        Base.metadata.create_all(engine)
        with sessionmaker(bind=engine, expire_on_commit=False)() as session:
            if not args.db:
                print(build_store(session, args.catalogue))
            procedures = list_published(session)
            started = time.perf_counter()
            index = ProcedureIndex.build(procedures)
            build_seconds = time.perf_counter() - started
            report = evaluate(index, questions)
            print_report(report, build_seconds, len(index.docs))
            timings = _time_with_revision_check(session, questions)
            print(
                f"  through procedure_search (with the revision check): p50 {statistics.median(timings):.2f} ms, "
                f"p95 {timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]:.2f} ms"
            )
        engine.dispose()

    if not args.no_units:
        from knowledge.units import bench as units_bench

        print("unit resolution (benchmarks.units):")
        units_bench.main(["-v"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
