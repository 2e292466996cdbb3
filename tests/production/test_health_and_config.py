"""Without starting Rasa: /api/health per replica and store, and what the stack runner generates
for the production profile (Rasa's endpoints.yml, the processes' environment, the names)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from cli.stack import Stack, StackConfig, free_port, lock_key_prefix, store_passwords_env
from tests.staff.fixtures import clear_app_caches


class _RasaStatus(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = json.dumps({"model_file": "m.tar.gz", "model_id": "x"}).encode()
        self.send_response(200 if self.path.startswith("/status") else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def live_rasa() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RasaStatus)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_health_names_each_replica_and_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live_rasa: str) -> None:
    from api.main import create_app
    from database import migrate

    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TTHC_RASA_URLS", f"{live_rasa},{dead}")
    monkeypatch.setenv("TTHC_ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("TTHC_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    clear_app_caches()
    migrate.upgrade()
    try:
        with TestClient(create_app()) as client:
            response = client.get("/api/health")
    finally:
        clear_app_caches()
    assert response.status_code == 503
    body = response.json()
    assert body["components"] == {
        "rasa-1": "up",
        "rasa-2": "down",
        "action_server": "down",
        "database": "up",
        "redis": "down",
    }
    assert body["down"] == ["rasa-2", "action_server", "redis"]
    assert "127.0.0.1" not in response.text  # names only, never an address


def production_config(tmp_path: Path, **overrides: object) -> StackConfig:
    values: dict[str, object] = {
        "model": tmp_path / "model.tar.gz",
        "data_dir": tmp_path,
        "profile": "production",
        "rasa_replicas": 3,
        "action_workers": 2,
        "api_workers": 4,
        "rasa_port": 6005,
        "database_url": "postgresql+psycopg://tthc:pg-secret@db.internal:5433/tthc",
        "redis_url": "redis://:redis-secret@cache.internal:6380/2",
        "redis_prefix": "tthc-prod",
        "rasa_token": "r",
        "action_token": "a",
    }
    values.update(overrides)
    return StackConfig(**values)  # type: ignore[arg-type]


def test_production_replicas_get_the_sql_tracker_store_and_the_redis_lock_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTHC_RASA_VENV", str(tmp_path / "venv"))
    from core.settings import get_settings

    get_settings.cache_clear()
    try:
        stack = Stack(production_config(tmp_path))
        commands = stack._commands()
    finally:
        get_settings.cache_clear()
    assert list(commands) == ["rasa-1", "rasa-2", "rasa-3", "actions", "api"]
    for index, name in enumerate(["rasa-1", "rasa-2", "rasa-3"]):
        argv, env = commands[name]
        assert argv[argv.index("--port") + 1] == str(6005 + index)
        endpoints_file = Path(argv[argv.index("--endpoints") + 1])
        text = endpoints_file.read_text()
        assert "pg-secret" not in text and "redis-secret" not in text  # passwords stay in the environment
        endpoints = yaml.safe_load(text)
        assert endpoints["tracker_store"] == {
            "type": "SQL",
            "dialect": "postgresql",
            "url": "db.internal",
            "port": 5433,
            "db": "tthc",
            "username": "tthc",
            "password": "${TTHC_RASA_DB_PASSWORD}",
        }
        assert endpoints["lock_store"] == {
            "type": "redis",
            "url": "cache.internal",
            "port": 6380,
            "db": 2,
            "key_prefix": "tthcprod",
            "password": "${TTHC_RASA_REDIS_PASSWORD}",
        }
        assert env["TTHC_RASA_DB_PASSWORD"] == "pg-secret" and env["TTHC_RASA_REDIS_PASSWORD"] == "redis-secret"
    _, actions_env = commands["actions"]
    api_argv, api_env = commands["api"]
    assert actions_env["ACTION_SERVER_SANIC_WORKERS"] == "2"
    assert api_argv[api_argv.index("--workers") + 1] == "4"
    assert api_env["TTHC_RASA_URLS"] == "http://127.0.0.1:6005,http://127.0.0.1:6006,http://127.0.0.1:6007"
    assert api_env["TTHC_PROFILE"] == "production"
    assert api_env["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "metrics")
    assert api_env["TTHC_REDIS_PREFIX"] == "tthc-prod"
    assert "TTHC_RASA_DB_PASSWORD" not in api_env  # only Rasa reads endpoints.yml
    summary = "\n".join(stack.summary())
    assert "rasa-3" in summary and "4 tiến trình" in summary and "pg-secret" not in summary


def test_embedded_stays_one_process_per_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTHC_RASA_VENV", str(tmp_path / "venv"))
    from core.settings import get_settings

    get_settings.cache_clear()
    try:
        stack = Stack(production_config(tmp_path, profile="embedded", database_url=None, redis_url=None))
        commands = stack._commands()
    finally:
        get_settings.cache_clear()
    assert list(commands) == ["rasa", "actions", "api"]
    argv, _ = commands["rasa"]
    assert yaml.safe_load(Path(argv[argv.index("--endpoints") + 1]).read_text()).keys() == {"action_endpoint"}
    assert "--workers" not in commands["api"][0]
    assert commands["actions"][1]["ACTION_SERVER_SANIC_WORKERS"] == "1"
    assert stack.resolve("rasa-1") == "rasa"


def test_rasa_lock_prefix_is_alphanumeric_and_passwordless_urls_need_no_environment() -> None:
    # Rasa ignores a lock prefix that is not alphanumeric (every stack would share "lock:").
    assert lock_key_prefix("tthc-test-0a1b") == "tthctest0a1b"
    assert store_passwords_env("postgresql+psycopg://postgres@127.0.0.1/x", "redis://127.0.0.1:6379/0") == {}
