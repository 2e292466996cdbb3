"""Checks before the production profile starts (``TTHC_PROFILE=production make run``).

Everything that would make the production stack unsafe or unable to run is found here, before any
process starts, and reported in one list of Vietnamese lines, each naming the variable to set;
then the command ends with exit code 2 (a configuration error, not a crash), never a traceback:

- the database must be PostgreSQL (TTHC_DATABASE_URL) and answer;
- Redis must be configured (TTHC_REDIS_URL) and answer;
- no development secret: the public dossier pepper, a staff cookie sent over plain HTTP, a Rasa API
  token or an action-server token made up at each start (the replicas and workers must share
  them, and a restart must not change them);
- the ports of every process must be free.

Then the database is migrated and seeded (cli/setup_db.py), as the embedded profile does.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

import typer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from cli.stack import describe_database, describe_redis
from core.db import normalise_url
from core.redis import redis_client
from core.settings import Settings
from servicedesk.handoff.hours import OfficeHours, OfficeHoursInvalid

CONFIG_ERROR = 2
CONNECT_TIMEOUT = 5


@dataclass(frozen=True)
class Problem:
    variable: str
    message: str


def _reason(error: BaseException) -> str:
    """The first line of a driver's error (libpq and redis-py never put a password in it)."""
    lines = str(error).strip().splitlines()
    first = lines[0] if lines else ""
    return (first[:200] or type(error).__name__).strip()


def configuration_problems(settings: Settings) -> list[Problem]:
    """What is wrong with the settings alone (no connection made)."""
    problems: list[Problem] = []
    url = settings.database_url
    postgres = False
    if url:
        try:
            postgres = make_url(normalise_url(url)).get_backend_name() == "postgresql"
        except ArgumentError:
            postgres = False
    if not postgres:
        problems.append(
            Problem(
                "TTHC_DATABASE_URL",
                "Hồ sơ production cần PostgreSQL: đặt TTHC_DATABASE_URL="
                "postgresql+psycopg://người_dùng:mật_khẩu@máy_chủ:5432/tên_csdl"
                + ("." if not url else " (giá trị hiện tại không phải PostgreSQL)."),
            )
        )
    if not settings.redis_url:
        problems.append(
            Problem(
                "TTHC_REDIS_URL",
                "Hồ sơ production cần Redis: đặt TTHC_REDIS_URL=redis://máy_chủ:6379/0 "
                "(có mật khẩu: redis://:mật_khẩu@máy_chủ:6379/0).",
            )
        )
    elif not settings.redis_url.startswith(("redis://", "rediss://")):
        problems.append(Problem("TTHC_REDIS_URL", "TTHC_REDIS_URL phải có dạng redis://máy_chủ:6379/0."))
    if settings.dossier.uses_dev_pepper:
        problems.append(
            Problem(
                "TTHC_DOSSIER_PEPPER",
                "TTHC_DOSSIER_PEPPER chưa được đặt (đang dùng giá trị phát triển công khai): đặt một chuỗi bí mật "
                "ngẫu nhiên, ví dụ kết quả của `openssl rand -hex 32`, và giữ nguyên nó về sau.",
            )
        )
    if not settings.staff_cookie_secure:
        problems.append(
            Problem(
                "TTHC_STAFF_COOKIE_SECURE",
                "TTHC_STAFF_COOKIE_SECURE đang tắt: đặt TTHC_STAFF_COOKIE_SECURE=true để cookie đăng nhập "
                "của cán bộ chỉ đi qua HTTPS.",
            )
        )
    if not settings.rasa_token:
        problems.append(
            Problem(
                "TTHC_RASA_TOKEN",
                "Chưa đặt TTHC_RASA_TOKEN: đặt một chuỗi bí mật ngẫu nhiên cho API HTTP của Rasa "
                "(mọi bản sao Rasa và mọi tiến trình API dùng chung).",
            )
        )
    if not settings.action_token:
        problems.append(
            Problem(
                "TTHC_ACTION_TOKEN",
                "Chưa đặt TTHC_ACTION_TOKEN: đặt một chuỗi bí mật ngẫu nhiên mà Rasa gửi cho máy chủ hành động.",
            )
        )
    problems += citizen_facing_problems(settings)
    return problems


