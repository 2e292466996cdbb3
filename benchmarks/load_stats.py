"""Numbers of `make bench-load`: latency percentiles, one concurrency step's result, which step is
"sustained", and the CPU time and memory of processes read from /proc (Linux).

The pure parts (percentile, StepResult, passes/sustained) are checked by tests/benchmarks_load.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

P95_LIMIT_MS = 300.0
_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(samples: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) with the rounding of benchmarks.stack; NaN if empty."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@dataclass
class Sample:
    """One citizen message and what came of it."""

    channel: str
    kind: str
    latency_ms: float  # web: the POST /api/chat; Zalo: webhook call -> first reply at the Zalo API
    ok: bool  # an answer came (HTTP 200 and, for Zalo, a reply delivered in time)
    apology: bool = False  # the answer was the polite outage text of api/chat
    error: str | None = None  # what went wrong when not ok (status code, timeout, ...)
    diacritics: bool = False  # the message carried Vietnamese diacritics


@dataclass
class StepResult:
    concurrency: int
    seconds: float  # from the first message sent to the last answer (drain included)
    samples: list[Sample]
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # per process (tree), this step
    stopped_by: str = "time"  # time | messages
    # The whole machine during the step (/proc/stat): busy CPU seconds of every process, ours or
    # not, and seconds of idle CPU waiting for the disk. Much more busy time than the stack's and
    # the load generator's means something else ran at the same time: the step is noisy.
    machine_busy_seconds: float = float("nan")
    machine_iowait_seconds: float = float("nan")

    @property
    def messages(self) -> int:
        return len(self.samples)

    @property
    def errors(self) -> int:
        return sum(1 for s in self.samples if not s.ok)

    @property
    def apologies(self) -> int:
        return sum(1 for s in self.samples if s.ok and s.apology)

    @property
    def rate(self) -> float:
        """Answered messages per second (errors do not count)."""
        answered = self.messages - self.errors
        return answered / self.seconds if self.seconds > 0 else 0.0

    def latency(self, q: float, channel: str | None = None) -> float:
        return percentile((s.latency_ms for s in self.samples if s.ok and channel in (None, s.channel)), q)

    @property
    def p50(self) -> float:
        return self.latency(0.50)

    @property
    def p95(self) -> float:
        return self.latency(0.95)

    @property
    def p99(self) -> float:
        return self.latency(0.99)

    @property
    def stack_cpu_seconds(self) -> float:
        """CPU time of the stack's processes (not of the load generator itself)."""
        return sum(v for k, v in self.cpu_seconds.items() if k != LOAD_GENERATOR)

    @property
    def cpu_per_message(self) -> float:
        answered = self.messages - self.errors
        return self.stack_cpu_seconds / answered if answered else float("nan")

    @property
    def other_cpu_seconds(self) -> float:
        """Busy CPU time of the machine that was neither the stack's nor the load generator's:
        other work running at the same time (NaN when the machine was not measured)."""
        return max(0.0, self.machine_busy_seconds - sum(self.cpu_seconds.values()))

    def passes(self, p95_limit_ms: float = P95_LIMIT_MS) -> bool:
        """Whether the step kept p95 within the limit with every message answered, none by an apology."""
        return self.messages > 0 and self.errors == 0 and self.apologies == 0 and self.p95 <= p95_limit_ms

    def summary(self) -> dict[str, object]:
        by_channel = {
            channel: {
                "messages": sum(1 for s in self.samples if s.channel == channel),
                "p50_ms": _round(self.latency(0.50, channel)),
                "p95_ms": _round(self.latency(0.95, channel)),
                "p99_ms": _round(self.latency(0.99, channel)),
            }
            for channel in sorted({s.channel for s in self.samples})
        }
        error_kinds: dict[str, int] = {}
        for s in self.samples:
            if not s.ok:
                error_kinds[s.error or "?"] = error_kinds.get(s.error or "?", 0) + 1
        return {
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 2),
            "messages": self.messages,
            "messages_per_second": round(self.rate, 2),
            "p50_ms": _round(self.p50),
            "p95_ms": _round(self.p95),
            "p99_ms": _round(self.p99),
            "errors": self.errors,
            "error_kinds": error_kinds,
            "apologies": self.apologies,
            "stack_cpu_seconds": round(self.stack_cpu_seconds, 3),
            "cpu_seconds_per_message": _round(self.cpu_per_message, 4),
            "cpu_seconds_by_process": {k: round(v, 3) for k, v in self.cpu_seconds.items()},
            "machine_busy_seconds": _round(self.machine_busy_seconds, 2),
            "machine_iowait_seconds": _round(self.machine_iowait_seconds, 2),
            "other_cpu_seconds": _round(self.other_cpu_seconds, 2),
            "passes": self.passes(),
            "stopped_by": self.stopped_by,
            "by_channel": by_channel,
        }


