"""``python -m cli staff ...``: staff accounts from the command line (the first admin, before
anyone can log in to create the others)."""

from __future__ import annotations

import typer
from rich.console import Console

from core.audit.actor import CLI
from core.db import session_scope
from core.settings import get_settings
from database import migrate
from servicedesk.accounts import service

app = typer.Typer(help="Tài khoản cán bộ.", no_args_is_help=True)
console = Console()
PASSWORD_ENV = "TTHC_ADMIN_PASSWORD"


@app.callback()
def _staff() -> None:
    migrate.upgrade()


def _password_from_settings() -> str:
    value = get_settings().admin_password  # TTHC_ADMIN_PASSWORD
    return value.get_secret_value() if value is not None else ""


def _create(username: str, display_name: str, role: str, password: str | None) -> None:
    secret = (
        password
        or _password_from_settings()
        or typer.prompt("Mật khẩu (ít nhất 10 ký tự)", hide_input=True, confirmation_prompt=True)
    )
    try:
        with session_scope() as session:
            user = service.create_account(
                session, username=username, password=secret, display_name=display_name, role=role, actor=CLI
            )
            name = user.username
    except service.AccountError as error:
        console.print(f"[red]Không tạo được tài khoản:[/] {error}")
        raise typer.Exit(code=1) from error
    console.print(f"Đã tạo tài khoản [bold]{name}[/] ({role}). Đăng nhập tại /staff/login.")


@app.command("create-admin")
def create_admin(
    username: str = typer.Option("admin", "--username", "-u", help="Tên đăng nhập."),
    display_name: str = typer.Option("Quản trị viên", "--name", help="Họ tên hiển thị."),
    password: str | None = typer.Option(
        None, "--password", help=f"Mật khẩu; nếu bỏ trống thì đọc {PASSWORD_ENV} hoặc hỏi (không hiện khi gõ)."
    ),
) -> None:
    """Tạo tài khoản quản trị viên (thường là tài khoản đầu tiên)."""
    _create(username, display_name, "admin", password)


@app.command("create")
def create(
    username: str = typer.Argument(..., help="Tên đăng nhập."),
    role: str = typer.Option(..., "--role", help="admin, editor, agent hoặc analyst."),
    display_name: str = typer.Option(..., "--name", help="Họ tên hiển thị."),
    password: str | None = typer.Option(
        None, "--password", help=f"Mật khẩu; nếu bỏ trống thì đọc {PASSWORD_ENV} hoặc hỏi."
    ),
) -> None:
    """Tạo tài khoản cán bộ với vai trò bất kỳ."""
    _create(username, display_name, role, password)