def citizen_facing_problems(settings: Settings) -> list[Problem]:
    """Settings a citizen would only meet as a broken link or a wrong promise: the office hours
    (read on every request for a person) and the public address (in every saved checklist's link)."""
    problems: list[Problem] = []
    try:
        OfficeHours.parse(settings.office_hours)
    except OfficeHoursInvalid as error:
        problems.append(Problem("TTHC_OFFICE_HOURS", str(error)))
    if settings.public_url.strip() and not settings.public_url.strip().startswith(("https://", "http://")):
        problems.append(
            Problem(
                "TTHC_PUBLIC_URL",
                "TTHC_PUBLIC_URL phải là địa chỉ đầy đủ mà người dân truy cập, ví dụ https://tthc.example.gov.vn.",
            )
        )
    token = settings.dossier.push_token
    if token is not None and 0 < len(token.get_secret_value()) < 24:
        problems.append(
            Problem(
                "TTHC_DOSSIER_PUSH_TOKEN",
                "TTHC_DOSSIER_PUSH_TOKEN quá ngắn: dùng một chuỗi ngẫu nhiên ít nhất 24 ký tự, "
                "ví dụ kết quả của `openssl rand -hex 32`.",
            )
        )
    return problems


def database_problem(database_url: str) -> Problem | None:
    """None when PostgreSQL answers ``SELECT 1`` within CONNECT_TIMEOUT seconds."""
    url = normalise_url(database_url)
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure is reported the same way
        return Problem(
            "TTHC_DATABASE_URL",
            f"Không kết nối được PostgreSQL tại {describe_database(url)} (TTHC_DATABASE_URL): {_reason(error)}. "
            "Kiểm tra máy chủ PostgreSQL đang chạy, địa chỉ, cơ sở dữ liệu, người dùng và mật khẩu.",
        )
    return None


def redis_problem(settings: Settings) -> Problem | None:
    """None when Redis answers PING (through the process's one client, core/redis.py)."""
    redis_url = settings.redis_url or ""
    client = redis_client(settings)
    try:
        if client is None:
            raise ValueError("TTHC_REDIS_URL is not set")
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure is reported the same way
        return Problem(
            "TTHC_REDIS_URL",
            f"Không kết nối được Redis tại {describe_redis(redis_url)} (TTHC_REDIS_URL): {_reason(error)}. "
            "Kiểm tra máy chủ Redis đang chạy, địa chỉ và mật khẩu.",
        )
    return None


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_problems(host: str, ports: dict[str, int]) -> list[Problem]:
    variables = {"api": "TTHC_API_PORT", "actions": "TTHC_ACTION_PORT"}
    problems = []
    for name, port in ports.items():
        if not _port_free(host, port):
            variable = variables.get(name, "TTHC_RASA_PORT")
            problems.append(
                Problem(
                    variable,
                    f"Cổng {port} ({name}) đang có tiến trình khác dùng: dừng tiến trình đó hoặc đặt {variable} khác"
                    + (
                        " (các bản sao Rasa dùng các cổng liên tiếp từ TTHC_RASA_PORT)."
                        if name.startswith("rasa")
                        else "."
                    ),
                )
            )
    return problems


def preflight_problems(
    settings: Settings, ports: dict[str, int] | None = None, host: str = "127.0.0.1"
) -> list[Problem]:
    """Every problem found: the settings first; the servers only when their URL is usable."""
    problems = configuration_problems(settings)
    bad = {problem.variable for problem in problems}
    if settings.database_url and "TTHC_DATABASE_URL" not in bad:
        found = database_problem(settings.database_url)
        problems += [found] if found else []
    if settings.redis_url and "TTHC_REDIS_URL" not in bad:
        found = redis_problem(settings)
        problems += [found] if found else []
    if ports:
        problems += port_problems(host, ports)
    return problems


def check_or_exit(settings: Settings, print_line: Callable[[str], object], ports: dict[str, int] | None = None) -> None:
    """Print every problem and end the command with exit code 2, or return when there is none."""
    problems = preflight_problems(settings, ports)
    if not problems:
        return
    print_line("Không khởi động được hồ sơ production (TTHC_PROFILE=production):")
    for problem in problems:
        print_line(f"  • {problem.message}")
    print_line("Xem docs/deployment.md. Không có tiến trình nào được khởi động.")
    raise typer.Exit(code=CONFIG_ERROR)


def prepare_or_exit(prepare: Callable[[], object], database_url: str, print_line: Callable[[str], object]) -> None:
    """Migrations and seed on PostgreSQL; a failure (the server went away meanwhile, a migration
    that cannot apply) is one Vietnamese line and exit code 2."""
    try:
        prepare()
    except Exception as error:  # noqa: BLE001 - reported, not a traceback
        print_line(
            f"Không chuẩn bị được cơ sở dữ liệu {describe_database(normalise_url(database_url))} "
            f"(TTHC_DATABASE_URL): {_reason(error)}"
        )
        raise typer.Exit(code=CONFIG_ERROR) from error
