"""Chat turn latency of this assistant side by side with a stock `rasa init` bot, in the same run.

Both run at the same time on this machine: our full stack (Rasa + action server + FastAPI bridge,
turns through POST /api/chat with Vietnamese questions) and the unchanged `rasa init` project
(DIET/TED default config, turns through its REST channel with the English messages it was
trained on). Requests alternate between the two, so machine noise hits both alike. Warm-up turns
are not counted. The verdict compares p95: ours should be no worse than the stock bot's.

This is a measurement, not a test: it always exits 0. Run with
`python -m benchmarks.turns [--turns N] [--warmup N] [--breakdown]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.stack import QUESTIONS, _percentiles, _tree_rss_mb
from cli.stack import free_port, private_stack
from core.paths import cache_dir, rasa_env, rasa_venv
from servicedesk.learning import training

# What the `rasa init` bot was trained to understand (greet, mood, affirm/deny, goodbye, bot challenge).
STOCK_MESSAGES = ["hello", "I am sad", "yes", "bye", "are you a bot?", "great", "no", "good morning"]
SENDERS = 20


def _rank(samples: list[float], q: float) -> float:
    """Nearest-rank percentile with the same rounding as benchmarks.stack._percentiles (for p99)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _rasa_version() -> str:
    python = rasa_venv() / "bin" / "python"
    result = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('rasa'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def _stock_env() -> dict[str, str]:
    """Rasa's environment without our project on the path: the stock bot stays stock."""
    env = rasa_env()
    env.pop("PYTHONPATH", None)
    return env


def ensure_stock_project(version: str, log=print) -> tuple[Path, Path]:  # noqa: ANN001
    """The `rasa init` project and its trained model, cached per Rasa version (training ~minutes)."""
    root = cache_dir() / "stock-rasa-init"
    project = root / version
    models = sorted((project / "models").glob("*.tar.gz")) if project.is_dir() else []
    if models:
        log(f"stock model cached: {models[-1]}")
        return project, models[-1]
    root.mkdir(parents=True, exist_ok=True)
    log(f"creating and training a stock `rasa init` project (Rasa {version}); cached afterwards ...")
    started = time.monotonic()
    building = Path(tempfile.mkdtemp(prefix=f"{version}-building-", dir=root))
    try:
        result = subprocess.run(
            [str(rasa_venv() / "bin" / "rasa"), "init", "--no-prompt", "--init-dir", str(building)],
            cwd=building,
            env=_stock_env(),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        produced = sorted((building / "models").glob("*.tar.gz"))
        if result.returncode != 0 or not produced:
            raise SystemExit(f"rasa init failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        if project.exists():  # a half-finished earlier attempt
            shutil.rmtree(project)
        building.rename(project)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    model = sorted((project / "models").glob("*.tar.gz"))[-1]
    log(f"stock model trained in {time.monotonic() - started:.0f} s: {model}")
    return project, model


class StockBot:
    """`rasa run --enable-api` on the cached init project; no action server (the init bot uses none)."""

    def __init__(self, project: Path, model: Path, port: int, log_path: Path) -> None:
        self.project, self.model, self.port, self.log_path = project, model, port, log_path
        self.popen: subprocess.Popen[bytes] | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            [
                str(rasa_venv() / "bin" / "rasa"),
                "run",
                "--enable-api",
                "--model",
                str(self.model),
                "--port",
                str(self.port),
                "--interface",
                "127.0.0.1",
                "--credentials",
                str(self.project / "credentials.yml"),
                "--endpoints",
                str(self.project / "endpoints.yml"),
            ],
            cwd=self.project,
            env=_stock_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 600.0) -> float:
        assert self.popen is not None
        started = time.monotonic()
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.popen.poll() is not None:
                    raise RuntimeError(f"stock rasa exited with code {self.popen.returncode}; see {self.log_path}")
                try:
                    if client.get(f"{self.url}/status").status_code == 200:
                        return time.monotonic() - started
                except httpx.HTTPError:
                    pass
                if time.monotonic() - started > timeout:
                    raise TimeoutError(f"stock rasa not healthy after {timeout:.0f} s; see {self.log_path}")
                time.sleep(0.5)

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        if self._log is not None:
            self._log.close()


def _timed_post(client: httpx.Client, url: str, payload: dict) -> float:
    started = time.perf_counter()
    response = client.post(url, json=payload)
    response.raise_for_status()
    response.json()
    return (time.perf_counter() - started) * 1000


def _row(name: str, samples: list[float]) -> str:
    p50, p95 = _percentiles(samples)
    return (
        f"{name:34s} {p50:8.1f} {p95:8.1f} {_rank(samples, 0.99):8.1f} "
        f"{statistics.fmean(samples):8.1f} {len(samples):6d}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=300, help="timed turns per bot (default 300)")
    parser.add_argument("--warmup", type=int, default=30, help="untimed turns per bot first (default 30)")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time our Rasa directly (REST channel, /model/parse) and the stock /model/parse, "
        "interleaved the same way, to see where our turn time goes",
    )
    args = parser.parse_args()

    version = _rasa_version()
    print(
        f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"Python {sys.version.split()[0]}, Rasa {version}"
    )

    started = time.monotonic()
    model = training.ensure_model(log=lambda *_: None)
    print(f"assistant model: {model.name} (ready in {time.monotonic() - started:.1f} s)")
    stock_project, stock_model = ensure_stock_project(version)

    with tempfile.TemporaryDirectory(prefix="tthc-turns-") as tmp:
        data_dir = Path(tmp)
        stack = private_stack(data_dir, model)
        config = stack.config
        # Every request comes from 127.0.0.1: the per-client chat limit would measure itself.
        config.extra_env["TTHC_CHAT_RATE_LIMIT"] = "1000000/minute"
        stock = StockBot(stock_project, stock_model, free_port(), data_dir / "stock-rasa.log")
        try:
            stack.start()
            stock.start()
            ours_cold = stack.wait_healthy(timeout=600)
            stock_cold = stock.wait_healthy(timeout=600)
            print(f"healthy: assistant stack {ours_cold:.1f} s, stock rasa init +{stock_cold:.1f} s after it")

            # name -> (url, payload for turn i); the first two are the comparison, the rest the breakdown.
            series = {
                "assistant  POST /api/chat": (
                    f"{config.api_url}/api/chat",
                    lambda i: {"sender": f"web-bench-{i % SENDERS}", "message": QUESTIONS[i % len(QUESTIONS)]},
                ),
                "stock init POST /webhooks/rest": (
                    f"{stock.url}/webhooks/rest/webhook",
                    lambda i: {"sender": f"stock-{i % SENDERS}", "message": STOCK_MESSAGES[i % len(STOCK_MESSAGES)]},
                ),
            }
            if args.breakdown:
                series.update(
                    {
                        "assistant  rasa /webhooks/rest": (
                            f"{config.rasa_url}/webhooks/rest/webhook",
                            lambda i: {"sender": f"web-direct-{i % SENDERS}", "message": QUESTIONS[i % len(QUESTIONS)]},
                        ),
                        "assistant  rasa /model/parse": (
                            f"{config.rasa_url}/model/parse?token={config.rasa_token}",
                            lambda i: {"text": QUESTIONS[i % len(QUESTIONS)]},
                        ),
                        "stock init /model/parse": (
                            f"{stock.url}/model/parse",
                            lambda i: {"text": STOCK_MESSAGES[i % len(STOCK_MESSAGES)]},
                        ),
                    }
                )
            samples: dict[str, list[float]] = {name: [] for name in series}
            with httpx.Client(timeout=60) as client:
                for i in range(args.warmup + args.turns):
                    # Alternate which bot goes first as well, so neither always follows the other.
                    order = list(series.items()) if i % 2 == 0 else list(reversed(series.items()))
                    for name, (url, payload) in order:
                        elapsed = _timed_post(client, url, payload(i))
                        if i >= args.warmup:
                            samples[name].append(elapsed)

            print()
            print(
                f"turn latency, ms ({args.turns} timed turns each after {args.warmup} warm-up, "
                f"{SENDERS} senders, interleaved)"
            )
            print(f"{'':34s} {'p50':>8s} {'p95':>8s} {'p99':>8s} {'mean':>8s} {'n':>6s}")
            for name, values in samples.items():
                print(_row(name, values))
            print()
            for name, proc in stack.processes.items():
                print(f"RSS assistant {name:8s} {_tree_rss_mb(proc.popen.pid):7.0f} MB")
            if stock.popen is not None:
                print(f"RSS stock rasa         {_tree_rss_mb(stock.popen.pid):7.0f} MB")

            ours_p95 = _percentiles(samples["assistant  POST /api/chat"])[1]
            stock_p95 = _percentiles(samples["stock init POST /webhooks/rest"])[1]
            verdict = "OK" if ours_p95 <= stock_p95 else "WORSE"
            print()
            print(f"assistant p95 {ours_p95:.1f} ms vs stock rasa init p95 {stock_p95:.1f} ms: {verdict}")
        finally:
            stack.stop()
            stock.stop()


if __name__ == "__main__":
    main()
