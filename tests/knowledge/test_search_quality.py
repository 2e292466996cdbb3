"""Procedure search quality on the labelled citizen questions, over the reviewed seed with the
full national catalogue sample imported on top (the acceptance targets of the search issue).

Needs shared/reference beside the project; skipped without it. Latency is measured, with the
p95 target, by `python -m benchmarks.knowledge`; here only a generous bound guards against a
search that has become pathologically slow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.knowledge import SearchReport, build_store, evaluate, load_questions
from knowledge.procedures.search import ProcedureIndex

pytestmark = pytest.mark.slow

CATALOGUE = Path("procedures") / "national-catalogue-sample.jsonl"
BIRTH = "1.001193"


@pytest.fixture(scope="module")
def index(reference_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcedureIndex]:
    from sqlalchemy.orm import sessionmaker

    import database.models  # noqa: F401 - every table on Base.metadata
    from core.db import Base, make_engine
    from knowledge.procedures.service import list_published

    catalogue = reference_dir / CATALOGUE
    if not catalogue.exists():
        pytest.skip(f"{catalogue} is missing")
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('search') / 'knowledge.sqlite3'}")
    Base.metadata.create_all(engine)
    with sessionmaker(bind=engine, expire_on_commit=False)() as session:
        build_store(session, catalogue)
        procedures = list_published(session)
        assert len(procedures) > 2000, "the catalogue sample was not imported"
        yield ProcedureIndex.build(procedures)
    engine.dispose()


@pytest.fixture(scope="module")
def report(index: ProcedureIndex) -> SearchReport:
    return evaluate(index, load_questions())


def _misses(report: SearchReport) -> str:
    return "\n".join(
        f"  {m.question.text!r}: expected {list(m.question.expected)}, got {[h.code for h in m.got[:3]]}"
        for m in report.misses
    )


def test_labelled_set_is_large_and_mixed() -> None:
    questions = load_questions()
    assert len(questions) >= 150
    with_marks = sum(q.with_diacritics for q in questions)
    assert 0.3 <= with_marks / len(questions) <= 0.7


def test_search_meets_the_accuracy_targets(report: SearchReport) -> None:
    assert report.overall.top1_rate >= 0.90, _misses(report)
    assert report.overall.top3_rate >= 0.98, _misses(report)
    assert report.with_diacritics.top1_rate >= 0.88, _misses(report)
    assert report.without_diacritics.top1_rate >= 0.88, _misses(report)


def test_search_stays_fast(report: SearchReport) -> None:
    assert report.percentile(0.95) < 25.0  # ms; the target (5 ms) is checked by the benchmark


def _rank(index: ProcedureIndex, query: str, code: str) -> int:
    codes = [hit.code for hit in index.search(query, limit=50)]
    return codes.index(code) if code in codes else len(codes)


def _birth_variants(index: ProcedureIndex) -> dict[str, str]:
    """The catalogue's variants of birth registration, by what makes them one."""
    found: dict[str, str] = {}
    for doc in index.docs:
        name = doc.name.lower()
        if "khai sinh" in name and "kết hợp" not in name and "lại" not in name.split():
            for marker in ("lưu động", "có yếu tố nước ngoài"):
                if marker in name:
                    found[doc.code] = marker
    return found


@pytest.mark.parametrize(
    "query",
    [
        "đăng ký khai sinh",
        "dang ky khai sinh",
        "đăng ký khai sinh cho con cần giấy tờ gì",
        "dk khai sinh cho be mat bao lau",
        "làm giấy khai sinh ở đâu",
        "le phi dang ky khai sinh",
    ],
)
def test_birth_registration_outranks_its_variants(index: ProcedureIndex, query: str) -> None:
    variants = _birth_variants(index)
    assert {"lưu động", "có yếu tố nước ngoài"} <= set(variants.values())
    hits = index.search(query, limit=3)
    assert hits[0].code == BIRTH
    birth = _rank(index, query, BIRTH)
    for code in variants:
        assert birth < _rank(index, query, code), code


@pytest.mark.parametrize(
    ("query", "marker"),
    [
        ("đăng ký khai sinh lưu động", "lưu động"),
        ("dang ky khai sinh luu dong", "lưu động"),
        ("đăng ký khai sinh có yếu tố nước ngoài", "có yếu tố nước ngoài"),
        ("dang ky khai sinh co yeu to nuoc ngoai", "có yếu tố nước ngoài"),
        ("đk khai sinh lưu động cho trẻ ở bản xa", "lưu động"),
        ("làm khai sinh có yếu tố nước ngoài cho bé", "có yếu tố nước ngoài"),
    ],
)
def test_a_variant_asked_for_comes_before_the_plain_procedure(index: ProcedureIndex, query: str, marker: str) -> None:
    top = index.search(query, limit=1)[0]
    assert _birth_variants(index).get(top.code) == marker, top
