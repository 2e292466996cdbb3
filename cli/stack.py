"""Starts and stops the three processes of the product: Rasa, the action server and the API.

Used by ``make run`` (logs shown with a prefix) and by the end-to-end tests (logs to files only).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from api.rasa.gateway import RasaGateway, RasaUnavailable
from core.paths import ROOT, rasa_env, rasa_venv
from core.settings import get_settings

COLOURS = {"rasa": "35", "actions": "33", "api": "36"}

# Rasa reads its HTTP API token only from `--auth-token`. Appending it inside the process keeps the
# secret out of the process table (/proc/<pid>/cmdline is readable by every local user; the
# environment is not).
_RASA_MAIN = (
    "import os, sys; from rasa.__main__ import main; "
    "sys.argv = ['rasa', *sys.argv[1:], '--auth-token', os.environ['TTHC_RASA_TOKEN']]; sys.exit(main())"
)
# Rasa expands an unquoted ${VAR} in endpoints.yml, so the action token is not written to disk either.
_ENDPOINTS = 'action_endpoint:\n  url: "{url}/webhook"\n  token: ${{TTHC_ACTION_TOKEN}}\n'


def _configured_or_random(value: str | None) -> str:
    """The operator's token, else a fresh one for this stack (every process gets it from us)."""
    return value or secrets.token_urlsafe(32)


def _rasa_token() -> str:
    return _configured_or_random(get_settings().rasa_token)


def _action_token() -> str:
    return _configured_or_random(get_settings().action_token)


@dataclass
class StackConfig:
    model: Path
    data_dir: Path
    api_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    host: str = "127.0.0.1"
    echo: bool = True  # print each process's output with a prefix
    extra_env: dict[str, str] = field(default_factory=dict)
    # Rasa's HTTP API token and the secret Rasa sends to the action server: TTHC_RASA_TOKEN /
    # TTHC_ACTION_TOKEN when set, else random for this stack (restarting one process keeps them).
    rasa_token: str = field(default_factory=_rasa_token, repr=False)
    action_token: str = field(default_factory=_action_token, repr=False)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def rasa_params(self) -> dict[str, str]:
        """Query parameters of a call to Rasa's HTTP API (all but the REST channel need them)."""
        return {"token": self.rasa_token}

    def secrets_env(self) -> dict[str, str]:
        return {"TTHC_RASA_TOKEN": self.rasa_token, "TTHC_ACTION_TOKEN": self.action_token}

    def app_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            TTHC_DATA_DIR=str(self.data_dir),
            TTHC_RASA_URL=self.rasa_url,
            TTHC_ACTION_SERVER_URL=self.action_url,
            PYTHONPATH=str(ROOT),
        )
        env.update(self.extra_env)
        env.update(self.secrets_env())
        return env


