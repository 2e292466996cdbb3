"""Measures the running product: cold start to healthy, memory of each process, NLU parse latency
and chat turn latency. Prints a table; run with `make bench-stack`.

Numbers come from this machine at the moment of the run; they are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from cli.stack import private_stack
from servicedesk.learning import training

QUESTIONS = [
    "đăng ký khai sinh cần giấy tờ gì",
    "dang ky tam tru can giay to gi",
    "lệ phí đăng ký thường trú bao nhiêu",
    "làm giấy chứng tử mất bao lâu",
    "chứng thực bản sao nộp ở đâu",
    "xin chào",
    "cho em hỏi làm sổ đỏ có nộp online được không",
    "đăng ký kết hôn cần mang gì ạ",
]


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (the action server forks none, uvicorn
    and Rasa may), read from /proc."""
    total_kb = 0
    pids = [pid]
    seen = set()
    while pids:
        current = pids.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pids += [int(c) for c in children]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total_kb / 1024


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200, help="chat turns to time")
    args = parser.parse_args()

    started = time.monotonic()
    model = training.ensure_model(log=lambda *_: None)
    print(f"model: {model.name} (ready in {time.monotonic() - started:.1f} s)")

    with tempfile.TemporaryDirectory(prefix="tthc-bench-") as tmp:
        stack = private_stack(Path(tmp), model)
        config = stack.config
        # Every request comes from 127.0.0.1: the per-client chat limit would measure itself.
        config.extra_env["TTHC_CHAT_RATE_LIMIT"] = "1000000/minute"
        t0 = time.monotonic()
        stack.start()
        try:
            cold = stack.wait_healthy(timeout=600)
            print(f"cold start to healthy: {cold:.1f} s (started {time.monotonic() - t0:.1f} s ago)")
            with httpx.Client(timeout=30) as client:
                parse_ms = []
                for i in range(args.turns):
                    text = QUESTIONS[i % len(QUESTIONS)]
                    t = time.perf_counter()
                    client.post(
                        f"{config.rasa_url}/model/parse", params=config.rasa_params, json={"text": text}
                    ).raise_for_status()
                    parse_ms.append((time.perf_counter() - t) * 1000)
                turn_ms = []
                for i in range(args.turns):
                    text = QUESTIONS[i % len(QUESTIONS)]
                    t = time.perf_counter()
                    response = client.post(
                        f"{config.api_url}/api/chat", json={"sender": f"web-bench-{i % 20}", "message": text}
                    )
                    response.raise_for_status()
                    turn_ms.append((time.perf_counter() - t) * 1000)
            p50, p95 = _percentiles(parse_ms)
            print(f"/model/parse   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   (n={len(parse_ms)})")
            p50, p95 = _percentiles(turn_ms)
            print(f"/api/chat turn p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   (n={len(turn_ms)})")
            for name, proc in stack.processes.items():
                print(f"RSS {name:8s} {_tree_rss_mb(proc.popen.pid):7.0f} MB")
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
