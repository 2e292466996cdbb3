"""``python -m cli``: run the product, train, manage the knowledge store."""

from __future__ import annotations

import signal
import time

import typer
from rich.console import Console
from sqlalchemy import func, select

from cli import production
from cli.catalogue import audit_command, show_command
from cli.gazetteers import export as export_gazetteers
from cli.importer import import_command
from cli.setup_db import prepare_database
from cli.stack import Stack, StackConfig
from cli.staff import app as staff_app
from cli.train import exit_on_rasa_error, model_for_run, train_command
from core.db import session_scope
from core.paths import data_dir
from core.settings import get_settings
from database import migrate
from servicedesk.accounts.models import StaffUser

app = typer.Typer(help="Trợ lý thủ tục hành chính — công cụ dòng lệnh.", no_args_is_help=True)
kb = typer.Typer(help="Kho tri thức: cơ sở dữ liệu, dữ liệu gốc, nhập dữ liệu.", no_args_is_help=True)
nlu = typer.Typer(help="NLU: gazetteers, evaluation.", no_args_is_help=True)
app.add_typer(kb, name="kb")
app.add_typer(nlu, name="nlu")
app.add_typer(staff_app, name="staff")
console = Console()
errors = Console(stderr=True)


def _hint_first_admin() -> None:
    with session_scope() as session:
        if not session.scalar(select(func.count()).select_from(StaffUser)):
            console.print(
                "[yellow]Chưa có tài khoản cán bộ nào:[/] tạo quản trị viên đầu tiên bằng "
                "[bold]make staff-admin[/] (hoặc python -m cli staff create-admin), rồi đăng nhập tại /staff/login."
            )


def _error_line(line: str) -> None:
    errors.print(line, markup=False, highlight=False, style="red")


@app.command()
def run() -> None:
    """Prepare everything that is missing, start Rasa, the action server and the API (the
    production profile: checks first, then replicas of every role; cli/production.py)."""
    started = time.monotonic()
    settings = get_settings()
    if settings.is_production:
        ports = {"api": settings.api_port, "actions": settings.action_port}
        ports.update({f"rasa-{i + 1}": settings.rasa_port + i for i in range(settings.rasa_replicas)})
        production.check_or_exit(settings, _error_line, ports)
        assert settings.database_url is not None  # checked above
        production.prepare_or_exit(lambda: prepare_database(console.print), settings.database_url, _error_line)
    else:
        # A wrong office-hours value or public address would only show as a wrong promise or a
        # broken link to a citizen: stopped here too, in the same words as the production checks.
        problems = production.citizen_facing_problems(settings)
        for problem in problems:
            _error_line(problem.message)
        if problems:
            raise typer.Exit(code=2)
        prepare_database(console.print)
    _hint_first_admin()
    model = model_for_run()
    config = StackConfig(
        model=model,
        data_dir=data_dir(),
        api_port=settings.api_port,
        rasa_port=settings.rasa_port,
        action_port=settings.action_port,
        profile=settings.profile,
        rasa_replicas=settings.rasa_replicas,
        action_workers=settings.action_workers,
        api_workers=settings.api_workers,
        database_url=settings.database_url if settings.is_production else None,
        redis_url=settings.redis_url if settings.is_production else None,
        redis_prefix=settings.redis_prefix,
    )
    stack = Stack(config)
    stopping = False

    def _stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    # Explicit handlers: a shell that starts us in the background ignores SIGINT, and Ctrl-C must
    # stop the three processes cleanly however we were started.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        with exit_on_rasa_error():  # the Rasa environment may be missing
            stack.start()
        try:
            stack.wait_healthy()
        except (RuntimeError, TimeoutError) as error:
            # A process that exits or never becomes healthy: its log says why.
            _error_line(f"Không khởi động được: {error} (xem nhật ký trong {config.data_dir / 'logs'})")
            stopping = True
            raise typer.Exit(code=1) from error
        console.print("\n" + "\n".join(stack.summary()), markup=False, highlight=False, soft_wrap=True)
        console.print(
            f"\n[bold green]Sẵn sàng[/] sau {time.monotonic() - started:.0f} s — trang chat: "
            f"[bold]{config.api_url}/[/]  ·  API: {config.api_url}/docs  ·  Ctrl-C để dừng\n"
        )
        while not stopping:
            for name, proc in list(stack.processes.items()):
                if proc.popen.poll() is not None:
                    console.print(f"[red]{name} đã dừng (mã {proc.popen.returncode}); xem {proc.log_path}[/]")
                    stopping = True
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        console.print("Đang dừng các tiến trình ...")
        stack.stop()
        console.print("Đã dừng.")


app.command("train")(train_command)


@kb.callback()
def _kb() -> None:
    """Every knowledge-store command works on a migrated database."""
    migrate.upgrade()


kb.command("import")(import_command)
kb.command("audit")(audit_command)
kb.command("show")(show_command)


@kb.command("init")
def kb_init() -> None:
    """Create or migrate the database and load the seed data."""
    prepare_database(console.print)


@nlu.command("gazetteers")
def nlu_gazetteers() -> None:
    """Export procedure and unit phrases to bot/gazetteers/ for the NLU entity extractor."""
    prepare_database(console.print)
    with session_scope() as session:
        counts = export_gazetteers(session)
    console.print(counts)


if __name__ == "__main__":
    app()
