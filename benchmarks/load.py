"""Load benchmark of the whole product (`make bench-load`): how many citizen messages per second
one machine answers with p95 <= 300 ms, and what each message costs in CPU time and memory.

In one run, one after the other, each on its own private stack started here (loopback only):

- ``embedded``: the default profile (SQLite, Rasa's in-memory tracker store, one process per role);
- ``production-1`` / ``production-2``: the production profile (a fresh PostgreSQL database, a
  unique Redis key prefix, Rasa's SQL tracker store and Redis lock store) with 1 and 2 Rasa replicas.

Traffic (benchmarks/load_mix.py): virtual citizens, each a distinct conversation running a short
script (procedure question and follow-up, with or without diacritics; former-unit questions;
dossier lookups; small talk), 75 % through the web widget (POST /api/chat), 25 % through signed
Zalo webhook events whose replies go out through the outbox to a fake Zalo API in this process.
Closed loop, no think time: a citizen sends its next message as soon as it has the answer, and a
finished citizen is replaced by a new one, so "citizens" = messages in flight. A Zalo citizen waits
for its reply to settle (0.3 s without a new message) before writing again.

Concurrency rises 1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64 citizens; each step is bounded in seconds
and in messages, and rising stops after a step with p95 > 300 ms, an error or an apology.
Latency: web, the POST /api/chat call; Zalo, from the webhook call to the first reply arriving at
the Zalo API. CPU time: utime + stime from /proc of every process of the stack (children included:
uvicorn and Sanic workers) and, in production, of the PostgreSQL backends of the benchmark's
database, before and after each step; the whole machine's busy and iowait time too, to show noise.
The whole run is bounded (printed at the start) and stops by itself.

This is a measurement, not a test: it exits 0 unless a configuration could not be measured (its
stack, PostgreSQL database or Redis could not start; the others are still measured). Results:
tables on stdout, JSON in reports/load/. Run ``python -m benchmarks.load [--quick]`` with
TTHC_RASA_VENV set (``make bench-load``).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import itertools
import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.load_mix import WEB, ZALO, Citizen, Mix, has_diacritics
from benchmarks.load_stats import (
    LOAD_GENERATOR,
    P95_LIMIT_MS,
    CpuMeter,
    Sample,
    StepResult,
    children_map,
    machine_cpu,
    next_concurrency,
    postgres_backends,
    process_tree,
    pss_mb,
    rss_mb,
    sustained,
)
from cli.stack import Stack, lock_key_prefix, private_stack
from core.paths import ROOT
from servicedesk.learning import training
from tests.fakes import zalo as fake_zalo

# The first words of api.chat.service.apology(): what a citizen reads when the assistant could not
# answer (Rasa or the action server unreachable, or an empty answer). Counted apart from HTTP errors.
APOLOGY_MARK = "hệ thống trợ lý đang gián đoạn"

LEVELS = [1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64]
QUICK_LEVELS = [1, 4, 16]
REQUEST_TIMEOUT = 10.0  # a web answer later than this is an error
ZALO_REPLY_TIMEOUT = 10.0  # a Zalo reply later than this is an error
ZALO_QUIET = 0.3  # a Zalo reply is complete after this long without another message ...
ZALO_SETTLE_CAP = 3.0  # ... or after this long in all
DRAIN_RESERVE = REQUEST_TIMEOUT + ZALO_REPLY_TIMEOUT + ZALO_SETTLE_CAP  # a step's worst overrun
STOP_RESERVE = 60.0  # a stack's start overrun (health wait at least 30 s) and its stop


@dataclass(frozen=True)
class Configuration:
    name: str
    profile: str
    rasa_replicas: int = 1

    @property
    def production(self) -> bool:
        return self.profile == "production"


CONFIGURATIONS = {
    "embedded": Configuration("embedded", "embedded"),
    "production-1": Configuration("production-1", "production", 1),
    "production-2": Configuration("production-2", "production", 2),
}


# --- the fake Zalo platform's side: when each reply arrives -------------------------------------


class ZaloReplies(list[dict[str, Any]]):
    """Stands in for FakeZalo.sent: instead of keeping the messages, wakes the citizen waiting for a
    reply (the fake Zalo API runs in a thread of this process; the citizens in its event loop)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._waiters: dict[str, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self._last: dict[str, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.delivered = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def append(self, item: dict[str, Any]) -> None:  # called by the fake API for each accepted send
        now = time.perf_counter()
        user = item["recipient"]["user_id"]
        with self._lock:
            self.delivered += 1
            self._last[user] = now
            waiter = self._waiters.pop(user, None)
        if waiter is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(_resolve, waiter, (now, item["message"]))

    def expect(self, user: str) -> asyncio.Future[tuple[float, dict[str, Any]]]:
        assert self._loop is not None
        waiter: asyncio.Future[tuple[float, dict[str, Any]]] = self._loop.create_future()
        with self._lock:
            self._waiters[user] = waiter
        return waiter

    def forget(self, user: str) -> None:
        with self._lock:
            self._waiters.pop(user, None)

    async def settle(self, user: str) -> None:
        """Returns once no message reached ``user`` for ZALO_QUIET seconds (at most ZALO_SETTLE_CAP),
        so that the rest of a reply is not taken for the answer to the citizen's next message."""
        started = time.perf_counter()
        while time.perf_counter() - started < ZALO_SETTLE_CAP:
            with self._lock:
                last = self._last.get(user, 0.0)
            wait = last + ZALO_QUIET - time.perf_counter()
            if wait <= 0:
                return
            await asyncio.sleep(wait)


def _resolve(waiter: asyncio.Future[tuple[float, dict[str, Any]]], value: tuple[float, dict[str, Any]]) -> None:
    if not waiter.done():
        waiter.set_result(value)


def zalo_env(url: str) -> dict[str, str]:
    """The stack's Zalo channel configured against the fake Zalo platform (synthetic credentials)."""
    return fake_zalo.stack_env(url)


# --- the citizens ---------------------------------------------------------------------------------


class Driver:
    """Runs citizens of the mix against one stack's API."""

    def __init__(self, client: httpx.AsyncClient, api_url: str, mix: Mix, replies: ZaloReplies, run: int) -> None:
        self.client = client
        self.api_url = api_url
        self.mix = mix
        self.replies = replies
        self.run = run
        self._msg_ids = itertools.count(1)

    async def send(self, citizen: Citizen, text: str) -> Sample:
        if citizen.channel == ZALO:
            return await self._send_zalo(citizen, text)
        return await self._send_web(citizen, text)

    def _sample(self, citizen: Citizen, text: str, started: float, **outcome: Any) -> Sample:
        latency = outcome.pop("latency_ms", (time.perf_counter() - started) * 1000)
        return Sample(citizen.channel, citizen.kind, latency, diacritics=has_diacritics(text), **outcome)

    async def _send_web(self, citizen: Citizen, text: str) -> Sample:
        started = time.perf_counter()
        try:
            response = await self.client.post(
                f"{self.api_url}/api/chat", json={"sender": citizen.web_sender(self.run), "message": text}
            )
        except httpx.TimeoutException:
            return self._sample(citizen, text, started, ok=False, error="timeout")
        except httpx.HTTPError as exc:
            return self._sample(citizen, text, started, ok=False, error=type(exc).__name__)
        latency = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            return self._sample(
                citizen, text, started, latency_ms=latency, ok=False, error=f"HTTP {response.status_code}"
            )
        texts = [m.get("text") or "" for m in response.json().get("messages", [])]
        apology = any(APOLOGY_MARK in t for t in texts)
        return self._sample(citizen, text, started, latency_ms=latency, ok=True, apology=apology)

    async def _send_zalo(self, citizen: Citizen, text: str) -> Sample:
        user = citizen.zalo_user(self.run)
        event = fake_zalo.text_event(user, text, f"load-{self.run}-{next(self._msg_ids)}")
        raw, headers = fake_zalo.signed_event(event)
        waiter = self.replies.expect(user)
        started = time.perf_counter()
        try:
            response = await self.client.post(f"{self.api_url}/webhooks/zalo", content=raw, headers=headers)
        except httpx.TimeoutException:
            self.replies.forget(user)
            return self._sample(citizen, text, started, ok=False, error="timeout")
        except httpx.HTTPError as exc:
            self.replies.forget(user)
            return self._sample(citizen, text, started, ok=False, error=type(exc).__name__)
        if response.status_code != 200 or response.json().get("status") != "accepted":
            self.replies.forget(user)
            return self._sample(citizen, text, started, ok=False, error=f"webhook {response.status_code}")
        try:
            arrived, message = await asyncio.wait_for(waiter, ZALO_REPLY_TIMEOUT)
        except TimeoutError:
            self.replies.forget(user)
            return self._sample(citizen, text, started, ok=False, error="no Zalo reply")
        await self.replies.settle(user)
        apology = APOLOGY_MARK in str(message.get("text") or "")
        return self._sample(citizen, text, started, latency_ms=(arrived - started) * 1000, ok=True, apology=apology)

    async def run_step(self, concurrency: int, seconds: float, max_messages: int) -> tuple[list[Sample], float, str]:
        """``concurrency`` citizens at a time for ``seconds`` or ``max_messages`` messages, whichever
        comes first; messages in flight then finish (counted). Returns samples, elapsed, the bound."""
        samples: list[Sample] = []
        budget = [max_messages]
        stopped_by = ["time"]
        started = time.perf_counter()
        deadline = started + seconds

        async def citizen_slot() -> None:
            while True:
                citizen = next(self.mix)
                for text in citizen.messages:
                    if time.perf_counter() >= deadline:
                        return
                    if budget[0] <= 0:
                        stopped_by[0] = "messages"
                        return
                    budget[0] -= 1
                    samples.append(await self.send(citizen, text))

        await asyncio.gather(*(citizen_slot() for _ in range(concurrency)))
        return samples, time.perf_counter() - started, stopped_by[0]


# --- one configuration ----------------------------------------------------------------------------


@dataclass
class ConfigurationResult:
    configuration: Configuration
    cold_start_seconds: float = float("nan")
    steps: list[StepResult] = field(default_factory=list)
    # process (tree) -> RSS at the end and peak, peak PSS, number of processes in the tree
    rss_mb: dict[str, dict[str, float]] = field(default_factory=dict)
    note: str = ""
    warmup_messages: int = 0

    def sustained_step(self) -> StepResult | None:
        return sustained(self.steps)


def _process_groups(stack: Stack, database: str | None) -> dict[str, list[int]]:
    children = children_map()
    groups = {name: process_tree(proc.popen.pid, children) for name, proc in stack.processes.items()}
    if database:
        groups["postgresql"] = postgres_backends(database)
    groups[LOAD_GENERATOR] = [os.getpid()]
    return groups


def _record_rss(result: ConfigurationResult, stack: Stack) -> None:
    children = children_map()
    for name, proc in stack.processes.items():
        tree = process_tree(proc.popen.pid, children)
        rss, pss = sum(rss_mb(pid) for pid in tree), sum(pss_mb(pid) for pid in tree)
        entry = result.rss_mb.setdefault(name, {"end": 0.0, "peak": 0.0, "pss_peak": 0.0, "processes": 0})
        entry["end"] = round(rss, 1)
        entry["peak"] = round(max(entry["peak"], rss), 1)
        entry["pss_peak"] = round(max(entry["pss_peak"], pss), 1)
        entry["processes"] = len(tree)


async def _drive(
    stack: Stack,
    result: ConfigurationResult,
    args: argparse.Namespace,
    replies: ZaloReplies,
    mix: Mix,
    run: int,
    slot_end: float,
    database: str | None,
) -> None:
    replies.bind(asyncio.get_running_loop())
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as client:
        driver = Driver(client, stack.config.api_url, mix, replies, run)
        # Warm-up, not counted: first calls build indexes, open connections, fill caches.
        warm, _, _ = await driver.run_step(2, args.warmup_seconds, args.max_messages)
        result.warmup_messages = len(warm)
        meter = CpuMeter()
        while (level := next_concurrency(args.levels, result.steps)) is not None:
            if time.monotonic() + args.step_seconds + DRAIN_RESERVE > slot_end:
                result.note = f"stopped rising before {level} citizens: time bound of the run"
                break
            meter.start(_process_groups(stack, database))
            busy, iowait = machine_cpu()
            samples, elapsed, stopped_by = await driver.run_step(level, args.step_seconds, args.max_messages)
            busy_after, iowait_after = machine_cpu()
            cpu = meter.stop(_process_groups(stack, database))
            step = StepResult(level, elapsed, samples, cpu, stopped_by, busy_after - busy, iowait_after - iowait)
            result.steps.append(step)
            _record_rss(result, stack)
            print(_step_row(step), flush=True)


@contextmanager
def production_services(config: Configuration) -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database and a unique Redis key prefix for a production stack, on the
    services the tests use (tests/databases.py); both removed afterwards."""
    if not config.production:
        yield {}
        return
    import redis
    from sqlalchemy.engine import make_url

    from tests import databases

    database_url = databases.create_database("load")
    redis_url = databases.redis_test_url()
    prefix = databases.unique_redis_prefix()
    try:
        yield {
            "database": make_url(database_url).database or "",
            "database_url": database_url,
            "redis_url": redis_url,
            "redis_prefix": prefix,
        }
    finally:
        databases.drop_database(database_url)
        client = redis.Redis.from_url(redis_url)
        try:
            # The product's keys, and Rasa's locks under their alphanumeric prefix.
            for pattern in (f"{prefix}:*", f"{lock_key_prefix(prefix)}:*"):
                keys = list(client.scan_iter(match=pattern, count=1000))
                if keys:
                    client.delete(*keys)
        finally:
            client.close()


def production_supported() -> bool:
    """Whether cli.stack can start the production profile (issue 14's private_stack options)."""
    return "rasa_replicas" in inspect.signature(private_stack).parameters


def run_configuration(
    config: Configuration,
    model: Path,
    args: argparse.Namespace,
    replies: ZaloReplies,
    zalo_url: str,
    run: int,
    slot_end: float,
) -> ConfigurationResult:
    result = ConfigurationResult(config)
    print(f"\n## {config.name}", flush=True)
    if config.production and not production_supported():
        result.note = "skipped: cli.stack.private_stack has no production profile yet"
        print(result.note)
        return result
    with tempfile.TemporaryDirectory(prefix="tthc-load-") as tmp, production_services(config) as services:
        data_dir = Path(tmp)
        if config.production:
            stack = private_stack(
                data_dir,
                model,
                profile="production",
                rasa_replicas=config.rasa_replicas,
                action_workers=args.action_workers,
                api_workers=args.api_workers,
                database_url=services["database_url"],
                redis_url=services["redis_url"],
                redis_prefix=services["redis_prefix"],
            )
        else:
            stack = private_stack(data_dir, model)
        extra = stack.config.extra_env
        extra.update(zalo_env(zalo_url))
        # Every request comes from 127.0.0.1: the per-client chat limit would measure itself.
        extra["TTHC_CHAT_RATE_LIMIT"] = "100000000/minute"
        extra["TTHC_LEARNED_NLU_PATH"] = str(data_dir / "learned.yml")  # never the repository's
        started = time.monotonic()
        stack.start()
        try:
            result.cold_start_seconds = stack.wait_healthy(timeout=max(30.0, min(180.0, slot_end - time.monotonic())))
            print(f"healthy after {time.monotonic() - started:.1f} s; processes: {', '.join(stack.processes)}")
            print(_step_header(), flush=True)
            mix = Mix(seed=args.seed)
            asyncio.run(_drive(stack, result, args, replies, mix, run, slot_end, services.get("database")))
        finally:
            stack.stop()
    _print_rss(result)
    if result.note:
        print(result.note)
    return result


# --- tables ---------------------------------------------------------------------------------------

CORES = os.cpu_count() or 1


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:.0f}"


def _step_header() -> str:
    return (
        "| citizens | messages | msg/s | p50 ms | p95 ms | p99 ms | web p95 | Zalo p95 | errors | apologies "
        "| CPU-s/msg | stack CPU | machine CPU | iowait |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )


def _step_row(step: StepResult) -> str:
    def share(seconds: float) -> str:
        return "-" if not step.seconds or seconds != seconds else f"{seconds / step.seconds / CORES * 100:.0f} %"

    mark = "" if step.passes() else " ✗"
    return (
        f"| {step.concurrency}{mark} | {step.messages} | {step.rate:.1f} | {_ms(step.p50)} | {_ms(step.p95)} "
        f"| {_ms(step.p99)} | {_ms(step.latency(0.95, WEB))} | {_ms(step.latency(0.95, ZALO))} | {step.errors} "
        f"| {step.apologies} | {step.cpu_per_message:.4f} | {share(step.stack_cpu_seconds)} "
        f"| {share(step.machine_busy_seconds)} | {share(step.machine_iowait_seconds)} |"
    )


NOISY_SHARE = 0.10  # other work above this share of the machine's CPU makes a step noisy


def _noise_warning(result: ConfigurationResult) -> str | None:
    """A warning when other work used the machine's CPU during the steps (the numbers then
    understate what the stack can do)."""
    seconds = sum(s.seconds for s in result.steps)
    other = sum(s.other_cpu_seconds for s in result.steps)
    if not seconds or other != other or other / seconds / CORES <= NOISY_SHARE:
        return None
    return (
        f"noisy: other work used {other / seconds / CORES * 100:.0f} % of the machine's CPU during the steps; "
        "measure again on a quiet machine"
    )


def _print_rss(result: ConfigurationResult) -> None:
    warning = _noise_warning(result)
    if warning:
        print(f"\n{warning}")
    if not result.rss_mb:
        return
    print("\n| process | processes | RSS MB at the end | peak RSS MB | peak PSS MB |\n|---|---:|---:|---:|---:|")
    for name, entry in result.rss_mb.items():
        print(
            f"| {name} | {entry['processes']:.0f} | {entry['end']:.0f} | {entry['peak']:.0f} | {entry['pss_peak']:.0f} |"
        )
    best = result.sustained_step()
    if best is not None and best.messages:
        answered = best.messages - best.errors
        parts = ", ".join(f"{name} {seconds / answered * 1000:.1f}" for name, seconds in best.cpu_seconds.items())
        print(f"\nCPU ms per message at {best.concurrency} citizens: {parts}")


def _summary(results: list[ConfigurationResult]) -> None:
    print(f"\n## Summary (sustained = the best step with p95 <= {P95_LIMIT_MS:.0f} ms, no error, no apology)\n")
    print(
        "| configuration | sustained msg/s | citizens | p50 ms | p95 ms | p99 ms | errors (all steps) "
        "| apologies (all steps) | CPU-s/msg | memory MB (PSS, all processes) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        best = result.sustained_step()
        errors = sum(s.errors for s in result.steps)
        apologies = sum(s.apologies for s in result.steps)
        rss = sum(e["pss_peak"] for e in result.rss_mb.values())
        name = result.configuration.name
        if best is None:
            print(f"| {name} | - | - | - | - | - | {errors} | {apologies} | - | {rss:.0f} |")
            continue
        # Rising stopped by the time bound or the last level, not by the limit: at least this much.
        at_least = "≥ " if result.steps and result.steps[-1].passes() else ""
        print(
            f"| {name} | **{at_least}{best.rate:.1f}** | {best.concurrency} | {_ms(best.p50)} | {_ms(best.p95)} | {_ms(best.p99)} "
            f"| {errors} | {apologies} | {best.cpu_per_message:.4f} | {rss:.0f} |"
        )
    for result in results:
        if result.note:
            print(f"\n{result.configuration.name}: {result.note}")


def _mix_counts(results: list[ConfigurationResult]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {"channel": {}, "kind": {}, "diacritics": {}}
    for result in results:
        for step in result.steps:
            for s in step.samples:
                for key, value in (("channel", s.channel), ("kind", s.kind), ("diacritics", str(s.diacritics))):
                    counts[key][value] = counts[key].get(value, 0) + 1
    return counts


def _sustained_summary(result: ConfigurationResult) -> dict[str, object] | None:
    best = result.sustained_step()
    return None if best is None else best.summary()


def _write_json(results: list[ConfigurationResult], args: argparse.Namespace, bound: float, path: Path) -> None:
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m benchmarks.load " + " ".join(sys.argv[1:]),
        "machine": {"cores": CORES, "python": platform.python_version(), "platform": platform.platform()},
        "settings": {
            "levels": args.levels,
            "step_seconds": args.step_seconds,
            "max_messages_per_step": args.max_messages,
            "warmup_seconds": args.warmup_seconds,
            "p95_limit_ms": P95_LIMIT_MS,
            "bound_seconds": round(bound),
            "seed": args.seed,
            "production_api_workers": args.api_workers,
            "production_action_workers": args.action_workers,
        },
        "mix": _mix_counts(results),
        "configurations": [
            {
                "name": r.configuration.name,
                "profile": r.configuration.profile,
                "rasa_replicas": r.configuration.rasa_replicas,
                "cold_start_seconds": None
                if r.cold_start_seconds != r.cold_start_seconds
                else round(r.cold_start_seconds, 1),
                "warmup_messages": r.warmup_messages,
                "steps": [s.summary() for s in r.steps],
                "sustained": _sustained_summary(r),
                "rss_mb": r.rss_mb,
                "note": r.note,
                "noise": _noise_warning(r),
            }
            for r in results
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# --- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short smoke run: levels 1, 4, 16; 5 s steps")
    parser.add_argument("--configs", default="embedded,production-1,production-2", help="comma-separated, in order")
    parser.add_argument("--levels", type=lambda v: [int(x) for x in v.split(",")], help="concurrency steps")
    parser.add_argument("--step-seconds", type=float, help="seconds per step (default 20, quick 5)")
    parser.add_argument("--max-messages", type=int, help="messages per step at most (default 5000, quick 600)")
    parser.add_argument("--warmup-seconds", type=float, help="uncounted warm-up per stack (default 10, quick 3)")
    parser.add_argument(
        "--bound-minutes", type=float, help="the whole run stops rising after this (default 12, quick 5)"
    )
    parser.add_argument("--api-workers", type=int, default=1, help="uvicorn workers of the production stacks")
    parser.add_argument("--action-workers", type=int, default=1, help="action server workers of the production stacks")
    parser.add_argument("--seed", type=int, default=14, help="seed of the traffic mix")
    parser.add_argument("--model", type=Path, help="a trained model (default: the cached one, trained if missing)")
    parser.add_argument("--output", type=Path, help="JSON report (default reports/load/load-<time>.json)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.levels = args.levels or (QUICK_LEVELS if quick else LEVELS)
    args.step_seconds = args.step_seconds or (5.0 if quick else 20.0)
    args.max_messages = args.max_messages or (600 if quick else 5000)
    args.warmup_seconds = args.warmup_seconds if args.warmup_seconds is not None else (3.0 if quick else 10.0)
    args.bound_minutes = args.bound_minutes or (5.0 if quick else 12.0)
    unknown = [c for c in args.configs.split(",") if c not in CONFIGURATIONS]
    if unknown:
        parser.error(f"unknown configuration(s): {', '.join(unknown)}; known: {', '.join(CONFIGURATIONS)}")
    args.configurations = [CONFIGURATIONS[c] for c in args.configs.split(",")]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    bound = args.bound_minutes * 60
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    output = args.output or ROOT / "reports" / "load" / f"load-{stamp}.json"
    print(
        f"load benchmark: {', '.join(c.name for c in args.configurations)}; citizens {args.levels}; "
        f"steps of at most {args.step_seconds:.0f} s and {args.max_messages} messages; "
        f"p95 limit {P95_LIMIT_MS:.0f} ms; {CORES} cores"
    )
    model = args.model or training.ensure_model(log=lambda line: print(line, flush=True))
    print(f"model: {model.name}")
    run_started = time.monotonic()
    print(
        f"bound: every step ends within {args.bound_minutes:.0f} min from now; the run ends within "
        f"{(bound + STOP_RESERVE) / 60:.0f} min (stacks' start and stop included)",
        flush=True,
    )

    replies = ZaloReplies()
    zalo_state = fake_zalo.FakeZalo()
    zalo_state.sent = replies
    zalo_server = fake_zalo.ThreadedServer(fake_zalo.create_app(zalo_state))
    zalo_server.start()
    run = int(time.time()) % 1_000_000  # distinct Zalo user ids and web sender ids per run
    results: list[ConfigurationResult] = []
    failed: list[str] = []
    try:
        deadline = run_started + bound
        for index, config in enumerate(args.configurations):
            remaining = deadline - time.monotonic()
            slot_end = time.monotonic() + remaining / (len(args.configurations) - index)
            if remaining < args.step_seconds + DRAIN_RESERVE:
                result = ConfigurationResult(config, note="skipped: time bound of the run")
                print(f"\n## {config.name}\n{result.note}")
            else:
                try:
                    result = run_configuration(config, model, args, replies, zalo_server.url, run, slot_end)
                except Exception as exc:  # noqa: BLE001 - one stack that cannot start: measure the others
                    reason = (str(exc).strip().splitlines() or [""])[0][:200]
                    result = ConfigurationResult(config, note=f"failed: {type(exc).__name__}: {reason}")
                    failed.append(config.name)
                    print(result.note, flush=True)
            results.append(result)
    finally:
        zalo_server.stop()
    _summary(results)
    _write_json(results, args, bound, output)
    print(f"\nJSON: {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    print(f"whole run: {(time.monotonic() - run_started) / 60:.1f} min")
    if failed:
        sys.exit(f"could not measure: {', '.join(failed)}")


if __name__ == "__main__":
    main()
