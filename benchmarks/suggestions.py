"""Suggestion latency for the hotline console, on the reviewed seed with the national sample imported.

    python -m benchmarks.suggestions [--catalogue PATH] [--max-questions N] [--budget SECONDS] [--no-http]

Builds a temporary SQLite store the way a deployment does (migrations, the reviewed seed, the
national catalogue sample imported on top), then times suggestions for the labelled search
questions (tests/data/search_questions.yml) plus questions built from the sample's procedure
names, each with and without diacritics and with the aspects an officer hears ("cần giấy tờ gì",
"lệ phí bao nhiêu", ...):

- in-process: ``knowledge.procedures.suggest.suggest`` through the revision-checked search, i.e.
  ranking, reading the matched procedures and writing the answers;
- over HTTP: ``GET /staff/api/suggestions`` on a real uvicorn on 127.0.0.1, as a logged-in agent
  (session cookie), one keep-alive connection, like the console.

Both after a warm-up (index build excluded; it is printed separately). Prints count, p50, p95, p99
and max in milliseconds and PASS/FAIL against the target (p95 < 100 ms). Bounded: at most
--max-questions questions per pass and --budget seconds per pass.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.knowledge import DEFAULT_CATALOGUE, build_store, load_questions
from bot.vntext import fold

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 100.0
WARM_UP = 20
# What callers ask about a procedure, as an officer would type it while listening.
ASPECT_TEMPLATES = (
    "{name}",
    "{name} cần giấy tờ gì",
    "lệ phí {name} bao nhiêu",
    "{name} mất bao lâu",
    "{name} nộp ở đâu",
    "{name} nộp online được không",
    "các bước {name}",
)
NAME_WORDS = 9  # officers type the words that matter, not a 60-word official name
AGENT_USERNAME = "bench-agent"
AGENT_PASSWORD = "bench-agent-password-2026"  # a throwaway account in a throwaway database


@dataclass(frozen=True)
class Timing:
    label: str
    samples_ms: list[float]
    wall_s: float

    def percentile(self, q: float) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.samples_ms) and self.percentile(0.95) < TARGET_P95_MS

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"{self.label:<34} n={len(self.samples_ms):<5} p50 {self.percentile(0.5):6.2f} ms   "
            f"p95 {self.percentile(0.95):6.2f} ms   p99 {self.percentile(0.99):6.2f} ms   "
            f"max {max(self.samples_ms, default=0):6.2f} ms   ({self.wall_s:.1f} s)   "
            f"{verdict} (p95 < {TARGET_P95_MS:.0f} ms)"
        )


def _short(name: str) -> str:
    # Without the "(thực hiện tại cấp tỉnh)" notes and long enumerations.
    head = name.split("(")[0].split(";")[0].strip() or name
    return " ".join(head.split()[:NAME_WORDS])


def build_questions(session: Session, max_questions: int, seed: int = 2026) -> list[str]:
    """The labelled questions, then sample names with aspects, half folded; deterministic."""
    from knowledge.procedures.service import list_published

    labelled = [q.text for q in load_questions()]
    rng = random.Random(seed)
    names = sorted(p.name for p in list_published(session))
    rng.shuffle(names)
    built = []
    for i, name in enumerate(names):
        text = ASPECT_TEMPLATES[i % len(ASPECT_TEMPLATES)].format(name=_short(name))
        built.append(fold(text) if i % 2 else text)  # without diacritics, as many callers are typed
    questions = labelled + built
    return questions[:max_questions]


def _time(label: str, questions: list[str], call: Callable[[str], object], budget_s: float) -> Timing:
    for question in questions[:WARM_UP]:
        call(question)
    samples = []
    started = time.perf_counter()
    for question in questions:
        t0 = time.perf_counter()
        call(question)
        samples.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - started > budget_s:
            break
    return Timing(label, samples, time.perf_counter() - started)


def in_process(factory: sessionmaker[Session], questions: list[str], budget_s: float) -> list[Timing]:
    from knowledge.procedures.search import procedure_search
    from knowledge.procedures.suggest import suggest

    with factory() as session:
        started = time.perf_counter()
        index = procedure_search.index(session)
        print(f"index build: {time.perf_counter() - started:.2f} s ({len(index.docs)} procedures)")
        timings = [_time("in-process suggest()", questions, lambda q: suggest(session, q), budget_s)]

    def per_request(question: str) -> None:
        # As the route does it: a session per request.
        with factory() as session:
            suggest(session, question)

    timings.append(_time("in-process, session per request", questions, per_request, budget_s))
    return timings


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def api_server(data_dir: Path, database_url: str) -> Iterator[str]:
    """uvicorn on 127.0.0.1 on the benchmark's database; stopped on exit."""
    port = _free_port()
    env = dict(os.environ, TTHC_DATA_DIR=str(data_dir), TTHC_DATABASE_URL=database_url, PYTHONPATH=str(ROOT))
    log = (data_dir / "api.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/staff/login", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start; see {data_dir / 'api.log'}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def create_agent(session: Session) -> None:
    from api.staff.security import Role
    from servicedesk.accounts import service as accounts

    accounts.create_account(
        session, username=AGENT_USERNAME, password=AGENT_PASSWORD, display_name="Cán bộ đo hiệu năng", role=Role.AGENT
    )
    session.commit()


def log_in(client: httpx.Client) -> None:
    """The login form, as a browser fills it (its CSRF token included)."""
    import re

    page = client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    form = {"username": AGENT_USERNAME, "password": AGENT_PASSWORD}
    if token:
        form["csrf_token"] = token.group(1)
    response = client.post("/staff/login", data=form, follow_redirects=False)
    if response.status_code >= 400:
        raise RuntimeError(f"login refused: HTTP {response.status_code}")


def over_http(base: str, questions: list[str], budget_s: float) -> Timing:
    with httpx.Client(base_url=base, timeout=10) as client:
        log_in(client)

        def call(question: str) -> None:
            response = client.get("/staff/api/suggestions", params={"q": question, "limit": 5})
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code} for a suggestion request")

        return _time("HTTP GET /staff/api/suggestions", questions, call, budget_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE, help="national catalogue JSONL")
    parser.add_argument("--max-questions", type=int, default=1000, help="questions per pass (default 1000)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per pass at most (default 60)")
    parser.add_argument("--no-http", action="store_true", help="only the in-process pass")
    args = parser.parse_args(argv)

    from core.db import make_engine
    from database.migrate import upgrade

    if not args.catalogue.exists():
        print(f"the national sample is missing: {args.catalogue} (pass --catalogue PATH)", file=sys.stderr)
        return 2

    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="tthc-bench-suggest-") as tmp:
        data_dir = Path(tmp)
        database_url = f"sqlite:///{data_dir / 'tthc.sqlite3'}"
        upgrade(database_url)
        engine = make_engine(database_url)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        with factory() as session:
            print(build_store(session, args.catalogue))
            questions = build_questions(session, args.max_questions)
            if not args.no_http:
                create_agent(session)
        folded = sum(1 for q in questions if fold(q) == q)
        print(f"questions: {len(questions)} ({len(questions) - folded} with diacritics, {folded} without)")
        timings += in_process(factory, questions, args.budget)
        if not args.no_http:
            with api_server(data_dir, database_url) as base:
                timings.append(over_http(base, questions, args.budget))
        engine.dispose()

    print("suggestion latency (ranking + answers for 5 procedures):")
    for timing in timings:
        print("  " + timing.line())
    return 0 if all(t.passed for t in timings) else 1


if __name__ == "__main__":
    raise SystemExit(main())