@dataclass
class _Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    pump: threading.Thread


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, _Process] = {}

    # --- commands -------------------------------------------------------------------------
    def _commands(self) -> dict[str, tuple[list[str], dict[str, str]]]:
        cfg = self.config
        endpoints = cfg.data_dir / "endpoints.yml"
        endpoints.write_text(_ENDPOINTS.format(url=cfg.action_url))
        rasa_environment = rasa_env()
        rasa_environment.update(cfg.extra_env)
        rasa_environment.update(cfg.secrets_env())
        python = sys.executable
        return {
            "rasa": (
                [
                    str(rasa_venv() / "bin" / "python"),
                    "-c",
                    _RASA_MAIN,
                    "run",
                    "--enable-api",
                    "--model",
                    str(cfg.model),
                    "--port",
                    str(cfg.rasa_port),
                    "--interface",
                    cfg.host,
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    str(ROOT / "credentials.yml"),
                ],
                rasa_environment,
            ),
            "actions": (
                [
                    python,
                    "-m",
                    "cli.action_server",
                    "--actions",
                    "actions",
                    "--host",
                    cfg.host,
                    "--port",
                    str(cfg.action_port),
                ],
                cfg.app_env(),
            ),
            "api": (
                [
                    python,
                    "-m",
                    "uvicorn",
                    "api.main:app",
                    "--host",
                    cfg.host,
                    "--port",
                    str(cfg.api_port),
                    "--no-access-log",
                    # The app believes X-Forwarded-For only from TTHC_TRUSTED_PROXIES
                    # (api/security/proxies.py); uvicorn's own handling, on by default for
                    # 127.0.0.1, would rewrite the address before the app can judge it.
                    "--no-proxy-headers",
                ],
                cfg.app_env(),
            ),
        }

    # --- lifecycle ------------------------------------------------------------------------
    def start(self, only: list[str] | None = None) -> None:
        logs = self.config.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for name, (command, env) in self._commands().items():
            if only is not None and name not in only:
                continue
            log_path = logs / f"{name}.log"
            popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            pump = threading.Thread(target=self._pump, args=(name, popen.stdout, log_path), daemon=True)
            pump.start()
            self.processes[name] = _Process(name, popen, log_path, pump)

    def _pump(self, name: str, stream: IO[bytes] | None, log_path: Path) -> None:
        assert stream is not None
        prefix = f"\033[{COLOURS.get(name, '0')}m{name:>7} |\033[0m "
        with log_path.open("ab") as log:
            for line in iter(stream.readline, b""):
                log.write(line)
                log.flush()
                if self.config.echo:
                    sys.stdout.write(prefix + line.decode("utf-8", "replace"))
                    sys.stdout.flush()

    def health_urls(self) -> dict[str, str]:
        """Health endpoints of the action server and the API (Rasa is asked through its gateway)."""
        cfg = self.config
        return {"actions": f"{cfg.action_url}/health", "api": f"{cfg.api_url}/api/health"}

    def rasa_ready(self) -> bool:
        """Whether the Rasa started here has loaded its model, asked like the product asks it:
        through api/rasa/gateway.py, the one module that calls Rasa's HTTP API."""

        async def status() -> bool:
            async with httpx.AsyncClient() as client:
                gateway = RasaGateway(client, url=self.config.rasa_url, token=self.config.rasa_token)
                try:
                    await gateway.status(timeout=2.0)
                except RasaUnavailable:
                    return False
                return True

        return asyncio.run(status())

    def wait_healthy(self, timeout: float = 300.0) -> float:
        """Seconds until every started process answers its health check."""
        started = time.monotonic()
        urls = self.health_urls()
        pending = [name for name in ("rasa", *urls) if name in self.processes]
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for name in list(pending):
                    process = self.processes[name].popen
                    if process.poll() is not None:
                        raise RuntimeError(
                            f"{name} exited with code {process.returncode}; see {self.processes[name].log_path}"
                        )
                    if name == "rasa":
                        ready = self.rasa_ready()
                    else:
                        try:
                            ready = client.get(urls[name]).status_code == 200
                        except httpx.HTTPError:
                            ready = False
                    if ready:
                        pending.remove(name)
                if pending:
                    if time.monotonic() - started > timeout:
                        raise TimeoutError(f"not healthy after {timeout:.0f} s: {', '.join(pending)}")
                    time.sleep(0.5)
        return time.monotonic() - started

    def stop(self, name: str | None = None, timeout: float = 20.0) -> None:
        targets = [self.processes[name]] if name else list(self.processes.values())
        for proc in targets:
            if proc.popen.poll() is None:
                os.killpg(proc.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in targets:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait()
            proc.pump.join(timeout=2)
            self.processes.pop(proc.name, None)

    def kill(self, name: str) -> None:
        """Kill one process abruptly, as a crash would (used by resilience tests)."""
        proc = self.processes[name]
        os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait()
        self.processes.pop(name, None)


def free_port() -> int:
    """A port nothing listens on now (the OS picks it), for stacks started by tests and benchmarks."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def private_stack(data_dir: Path, model: Path, *, echo: bool = False) -> Stack:
    """A stack (not yet started) on free ports with its own migrated, seeded database in
    ``data_dir``: what the end-to-end tests and the benchmarks run against."""
    env = dict(os.environ, TTHC_DATA_DIR=str(data_dir))
    subprocess.run([sys.executable, "-m", "cli", "kb", "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    config = StackConfig(
        model=model, data_dir=data_dir, api_port=free_port(), rasa_port=free_port(), action_port=free_port(), echo=echo
    )
    return Stack(config)
