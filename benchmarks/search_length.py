"""Procedure search time against the length of the message (issue 12, finding 1).

    python -m benchmarks.search_length [--catalogue PATH] [--runs N]

For messages from a few words to the probe's 320 KB one, prints the search time (p50 and max
over a few runs, after a warm-up) twice: as deployed, where the search reads a message only up
to ``max_message_chars`` characters (the longest message a channel accepts), and with that limit
lifted, which shows how the search itself grows with the text (linearly; it used to grow with
the square of it). Two kinds of text: the probe's ("đăng ký tạm trú" over and over) and the
labelled citizen questions run together.

Over the reviewed seed, then over the seed with the national catalogue sample imported on top
when ../shared/reference is present (as ``benchmarks.knowledge`` builds it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from benchmarks.knowledge import DEFAULT_CATALOGUE, build_store, load_questions
from core.settings import get_settings
from knowledge.procedures.search import ProcedureIndex
from knowledge.procedures.service import list_published

WORDS = (10, 50, 125, 250, 500, 1_000, 2_000, 4_000, 8_000, 80_000)  # 80,000: the probe's 320 KB
PROBE = "đăng ký tạm trú"


@contextmanager
def message_limit(chars: int | None) -> Iterator[int]:
    """``max_message_chars`` as set (None: as configured), restored afterwards."""
    before = os.environ.get("TTHC_MAX_MESSAGE_CHARS")
    if chars is not None:
        os.environ["TTHC_MAX_MESSAGE_CHARS"] = str(chars)
    get_settings.cache_clear()
    try:
        yield get_settings().max_message_chars
    finally:
        if before is None:
            os.environ.pop("TTHC_MAX_MESSAGE_CHARS", None)
        else:
            os.environ["TTHC_MAX_MESSAGE_CHARS"] = before
        get_settings.cache_clear()


@cache
def _question_words() -> list[str]:
    return " ".join(q.text for q in load_questions()).split()


def texts(words: int) -> dict[str, str]:
    """The messages of ``words`` words, by kind."""
    probe = (PROBE + " ") * (words // len(PROBE.split()))
    pool = _question_words()
    questions = " ".join(pool[i % len(pool)] for i in range(words))
    return {"probe": probe.strip(), "questions": questions}


def timings_ms(search: Callable[[str], object], text: str, runs: int) -> tuple[float, float]:
    search(text)  # warm-up: typo-correction cache, allocator
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        search(text)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def print_table(label: str, index: ProcedureIndex, runs: int) -> None:
    limit = get_settings().max_message_chars
    print(f"\n{label}: {len(index.docs)} procedures; max_message_chars = {limit:,}; {runs} runs per cell, ms")
    header = (
        f"{'text':<10} {'words':>7} {'chars':>9} | {'as deployed p50':>15} {'max':>8} | "
        f"{'limit lifted p50':>16} {'max':>8}"
    )
    print(header)
    print("-" * len(header))
    for kind in ("probe", "questions"):
        for words in WORDS:
            text = texts(words)[kind]
            with message_limit(None):
                deployed = timings_ms(index.search, text, runs)
            with message_limit(10**9):
                lifted = timings_ms(index.search, text, max(1, runs // 2) if words >= 8_000 else runs)
            mark = "  > limit: read up to the limit" if len(text) > limit else ""
            print(
                f"{kind:<10} {words:>7,} {len(text):>9,} | {deployed[0]:>15.2f} {deployed[1]:>8.2f} | "
                f"{lifted[0]:>16.2f} {lifted[1]:>8.2f}{mark}"
            )


def main(argv: list[str] | None = None) -> int:
    import database.models  # noqa: F401 - every table on Base.metadata
    from core.db import Base, make_engine
    from knowledge.seed.loader import seed_procedures

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE, help="national catalogue JSONL")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="tthc-bench-length-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'knowledge.sqlite3'}")
        Base.metadata.create_all(engine)
        with sessionmaker(bind=engine, expire_on_commit=False)() as session:
            seed_procedures(session)
            session.commit()
            print_table("reviewed seed", ProcedureIndex.build(list_published(session)), args.runs)
            if args.catalogue.exists():
                print(build_store(session, args.catalogue).split(";", 1)[1].strip())
                print_table("seed + national sample", ProcedureIndex.build(list_published(session)), args.runs)
            else:
                print(f"\n{args.catalogue} is missing: national sample skipped")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
