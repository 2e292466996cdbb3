"""Starts and stops the processes of the product: Rasa, the action server and the API.

Used by ``make run`` (logs shown with a prefix) and by the end-to-end tests (logs to files only).

Two profiles (core.settings ``profile``):
- embedded: one process per role, SQLite in the data directory, conversations in Rasa's memory;
- production: ``rasa_replicas`` Rasa servers on consecutive ports (``rasa-1``, ``rasa-2``, …) with
  Rasa's SQL tracker store on the application's PostgreSQL database (Rasa's own table ``events``)
  and its Redis lock store; the action server with ``action_workers`` Sanic workers; uvicorn with
  ``api_workers`` workers. The app processes get every replica's URL (TTHC_RASA_URLS); the
  gateway routes each sender to one of them (api/rasa/gateway.py).

Passwords of PostgreSQL and Redis never reach the disk: the generated endpoints.yml names them
``${TTHC_RASA_DB_PASSWORD}`` / ``${TTHC_RASA_REDIS_PASSWORD}`` and Rasa expands them from its
environment.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

import httpx
from sqlalchemy.engine import make_url

from api.rasa.gateway import RasaGateway, RasaUnavailable
from core.paths import ROOT, rasa_env, rasa_venv
from core.settings import get_settings

COLOURS = {"rasa": "35", "actions": "33", "api": "36"}
PRODUCTION = "production"
RASA_LOCK_LIFETIME = 10  # seconds (Rasa's TICKET_LOCK_LIFETIME): see Stack._commands

# Rasa reads its HTTP API token only from `--auth-token`. Appending it inside the process keeps the
# secret out of the process table (/proc/<pid>/cmdline is readable by every local user; the
# environment is not). One argument `--auth-token=…`: a random token may start with "-", which
# argparse would take for an option after a separate `--auth-token`.
_RASA_MAIN = (
    "import os, sys; from rasa.__main__ import main; "
    "sys.argv = ['rasa', *sys.argv[1:], '--auth-token=' + os.environ['TTHC_RASA_TOKEN']]; sys.exit(main())"
)
# Rasa expands an unquoted ${VAR} in endpoints.yml, so the action token is not written to disk either.
_ENDPOINTS = 'action_endpoint:\n  url: "{url}/webhook"\n  token: ${{TTHC_ACTION_TOKEN}}\n'
DB_PASSWORD_ENV = "TTHC_RASA_DB_PASSWORD"
REDIS_PASSWORD_ENV = "TTHC_RASA_REDIS_PASSWORD"


def _yaml(value: object) -> str:
    """A YAML scalar (JSON is YAML): quoted strings, bare numbers."""
    return json.dumps(value)


def lock_key_prefix(redis_prefix: str) -> str:
    """Rasa's RedisLockStore takes only an alphanumeric key prefix (any other is ignored with a
    warning, and every stack would share ``lock:``): the product's prefix without its other
    characters. Its keys are ``<prefix>:lock:<conversation>``."""
    return re.sub(r"[^A-Za-z0-9]", "", redis_prefix) or "tthc"


def tracker_store_yaml(database_url: str) -> str:
    """Rasa's SQL tracker store on the application's PostgreSQL database (psycopg 2 in Rasa's
    environment), its password left to ``${TTHC_RASA_DB_PASSWORD}``."""
    url = make_url(database_url)
    lines = [
        "tracker_store:",
        "  type: SQL",
        "  dialect: postgresql",
        f"  url: {_yaml(url.host or '127.0.0.1')}",
        f"  port: {url.port or 5432}",
        f"  db: {_yaml(url.database or 'postgres')}",
    ]
    if url.username:
        lines.append(f"  username: {_yaml(url.username)}")
    if url.password:
        lines.append(f"  password: ${{{DB_PASSWORD_ENV}}}")
    return "\n".join(lines) + "\n"


def lock_store_yaml(redis_url: str, redis_prefix: str) -> str:
    """Rasa's Redis lock store, its password left to ``${TTHC_RASA_REDIS_PASSWORD}``."""
    parts = urlsplit(redis_url)
    db = parts.path.strip("/") or "0"
    lines = [
        "lock_store:",
        "  type: redis",
        f"  url: {_yaml(parts.hostname or '127.0.0.1')}",
        f"  port: {parts.port or 6379}",
        f"  db: {int(db)}",
        f"  key_prefix: {_yaml(lock_key_prefix(redis_prefix))}",
    ]
    if parts.username and parts.username != "default":
        lines.append(f"  username: {_yaml(unquote(parts.username))}")
    if parts.password:
        lines.append(f"  password: ${{{REDIS_PASSWORD_ENV}}}")
    return "\n".join(lines) + "\n"