def _round(value: float, digits: int = 1) -> float | None:
    return None if value != value else round(value, digits)  # NaN (no sample) -> null in the JSON


def sustained(steps: list[StepResult], p95_limit_ms: float = P95_LIMIT_MS) -> StepResult | None:
    """The step with the highest throughput among those that passed (None if none did)."""
    passing = [s for s in steps if s.passes(p95_limit_ms)]
    return max(passing, key=lambda s: s.rate, default=None)


def next_concurrency(levels: list[int], steps: list[StepResult], p95_limit_ms: float = P95_LIMIT_MS) -> int | None:
    """The next level to try, or None: rising stops after a failed step (p95 over the limit,
    errors or apologies) or at the last level."""
    if steps and not steps[-1].passes(p95_limit_ms):
        return None
    return levels[len(steps)] if len(steps) < len(levels) else None


# --- /proc ---------------------------------------------------------------------------------------

LOAD_GENERATOR = "load generator"  # this process (HTTP client and the fake Zalo API)


def children_map() -> dict[int, list[int]]:
    """Parent pid -> child pids of every process now (a multi-threaded parent may have forked from
    any thread, so /proc/<pid>/task/<pid>/children alone could miss some)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """``pid`` and its descendants (uvicorn and Sanic workers, Rasa's helpers)."""
    children = children_map() if children is None else children
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, including its reaped children (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the ")": state is field 3 of proc(5); utime, stime, cutime, cstime are 14..17.
    return sum(int(v) for v in fields[11:15]) / _TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, iowait) CPU seconds of the whole machine since boot, all cores (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is already in user and nice)
    idle, iowait = fields[3], fields[4]
    busy = sum(fields[:8]) - idle - iowait
    return busy / _TICKS, iowait / _TICKS


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional set size: resident memory with pages shared between processes (a forked
    Sanic or uvicorn worker and its parent) divided among them, so a tree's sum is what it costs."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def postgres_backends(database: str) -> list[int]:
    """The PostgreSQL server processes serving connections to ``database`` (their title names it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        # "postgres: [<cluster>: ]<user> <database> <client> <state>" (Debian adds the cluster).
        parts = title.split()
        if parts[:1] == ["postgres:"] and database in parts[1:4]:
            pids.append(int(entry.name))
    return pids


@dataclass
class CpuMeter:
    """CPU seconds of named process groups between two readings. A group is a list of pids read
    at each reading (processes that appear count from zero; ones that vanish are lost, which only
    happens to PostgreSQL backends of closed connections)."""

    groups: dict[str, list[int]] = field(default_factory=dict)
    _start: dict[int, float] = field(default_factory=dict)

    def start(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self._start = {pid: cpu_seconds(pid) for pids in groups.values() for pid in pids}

    def stop(self, groups: dict[str, list[int]]) -> dict[str, float]:
        used = {}
        for name, pids in groups.items():
            used[name] = sum(max(0.0, cpu_seconds(pid) - self._start.get(pid, 0.0)) for pid in pids)
        return used
