"""``import FILE``: a typer sub-app the project CLI mounts (e.g. as ``kb``).

python -m cli kb import catalogue.jsonl --dry-run
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from core import db
from core.audit.actor import Actor
from knowledge.importer.rows import ImportFileError
from knowledge.importer.service import STATUS_LABELS, ImportReport, field_label, import_file

app = typer.Typer(help="Nhập thủ tục hành chính từ tệp (JSONL/JSON danh mục quốc gia, CSV/XLSX).", no_args_is_help=True)
console = Console()

STAGES = {"parse": "Đọc tệp", "apply": "Ghi vào cơ sở dữ liệu"}
MAX_LISTED = 30


@app.callback()
def _group() -> None:
    """Nhập thủ tục hành chính."""


@app.command("import")
def import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help=".jsonl, .json, .csv hoặc .xlsx"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Chỉ xem trước: không ghi gì."),
    allow_partial: bool = typer.Option(
        False, "--allow-partial", help="Vẫn ghi các dòng hợp lệ khi có dòng bị từ chối."
    ),
    overwrite_curated: bool = typer.Option(
        False, "--overwrite-curated", help="Ghi đè cả thủ tục đã biên tập (từ tệp seed hoặc quản trị viên)."
    ),
    actor: str = typer.Option("cli", "--actor", help="Ai nhập (ghi vào lịch sử phiên bản)."),
    report_json: Path | None = typer.Option(None, "--report-json", help="Ghi báo cáo đầy đủ ra tệp JSON."),
) -> None:
    """Nhập một tệp thủ tục; cả tệp là một giao dịch."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        session = db.get_sessionmaker()()
        try:
            report = import_file(
                session,
                file,
                actor=Actor(actor),  # a name given on the command line: no role
                dry_run=dry_run,
                allow_partial=allow_partial,
                overwrite_curated=overwrite_curated,
                progress=progress,
            )
        except ImportFileError as exc:
            console.print(f"[red]Lỗi:[/red] {exc}")
            raise typer.Exit(2) from exc
        finally:
            session.close()

    print_report(report)
    if report_json:
        report_json.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        console.print(f"Báo cáo đầy đủ: {report_json}")
    if report.rejected and not (allow_partial and report.applied):
        raise typer.Exit(1)


def print_report(report: ImportReport) -> None:
    counts = report.counts()
    table = Table(title=f"Kết quả nhập {Path(report.path).name}" + (" (chạy thử)" if report.dry_run else ""))
    table.add_column("Kết quả")
    table.add_column("Số dòng", justify="right")
    for status, label in STATUS_LABELS.items():
        table.add_row(label, str(counts[status]))
    console.print(table)
    for note in report.notes:
        console.print(f"[yellow]•[/yellow] {note}")

    if report.rejected:
        rejected = Table(title="Dòng bị từ chối", show_lines=False)
        rejected.add_column("Dòng", justify="right")
        rejected.add_column("Mã")
        rejected.add_column("Lý do")
        for row in report.rejected[:MAX_LISTED]:
            rejected.add_row(str(row.row), row.code or "—", row.reason or "")
        console.print(rejected)
        if len(report.rejected) > MAX_LISTED:
            console.print(f"…và {len(report.rejected) - MAX_LISTED} dòng khác (xem --report-json).")

    if report.kept:
        console.print(
            f"[yellow]•[/yellow] {len(report.kept)} thủ tục đã biên tập được giữ nguyên "
            f"(dùng --overwrite-curated để ghi đè): {', '.join(r.code or '' for r in report.kept[:MAX_LISTED])}"
        )

    if report.dry_run and (report.added or report.updated):
        preview = Table(title="Xem trước thay đổi")
        preview.add_column("Dòng", justify="right")
        preview.add_column("Mã")
        preview.add_column("Thay đổi")
        for row in (report.added + report.updated)[:MAX_LISTED]:
            what = "thêm mới" if row.status == "added" else ", ".join(field_label(f) for f in row.changed_fields)
            preview.add_row(str(row.row), row.code or "", what)
        console.print(preview)
        more = len(report.added) + len(report.updated) - MAX_LISTED
        if more > 0:
            console.print(f"…và {more} thủ tục khác (xem --report-json).")

    style = "green" if report.applied or (report.dry_run and not report.rejected) else "red"
    console.print(f"[{style}]{report.summary()}[/{style}] ({report.elapsed_seconds:.1f} giây)")
