"""The issue-16 features on the embedded default: personal checklists, the dossier news poller, notices.

    python -m benchmarks.outcomes [--subscriptions N] [--dossiers M] [--changed-percent P]
                                  [--notices K] [--notice-calls C] [--checklist-repeats R]
                                  [--pdf-repeats R] [--page-repeats R] [--procedures Q] [--seed S]
    make bench-outcomes [ARGS="--subscriptions 1000 ..."]

Builds a temporary SQLite database migrated and seeded as ``make run`` and the tests do it
(``cli.setup_db.prepare_database``: units, reviewed procedures, demo centres and dossiers), with
the settings pointing at it for the duration (never the repository's var/), then measures:

1. Personal checklists (knowledge/checklists/service.py), for every seeded procedure that has
   checklist questions and every answer to its first question (each option and "skip"), without
   and with a commune (26743, Phường Bến Thành, which has a demo centre):
   - ``build_checklist`` + ``chat_text``, the procedure already loaded: median and p95 ms;
   - the PDF (``api.checklists.pdf.checklist_pdf`` on the saved list, as the route renders it):
     median and p95 ms and size in KB;
   - the printable page ``GET /checklists/{token}`` and ``GET /checklists/{token}.pdf`` through the
     ASGI app (``api.main.create_app`` in starlette's TestClient, lifespan included, no socket).
2. The dossier news poller (servicedesk/dossier_news/poller.py ``poll_round``) with
   ``HttpConnector`` against the fake provincial one-stop system (tests/fakes/provincial_one_stop.py)
   on real loopback HTTP: N subscriptions (distinct web and Zalo conversations, half each) over M
   dossiers; P % of the dossiers change status, every subscription is made due (as a push does) and
   polled once ("round": ``poll_round`` with a batch of all of them, repeated when N is over the
   1,000 a batch may hold): seconds, provincial lookups per second, news rows created. They must
   equal the subscriptions to the changed dossiers, and a second round right after must create
   none; otherwise the script says so and exits 1.
3. Notices (``knowledge.notices.service.active_notices``): K notices over random current units
   (communes and provinces; some for every unit, some scoped to a procedure, some ended, not
   started yet or withdrawn), C calls for random communes and procedures, a new session per call
   as a request has: median and p95 ms.

Loopback only, bounded counts; the defaults take about 50 s on 2 cores (most of it the PDF
renders and the two news rounds). Prints plain tables of numbers (docs/benchmarks.md); exit code 0,
1 when the news counts are wrong. tests/benchmarks_outcomes runs it with tiny sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.load_stats import percentile

COMMUNE = "26743"  # Phường Bến Thành: a current commune with a demo service centre
DOSSIER_CODE = "000.00.01.H29-250710-{:04d}"
MAX_BATCH = 1_000  # DossierSettings.news_batch_size's upper bound
CHANGED_STATUS = "CHO_BO_SUNG"  # → supplement_required: news for every follower

T = TypeVar("T")


# --- printing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    label: str
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95)

    def row(self) -> str:
        return f"  {self.label:<44}  {len(self.samples):>6}  {self.median:>9.2f}  {self.p95:>9.2f}"


def _spread_table(title: str, spreads: Sequence[Spread]) -> None:
    print(title)
    print(f"  {'measure':<44}  {'n':>6}  {'median':>9}  {'p95':>9}")
    for spread in spreads:
        print(spread.row())


def _value_table(title: str, rows: Sequence[tuple[str, float | int]]) -> None:
    print(title)
    for label, value in rows:
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"  {label:<44}  {shown:>9}")


def _timed(call: Callable[..., T], *args: Any) -> tuple[float, T]:
    """Milliseconds ``call(*args)`` took, and what it returned."""
    started = time.perf_counter()
    result = call(*args)
    return (time.perf_counter() - started) * 1000, result


# --- the temporary database --------------------------------------------------------------------


def _clear_caches() -> None:
    """The cached settings, engine and sessionmaker (as tests.staff.fixtures.clear_app_caches)."""
    from core import db
    from core.settings import get_settings

    if db.get_engine.cache_info().currsize:
        db.get_engine().dispose()
    for cached in (get_settings, db.get_engine, db.get_sessionmaker):
        cached.cache_clear()


def _closed_port() -> int:
    from cli.stack import free_port

    return free_port()  # nothing listens there: Rasa and the action server are "down"


@contextmanager
def seeded_database() -> Iterator[str]:
    """A temporary data dir with a migrated, seeded SQLite database; the application's settings
    point at it (environment variables, caches cleared) until the block ends. Yields its URL."""
    from cli.setup_db import prepare_database

    with tempfile.TemporaryDirectory(prefix="tthc-bench-outcomes-") as tmp:
        data_dir = Path(tmp)
        url = f"sqlite:///{data_dir / 'tthc.sqlite3'}"
        values = {
            "TTHC_DATA_DIR": str(data_dir),
            "TTHC_DATABASE_URL": url,
            "TTHC_PROFILE": "embedded",
            "TTHC_SEED_DEMO_DATA": "true",
            "TTHC_RASA_URL": f"http://127.0.0.1:{_closed_port()}",
            "TTHC_RASA_URLS": "",
            "TTHC_ACTION_SERVER_URL": f"http://127.0.0.1:{_closed_port()}",
            "TTHC_LEARNED_NLU_PATH": str(data_dir / "learned.yml"),
        }
        removed = ("TTHC_REDIS_URL",)  # the embedded default: shared state in memory
        saved = {name: os.environ.get(name) for name in (*values, *removed)}
        os.environ.update(values)
        for name in removed:
            os.environ.pop(name, None)
        _clear_caches()
        try:
            started = time.perf_counter()
            prepare_database(lambda *_: None)
            print(f"temporary database migrated and seeded in {time.perf_counter() - started:.1f} s")
            yield url
        finally:
            _clear_caches()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


# --- 1. personal checklists --------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    code: str
    answers: dict[str, str]
    unit_code: str | None


def checklist_cases(session: Session, max_procedures: int | None = None) -> list[Case]:
    """Every answer to the first question of each seeded procedure with checklist questions
    (its options and "skip"), without and with a commune; the first ``max_procedures`` only."""
    from knowledge.checklists import service as checklists
    from knowledge.procedures import service as procedures

    cases = []
    asked = [p for p in procedures.list_published(session) if p.checklist_questions]
    for procedure in sorted(asked, key=lambda p: p.code)[:max_procedures]:
        first = checklists.questions(procedure)[0]
        for answer in [option.key for option in first.options] + [checklists.SKIP]:
            for unit_code in (None, COMMUNE):
                cases.append(Case(procedure.code, {first.key: answer}, unit_code))
    return cases


def bench_checklists(
    url: str, *, repeats: int, pdf_repeats: int, page_repeats: int, max_procedures: int | None = None
) -> int:
    from fastapi.testclient import TestClient

    from api.checklists.pdf import checklist_pdf
    from api.main import create_app
    from core.db import make_engine
    from core.settings import get_settings
    from knowledge.checklists import service as checklists
    from knowledge.procedures import service as procedures

    settings = get_settings()
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    build, pdf_ms, pdf_kb, page_ms, pdf_route_ms = [], [], [], [], []
    with factory() as session:
        cases = checklist_cases(session, max_procedures)
        loaded = {case.code: procedures.get_by_code(session, case.code) for case in cases}
        link = checklists.checklist_url(settings, "benchmark-token-0000")
        for round_number in range(repeats + 1):  # the first pass warms up (relationships loaded)
            for case in cases:
                procedure = loaded[case.code]
                assert procedure is not None

                def call(case: Case = case, procedure: Any = procedure) -> str:
                    made = checklists.build_checklist(session, procedure, case.answers, unit_code=case.unit_code)
                    return checklists.chat_text(made, link)

                elapsed, _ = _timed(call)
                if round_number:
                    build.append(elapsed)
        tokens = []
        for case in cases:
            procedure = loaded[case.code]
            assert procedure is not None
            saved = checklists.save_checklist(session, procedure, case.answers, unit_code=case.unit_code)
            tokens.append(saved.token)
        session.commit()
        views = [(checklists.open_saved(session, token), checklists.checklist_url(settings, token)) for token in tokens]
        checklist_pdf(*views[0])  # warm-up: the fonts are parsed once per process
        for _ in range(pdf_repeats):
            for view, page_url in views:
                elapsed, content = _timed(checklist_pdf, view, page_url)
                pdf_ms.append(elapsed)
                pdf_kb.append(len(content) / 1024)
    engine.dispose()

    with TestClient(create_app()) as client:
        client.get(f"/checklists/{tokens[0]}")  # warm-up: templates compiled
        for _ in range(page_repeats):
            for token in tokens:
                elapsed, response = _timed(client.get, f"/checklists/{token}")
                if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
                    raise RuntimeError(f"GET /checklists/{{token}}: HTTP {response.status_code}")
                page_ms.append(elapsed)
                elapsed, response = _timed(client.get, f"/checklists/{token}.pdf")
                if response.status_code != 200 or not response.content.startswith(b"%PDF"):
                    raise RuntimeError(f"GET /checklists/{{token}}.pdf: HTTP {response.status_code}")
                pdf_route_ms.append(elapsed)

    codes = sorted({case.code for case in cases})
    _spread_table(
        f"personal checklists: {len(codes)} procedures with questions ({', '.join(codes)}), "
        f"{len(cases)} answer combinations (first question's answers incl. skip × without/with commune)",
        [
            Spread("checklist build_checklist+chat_text ms", build),
            Spread("checklist PDF render ms", pdf_ms),
            Spread("checklist PDF size KB", pdf_kb),
            Spread("checklist page GET /checklists/{token} ms", page_ms),
            Spread("checklist PDF GET /checklists/{token}.pdf ms", pdf_route_ms),
        ],
    )
    return len(cases)


# --- 2. the dossier news poller ----------------------------------------------------------------


@dataclass(frozen=True)
class NewsResult:
    expected: int
    first_news: int
    first_rows: int
    second_news: int
    second_rows: int
    failed: int

    @property
    def exact(self) -> bool:
        return (
            self.first_news == self.first_rows == self.expected
            and self.second_news == self.second_rows == 0
            and self.failed == 0
        )


def _sender(index: int, rng: random.Random) -> str:
    if index % 2:
        return f"zalo-84{index:011d}"
    return f"web-{uuid.UUID(int=rng.getrandbits(128))}"


def bench_news(url: str, *, subscriptions: int, dossiers: int, changed_percent: float, seed: int) -> NewsResult:
    from core.db import make_engine
    from core.settings import DossierSettings
    from servicedesk.dossier_news import service
    from servicedesk.dossier_news.models import DossierNews
    from servicedesk.dossier_news.poller import RoundReport, poll_round
    from servicedesk.dossiers.connectors import HttpConnector
    from tests.fakes.provincial_one_stop import DEFAULT_TOKEN, FakeOneStop, serve, synthetic_dossier

    rng = random.Random(seed)
    batch = min(subscriptions, MAX_BATCH)
    settings = DossierSettings(
        news_poll_seconds=900.0, news_backoff_max_seconds=3_600.0, news_batch_size=batch, news_subscription_days=90
    )
    codes = [DOSSIER_CODE.format(i) for i in range(dossiers)]
    changed = set(rng.sample(codes, max(1, round(dossiers * changed_percent / 100))))
    followed = [codes[i % dossiers] for i in range(subscriptions)]
    expected = sum(1 for code in followed if code in changed)

    engine = make_engine(url)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    with sessions() as session:
        started = time.perf_counter()
        for index, code in enumerate(followed):
            service.subscribe(
                session,
                dossier_code=code,
                sender_id=_sender(index, rng),
                status="processing",  # what the citizen was shown: DANG_XU_LY
                status_at=None,
                settings=settings,
            )
        session.commit()
        subscribe_s = time.perf_counter() - started

    def news_rows() -> int:
        with sessions() as session:
            return int(session.scalar(select(func.count()).select_from(DossierNews)) or 0)

    state = FakeOneStop()
    for code in codes:
        state.add(synthetic_dossier(code))

    def one_round(http: HttpConnector) -> tuple[float, int, RoundReport]:
        """Every subscription due (as a push makes it), then polled once; seconds, lookups, totals."""
        with sessions() as session:
            service.mark_due(session, codes)
        requests_before = len(state.requests)
        started = time.perf_counter()
        reports = []
        while True:
            report = asyncio.run(poll_round(sessions, http, settings))
            if not report.claimed:
                break
            reports.append(report)
        elapsed = time.perf_counter() - started
        total = RoundReport(*(sum(getattr(r, f) for r in reports) for f in RoundReport.__dataclass_fields__))
        return elapsed, len(state.requests) - requests_before, total

    with serve(state) as base:
        http = HttpConnector(base, DEFAULT_TOKEN, timeout_seconds=10, max_attempts=1, backoff_seconds=0.01)
        rows_before = news_rows()
        for code in changed:
            state.change_status(code, CHANGED_STATUS, note="Bổ sung bản sao giấy tờ (dữ liệu thử)")
        first_s, first_lookups, first = one_round(http)
        rows_after_first = news_rows()
        second_s, second_lookups, second = one_round(http)
        rows_after_second = news_rows()
    engine.dispose()

    result = NewsResult(
        expected=expected,
        first_news=first.news,
        first_rows=rows_after_first - rows_before,
        second_news=second.news,
        second_rows=rows_after_second - rows_after_first,
        failed=first.failed + second.failed + first.lost + second.lost,
    )
    _value_table(
        f"dossier news poller: HttpConnector → fake one-stop system on 127.0.0.1, poll_round batch {batch}",
        [
            ("news subscriptions", subscriptions),
            ("news dossiers", dossiers),
            ("news dossiers changed", len(changed)),
            ("news expected (subscriptions to changed)", expected),
            ("news subscribe all s", subscribe_s),
            ("news round 1 s", first_s),
            ("news round 1 subscriptions polled", first.claimed),
            ("news round 1 lookups", first_lookups),
            ("news round 1 lookups per s", first_lookups / first_s if first_s else 0.0),
            ("news round 1 subscriptions per s", first.claimed / first_s if first_s else 0.0),
            ("news round 1 created", result.first_rows),
            ("news round 1 zalo outbox", first.zalo),
            ("news round 2 s", second_s),
            ("news round 2 lookups", second_lookups),
            ("news round 2 created", result.second_rows),
            ("news failed or lost", result.failed),
        ],
    )
    return result


# --- 3. notices ----------------------------------------------------------------------------------


def bench_notices(url: str, *, notices: int, calls: int, seed: int) -> None:
    from core.db import make_engine, utcnow
    from knowledge.notices import service as notice_service
    from knowledge.notices.models import Notice
    from knowledge.procedures.models import Procedure
    from knowledge.units.models import AdministrativeUnit

    rng = random.Random(seed)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    now = utcnow()
    with factory() as session:
        communes = list(
            session.scalars(
                select(AdministrativeUnit.code).where(
                    AdministrativeUnit.status == "current", AdministrativeUnit.level == "commune"
                )
            )
        )
        provinces = list(
            session.scalars(
                select(AdministrativeUnit.code).where(
                    AdministrativeUnit.status == "current", AdministrativeUnit.level == "province"
                )
            )
        )
        codes = list(session.scalars(select(Procedure.code)))
        live = 0
        for index in range(notices):
            draw = rng.random()
            if draw < 0.1:
                units: list[str] = []  # every unit
            elif draw < 0.7:
                units = [rng.choice(communes)]
            elif draw < 0.9:
                units = [rng.choice(provinces)]
            else:
                units = rng.sample(communes, rng.randint(2, 5))
            window = rng.random()
            if window < 0.7:  # valid now
                starts, ends = now - dt.timedelta(days=rng.randint(0, 10)), now + dt.timedelta(days=rng.randint(1, 30))
            elif window < 0.85:  # over
                starts, ends = now - dt.timedelta(days=40), now - dt.timedelta(days=rng.randint(1, 30))
            else:  # not started yet
                starts, ends = now + dt.timedelta(days=rng.randint(1, 10)), now + dt.timedelta(days=40)
            withdrawn = now - dt.timedelta(hours=1) if rng.random() < 0.05 else None
            live += withdrawn is None and starts <= now < ends
            session.add(
                Notice(
                    title=f"Thông báo thử số {index}",
                    body="Bộ phận một cửa tạm nghỉ; dữ liệu thử của phép đo.",
                    severity="warning" if rng.random() < 0.2 else "info",
                    starts_at=starts,
                    ends_at=ends,
                    unit_codes=units,
                    procedure_codes=[rng.choice(codes)] if rng.random() < 0.2 else [],
                    created_by="benchmark",
                    created_at=now,
                    updated_at=now,
                    withdrawn_at=withdrawn,
                )
            )
        session.commit()
    asked = [  # any current commune (most have no notice of their own), a tenth with none; half a procedure
        (rng.choice(communes) if rng.random() < 0.9 else None, rng.choice(codes) if rng.random() < 0.5 else None)
        for _ in range(calls + 20)
    ]
    samples, shown = [], []
    for index, (unit_code, procedure_code) in enumerate(asked):

        def call(unit_code: str | None = unit_code, procedure_code: str | None = procedure_code) -> list[Any]:
            with factory() as session:  # a request's own session
                return notice_service.active_notices(session, unit_code=unit_code, procedure_code=procedure_code)

        elapsed, found = _timed(call)
        if index >= 20:  # the first 20 warm up
            samples.append(elapsed)
            shown.append(len(found))
    engine.dispose()
    _spread_table(
        f"notices: {notices} over random current units ({live} valid now), {len(communes)} communes asked at random",
        [Spread("notices active_notices ms", samples), Spread("notices shown per call", [float(n) for n in shown])],
    )


# --- main ----------------------------------------------------------------------------------------


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", type=_positive, default=500, help="news subscriptions (default 500)")
    parser.add_argument("--dossiers", type=_positive, default=250, help="dossiers they follow (default 250)")
    parser.add_argument("--changed-percent", type=float, default=10.0, help="dossiers changed (default 10)")
    parser.add_argument("--notices", type=_positive, default=1000, help="notices (default 1000)")
    parser.add_argument("--notice-calls", type=_positive, default=500, help="active_notices calls (default 500)")
    parser.add_argument(
        "--checklist-repeats", type=_positive, default=25, help="build+chat passes over the combinations (default 25)"
    )
    parser.add_argument("--pdf-repeats", type=_positive, default=2, help="PDF renders per combination (default 2)")
    parser.add_argument(
        "--page-repeats", type=_positive, default=2, help="page and PDF requests per combination (default 2)"
    )
    parser.add_argument("--procedures", type=_positive, default=None, help="checklist procedures (default all)")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    if args.subscriptions > 20_000 or args.dossiers > 10_000 or args.notices > 20_000 or args.notice_calls > 20_000:
        parser.error("bounded: at most 20,000 subscriptions, 10,000 dossiers, 20,000 notices and calls")
    if args.dossiers > args.subscriptions:
        parser.error("--dossiers must not exceed --subscriptions (each dossier is followed at least once)")
    if not 0 < args.changed_percent <= 100:
        parser.error("--changed-percent must be in (0, 100]")

    started = time.perf_counter()
    # The INFO lines the code under test writes (a line per subscription and news, fontTools' glyph
    # lists per PDF) would be timed with it and bury the table; warnings still show.
    logging.disable(logging.INFO)
    try:
        with seeded_database() as url:
            print()
            bench_checklists(
                url,
                repeats=args.checklist_repeats,
                pdf_repeats=args.pdf_repeats,
                page_repeats=args.page_repeats,
                max_procedures=args.procedures,
            )
            print()
            news = bench_news(
                url,
                subscriptions=args.subscriptions,
                dossiers=args.dossiers,
                changed_percent=args.changed_percent,
                seed=args.seed,
            )
            print()
            bench_notices(url, notices=args.notices, calls=args.notice_calls, seed=args.seed)
    finally:
        logging.disable(logging.NOTSET)
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    if not news.exact:
        print(
            f"NEWS COUNTS WRONG: round 1 created {news.first_rows} rows (report {news.first_news}), expected "
            f"{news.expected}; round 2 created {news.second_rows} (report {news.second_news}), expected 0; "
            f"failed or lost {news.failed}"
        )
        return 1
    print(f"news counts exact: {news.expected} news in round 1, 0 in round 2")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