def store_passwords_env(database_url: str | None, redis_url: str | None) -> dict[str, str]:
    """The passwords the generated endpoints.yml names, for Rasa's environment only."""
    env: dict[str, str] = {}
    if database_url and make_url(database_url).password:
        env[DB_PASSWORD_ENV] = str(make_url(database_url).password)
    if redis_url and urlsplit(redis_url).password:
        env[REDIS_PASSWORD_ENV] = unquote(urlsplit(redis_url).password or "")
    return env


def describe_database(database_url: str) -> str:
    """host:port/db (user): for messages; never the password."""
    url = make_url(database_url)
    user = f" (người dùng / user {url.username})" if url.username else ""
    return f"{url.host or '127.0.0.1'}:{url.port or 5432}/{url.database or ''}{user}"


def describe_redis(redis_url: str) -> str:
    parts = urlsplit(redis_url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}/{parts.path.strip('/') or '0'}"


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
    # The production profile (module docstring); embedded ignores the rest.
    profile: str = "embedded"
    rasa_replicas: int = 1
    action_workers: int = 1
    api_workers: int = 1
    database_url: str | None = field(default=None, repr=False)
    redis_url: str | None = field(default=None, repr=False)
    redis_prefix: str = "tthc"
    # Ports of the Rasa replicas; empty: rasa_port, rasa_port + 1, … (tests pick free ones).
    rasa_port_list: list[int] = field(default_factory=list)

    @property
    def production(self) -> bool:
        return self.profile == PRODUCTION

    @property
    def replicas(self) -> int:
        return self.rasa_replicas if self.production else 1

    @property
    def rasa_ports(self) -> list[int]:
        if self.rasa_port_list:
            return list(self.rasa_port_list[: self.replicas])
        return [self.rasa_port + i for i in range(self.replicas)]

    @property
    def rasa_names(self) -> list[str]:
        """``rasa`` for a single server, else ``rasa-1``, ``rasa-2``, … (as /api/health names them)."""
        count = len(self.rasa_ports)
        return ["rasa"] if count == 1 else [f"rasa-{i}" for i in range(1, count + 1)]

    @property
    def rasa_urls(self) -> dict[str, str]:
        return {name: f"http://{self.host}:{port}" for name, port in zip(self.rasa_names, self.rasa_ports, strict=True)}

    @property
    def metrics_dir(self) -> Path:
        return self.data_dir / "metrics"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def rasa_url(self) -> str:
        """The first Rasa replica (the only one when embedded)."""
        return f"http://{self.host}:{self.rasa_ports[0]}"

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
            TTHC_RASA_URLS=",".join(self.rasa_urls.values()),
            TTHC_ACTION_SERVER_URL=self.action_url,
            # The API's own port, so that links the processes make (a checklist's printable page)
            # point at this stack when TTHC_PUBLIC_URL is unset.
            TTHC_API_PORT=str(self.api_port),
            TTHC_PROFILE=self.profile,
            PYTHONPATH=str(ROOT),
            # prometheus-client's multiprocess mode: every worker writes its samples here and
            # /metrics adds them up (api/metrics); emptied when the whole stack starts.
            PROMETHEUS_MULTIPROC_DIR=str(self.metrics_dir),
        )
        if self.database_url:
            env["TTHC_DATABASE_URL"] = self.database_url
        if self.redis_url:
            env["TTHC_REDIS_URL"] = self.redis_url
            env["TTHC_REDIS_PREFIX"] = self.redis_prefix
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
    def resolve(self, name: str) -> str:
        """A process name as given, or its other spelling for a single Rasa (``rasa`` / ``rasa-1``)."""
        names = self.config.rasa_names
        if name in ("rasa", "rasa-1") and names == ["rasa"]:
            return "rasa"
        if name == "rasa" and len(names) > 1:
            raise KeyError("several Rasa replicas: name one of " + ", ".join(names))
        return name

    def _endpoints(self, name: str) -> Path:
        """The endpoints.yml of one Rasa process: the action server, and in production the stores."""
        cfg = self.config
        text = _ENDPOINTS.format(url=cfg.action_url)
        if cfg.production:
            if not cfg.database_url or not cfg.redis_url:
                raise ValueError("the production profile needs database_url and redis_url")
            text += tracker_store_yaml(cfg.database_url) + lock_store_yaml(cfg.redis_url, cfg.redis_prefix)
        path = cfg.data_dir / ("endpoints.yml" if name == "rasa" else f"endpoints-{name}.yml")
        path.write_text(text)
        return path

    def _commands(self) -> dict[str, tuple[list[str], dict[str, str]]]:
        cfg = self.config
        rasa_environment = rasa_env()
        rasa_environment.update(cfg.extra_env)
        rasa_environment.update(cfg.secrets_env())
        if cfg.production:
            rasa_environment.update(store_passwords_env(cfg.database_url, cfg.redis_url))
            # A replica that dies mid-turn leaves its ticket in the Redis lock store; the sender's
            # next replica waits for it to expire. Rasa's 60 s default would outlast the gateway's
            # turn timeout (20 s) and answer the citizen with an apology.
            rasa_environment.setdefault("TICKET_LOCK_LIFETIME", str(RASA_LOCK_LIFETIME))
        python = sys.executable
        commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        for name, port in zip(cfg.rasa_names, cfg.rasa_ports, strict=True):
            commands[name] = (
                [
                    str(rasa_venv() / "bin" / "python"),
                    "-c",
                    _RASA_MAIN,
                    "run",
                    "--enable-api",
                    "--model",
                    str(cfg.model),
                    "--port",
                    str(port),
                    "--interface",
                    cfg.host,
                    "--endpoints",
                    str(self._endpoints(name)),
                    "--credentials",
                    str(ROOT / "credentials.yml"),
                ],
                rasa_environment,
            )
        actions_env = cfg.app_env()
        # rasa_sdk's number of Sanic worker processes (rasa_sdk.utils.number_of_sanic_workers).
        actions_env["ACTION_SERVER_SANIC_WORKERS"] = str(cfg.action_workers if cfg.production else 1)
        commands["actions"] = (
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
            actions_env,
        )
        api_workers = cfg.api_workers if cfg.production else 1
        commands["api"] = (
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
                *(["--workers", str(api_workers)] if api_workers > 1 else []),
            ],
            cfg.app_env(),
        )
        return commands

    # --- lifecycle ------------------------------------------------------------------------
    def start(self, only: list[str] | None = None) -> None:
        """Start every process (``only``: those named, e.g. one replica after ``kill``). The
        replicas start together: each trains its CRF on model load, so in parallel they are
        ready in about the time of one."""
        logs = self.config.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        wanted = None if only is None else {self.resolve(name) for name in only}
        if wanted is None:
            # Samples of a previous run's workers would be added to this one's.
            shutil.rmtree(self.config.metrics_dir, ignore_errors=True)
        self.config.metrics_dir.mkdir(parents=True, exist_ok=True)
        for name, (command, env) in self._commands().items():
            if wanted is not None and name not in wanted:
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
        prefix = f"\033[{COLOURS.get(name.split('-')[0], '0')}m{name:>7} |\033[0m "
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

    def rasa_ready(self, name: str | None = None) -> bool:
        """Whether a Rasa started here (``name``; default the first) has loaded its model, asked
        like the product asks it: through api/rasa/gateway.py, the one module that calls Rasa's
        HTTP API."""
        url = self.config.rasa_urls[self.resolve(name or self.config.rasa_names[0])]

        async def status() -> bool:
            async with httpx.AsyncClient() as client:
                gateway = RasaGateway(client, url=url, token=self.config.rasa_token)
                try:
                    await gateway.status(timeout=2.0)
                except RasaUnavailable:
                    return False
                return True

        return asyncio.run(status())

    def wait_healthy(self, timeout: float = 300.0) -> float:
        """Seconds until every started process answers its health check (the API's is
        /api/health, which also needs every replica and store up)."""
        started = time.monotonic()
        urls = self.health_urls()
        rasa_names = self.config.rasa_names
        pending = [name for name in (*rasa_names, *urls) if name in self.processes]
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for name in list(pending):
                    process = self.processes[name].popen
                    if process.poll() is not None:
                        raise RuntimeError(
                            f"{name} exited with code {process.returncode}; see {self.processes[name].log_path}"
                        )
                    if name in rasa_names:
                        ready = self.rasa_ready(name)
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

    def summary(self) -> list[str]:
        """What was started, in Vietnamese and English (printed by ``make run``)."""
        cfg = self.config
        lines = [f"Hồ sơ / profile: {cfg.profile}"]
        stores = (
            "sổ hội thoại SQL (PostgreSQL) + khoá Redis / SQL tracker store + Redis lock store"
            if cfg.production
            else "hội thoại trong bộ nhớ / in-memory tracker store"
        )
        for name, url in cfg.rasa_urls.items():
            lines.append(f"  {name:<8} {url:<24} Rasa — {stores}")
        workers = cfg.action_workers if cfg.production else 1
        lines.append(
            f"  {'actions':<8} {cfg.action_url:<24} máy chủ hành động / action server: {workers} tiến trình / workers"
        )
        workers = cfg.api_workers if cfg.production else 1
        lines.append(
            f"  {'api':<8} {cfg.api_url:<24} API + trang chat / API + chat page: {workers} tiến trình / workers"
        )
        if cfg.production and cfg.database_url:
            lines.append(f"  PostgreSQL: {describe_database(cfg.database_url)}")
        elif not cfg.production:
            lines.append(f"  SQLite: {cfg.data_dir / 'tthc.sqlite3'}")
        if cfg.redis_url:
            lines.append(
                f"  Redis: {describe_redis(cfg.redis_url)}, tiền tố khoá / key prefix {cfg.redis_prefix!r} "
                f"(khoá hội thoại Rasa / Rasa locks: {lock_key_prefix(cfg.redis_prefix)!r})"
            )
        return lines

    def stop(self, name: str | None = None, timeout: float = 20.0) -> None:
        targets = [self.processes[self.resolve(name)]] if name else list(self.processes.values())
        for proc in targets:
            if proc.popen.poll() is None:
                # The leader only: uvicorn's and Sanic's supervisors stop their workers in order
                # (a SIGTERM to the whole group makes the workers die mid-shutdown).
                os.kill(proc.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in targets:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill_group(proc.popen.pid)
                proc.popen.wait()
            _kill_group(proc.popen.pid)  # whatever the leader left behind
            proc.pump.join(timeout=2)
            self.processes.pop(proc.name, None)

    def kill(self, name: str) -> None:
        """Kill one process abruptly, as a crash would (used by resilience tests)."""
        name = self.resolve(name)
        proc = self.processes[name]
        os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait()
        proc.pump.join(timeout=2)
        self.processes.pop(name, None)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def free_port() -> int:
    """A port nothing listens on now (the OS picks it), for stacks started by tests and benchmarks."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def private_stack(
    data_dir: Path,
    model: Path,
    *,
    echo: bool = False,
    profile: str = "embedded",
    rasa_replicas: int = 1,
    action_workers: int = 1,
    api_workers: int = 1,
    database_url: str | None = None,
    redis_url: str | None = None,
    redis_prefix: str | None = None,
) -> Stack:
    """A stack (not yet started) on free ports with its own migrated, seeded database: SQLite in
    ``data_dir``, or ``database_url`` (a PostgreSQL database of the caller's, for the production
    profile with ``redis_url``). What the end-to-end tests and the benchmarks run against."""
    extra: dict[str, str] = {}
    if profile == PRODUCTION:
        if not database_url or not redis_url:
            raise ValueError("the production profile needs database_url and redis_url")
        # A secret pepper of this stack (the seed hashes the demo dossiers' phones with it).
        extra["TTHC_DOSSIER_PEPPER"] = os.environ.get("TTHC_DOSSIER_PEPPER") or secrets.token_urlsafe(32)
    # Tests and benchmarks run on the synthetic demo centres and dossiers, whatever the profile.
    env = dict(os.environ, TTHC_DATA_DIR=str(data_dir), TTHC_SEED_DEMO_DATA="true", **extra)
    if database_url:
        env["TTHC_DATABASE_URL"] = database_url
    subprocess.run([sys.executable, "-m", "cli", "kb", "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    replicas = rasa_replicas if profile == PRODUCTION else 1
    config = StackConfig(
        model=model,
        data_dir=data_dir,
        api_port=free_port(),
        rasa_port_list=[free_port() for _ in range(replicas)],
        action_port=free_port(),
        echo=echo,
        extra_env=extra,
        profile=profile,
        rasa_replicas=replicas,
        action_workers=action_workers,
        api_workers=api_workers,
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=redis_prefix or "tthc",
    )
    config.rasa_port = config.rasa_ports[0]
    return Stack(config)
