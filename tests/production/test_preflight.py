"""`TTHC_PROFILE=production make run` refuses to start, with exit code 2 and one Vietnamese line per
problem naming the variable to set, never a traceback: no PostgreSQL, no Redis, either one not
answering, or a development secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from cli.production import preflight_problems
from cli.stack import free_port
from core.paths import ROOT
from core.settings import Settings
from tests.databases import create_database, drop_database, redis_test_url

PASSWORD = "s3cr3t-pw-never-printed"


def good_env(tmp_path: Path) -> dict[str, str]:
    """A production configuration that passes every check (the database is created per test)."""
    return {
        "TTHC_PROFILE": "production",
        "TTHC_DATA_DIR": str(tmp_path),
        "TTHC_REDIS_URL": redis_test_url(),
        "TTHC_DOSSIER_PEPPER": "a-real-secret-pepper-for-tests",
        "TTHC_STAFF_COOKIE_SECURE": "true",
        "TTHC_RASA_TOKEN": "rasa-token-for-tests",
        "TTHC_ACTION_TOKEN": "action-token-for-tests",
        "TTHC_API_PORT": str(free_port()),
        "TTHC_ACTION_PORT": str(free_port()),
        "TTHC_RASA_PORT": str(free_port()),
    }


def run_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Nothing of the caller's TTHC_* configuration leaks in (the test runner's own settings).
    base = {k: v for k, v in os.environ.items() if not k.startswith("TTHC_")}
    base["TTHC_RASA_VENV"] = os.environ.get("TTHC_RASA_VENV", "")
    return subprocess.run(
        [sys.executable, "-m", "cli", "run"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def closed_postgres_url() -> str:
    return f"postgresql+psycopg://tthc:{PASSWORD}@127.0.0.1:{free_port()}/tthc"


def assert_refused(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output, output
    assert "Không khởi động được hồ sơ production" in output or "Không chuẩn bị được" in output
    for needle in needles:
        assert needle in output, (needle, output)
    assert PASSWORD not in output
    return output


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"TTHC_DATABASE_URL": None}, ["TTHC_DATABASE_URL", "cần PostgreSQL"]),
        ({"TTHC_DATABASE_URL": "sqlite:////tmp/tthc.sqlite3"}, ["TTHC_DATABASE_URL", "không phải PostgreSQL"]),
        ({"TTHC_REDIS_URL": None}, ["TTHC_REDIS_URL", "cần Redis"]),
        ({"TTHC_DOSSIER_PEPPER": None}, ["TTHC_DOSSIER_PEPPER", "giá trị phát triển công khai"]),
        ({"TTHC_STAFF_COOKIE_SECURE": "false"}, ["TTHC_STAFF_COOKIE_SECURE=true"]),
        ({"TTHC_RASA_TOKEN": None}, ["Chưa đặt TTHC_RASA_TOKEN"]),
        ({"TTHC_ACTION_TOKEN": None}, ["Chưa đặt TTHC_ACTION_TOKEN"]),
    ],
    ids=["no-database", "sqlite", "no-redis", "dev-pepper", "insecure-cookie", "no-rasa-token", "no-action-token"],
)
def test_each_missing_setting_is_refused(tmp_path: Path, change: dict[str, str | None], needles: list[str]) -> None:
    env: dict[str, str | None] = {**good_env(tmp_path), "TTHC_DATABASE_URL": closed_postgres_url(), **change}
    result = run_cli({k: v for k, v in env.items() if v is not None})
    output = assert_refused(result, *needles)
    # Only what is wrong is named (the closed PostgreSQL of the other cases is reported too).
    lines = [line for line in output.splitlines() if line.strip().startswith("•")]
    assert 1 <= len(lines) <= 2, output


def test_unreachable_postgresql_is_named_without_its_password(tmp_path: Path) -> None:
    result = run_cli({**good_env(tmp_path), "TTHC_DATABASE_URL": closed_postgres_url()})
    output = assert_refused(result, "Không kết nối được PostgreSQL", "TTHC_DATABASE_URL")
    assert "Redis" not in output  # Redis answers


def test_unreachable_redis_is_named(tmp_path: Path) -> None:
    database = create_database("preflight")
    try:
        env = {
            **good_env(tmp_path),
            "TTHC_DATABASE_URL": database,
            "TTHC_REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0",
        }
        output = assert_refused(run_cli(env), "Không kết nối được Redis", "TTHC_REDIS_URL")
        assert "PostgreSQL" not in output
    finally:
        drop_database(database)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    result = run_cli({"TTHC_PROFILE": "production", "TTHC_DATA_DIR": str(tmp_path)})
    output = assert_refused(
        result,
        "TTHC_DATABASE_URL",
        "TTHC_REDIS_URL",
        "TTHC_DOSSIER_PEPPER",
        "TTHC_STAFF_COOKIE_SECURE",
        "TTHC_RASA_TOKEN",
        "TTHC_ACTION_TOKEN",
    )
    assert output.count("•") == 6


def test_a_busy_port_is_refused(tmp_path: Path) -> None:
    import socket

    database = create_database("preflight")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        try:
            env = {**good_env(tmp_path), "TTHC_DATABASE_URL": database, "TTHC_API_PORT": str(port)}
            assert_refused(run_cli(env), f"Cổng {port} (api)", "TTHC_API_PORT")
        finally:
            drop_database(database)


def test_a_good_configuration_passes(tmp_path: Path) -> None:
    database = create_database("preflight")
    try:
        settings = Settings(
            profile="production",
            database_url=database,
            redis_url=redis_test_url(),
            staff_cookie_secure=True,
            rasa_token="r",
            action_token="a",
            dossier={"pepper": "a-real-secret"},  # type: ignore[arg-type]
        )
        assert preflight_problems(settings, {"api": free_port()}) == []
    finally:
        drop_database(database)


def test_office_hours_public_address_and_push_token_are_checked_before_start() -> None:
    """A schedule that cannot be read, a public address without its scheme and a guessable push
    token are each one Vietnamese line naming the variable (production and embedded alike)."""
    from cli.production import citizen_facing_problems

    fine = Settings(
        office_hours="T2-T6 07:30-11:30, 13:00-17:00; T7 07:30-11:30", public_url="https://tthc.example.gov.vn"
    )
    assert citizen_facing_problems(fine) == []
    broken = Settings(office_hours="thứ hai đến thứ sáu", public_url="tthc.example.gov.vn")
    broken.dossier.push_token = SecretStr("short")
    problems = citizen_facing_problems(broken)
    assert [p.variable for p in problems] == ["TTHC_OFFICE_HOURS", "TTHC_PUBLIC_URL", "TTHC_DOSSIER_PUSH_TOKEN"]
    assert all(p.message and "Traceback" not in p.message for p in problems)


def test_embedded_run_refuses_unreadable_office_hours(tmp_path: Path) -> None:
    result = run_cli({"TTHC_DATA_DIR": str(tmp_path), "TTHC_OFFICE_HOURS": "25:00-26:00"})
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output and "TTHC_OFFICE_HOURS" in output, output
