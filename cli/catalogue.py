"""``kb audit`` (fact kinds and flagged records) and ``kb show CODE`` (one procedure), mounted on
the ``kb`` group by cli/__main__.py.

python -m cli kb audit --limit 50
python -m cli kb audit --json > audit.json
python -m cli kb show 1.001193 --json   # exactly what GET /api/procedures/1.001193 returns
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from api.procedures.routes import detail as api_detail
from core.db import session_scope
from knowledge.procedures import quality
from knowledge.procedures import service as procedures
from knowledge.procedures.facts import DEADLINE_KINDS, FEE_KINDS, QUALITY_FLAG_KINDS
from knowledge.procedures.history import FIELD_LABELS
from knowledge.procedures.models import CHANNEL_LABELS, DOCUMENT_KIND_LABELS, LEVEL_LABELS
from knowledge.procedures.schemas import ProcedureDetail

console = Console()
errors = Console(stderr=True)
UNKNOWN_CODE_EXIT = 2


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


# --- kb audit --------------------------------------------------------------------------------------


def audit_command(
    limit: int = typer.Option(30, "--limit", min=0, help="Số thủ tục có cảnh báo được liệt kê (0: tất cả)."),
    kind: str | None = typer.Option(None, "--kind", help="Chỉ liệt kê thủ tục có cảnh báo loại này."),
    origin: str | None = typer.Option(None, "--origin", help="Chỉ liệt kê thủ tục có nguồn này: seed, import, admin."),
    as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON (cho máy đọc)."),
) -> None:
    """Báo cáo chất lượng dữ kiện: số kênh nộp theo loại phí và loại thời hạn (tệp đã duyệt, nhập
    từ tệp, cả kho), rồi các thủ tục còn cảnh báo cần biên tập viên kiểm tra."""
    if kind is not None and kind not in QUALITY_FLAG_KINDS:
        errors.print(
            f"Không có loại cảnh báo “{kind}”. Các loại: {', '.join(QUALITY_FLAG_KINDS)}.",
            markup=False,
            highlight=False,
            style="red",
        )
        raise typer.Exit(UNKNOWN_CODE_EXIT)
    with session_scope() as session:
        counts = quality.fact_counts(session)
        listed = quality.flagged(session, kind=kind, origin=origin, limit=limit or None)
    if as_json:
        _echo_json({"facts": counts.to_dict(), "flagged": {**listed.to_dict(), "limit": limit or None}})
        return
    _print_counts(counts)
    _print_flagged(listed, limit)


def _origins_shown(counts: quality.FactCounts) -> list[str]:
    # seed and import always (the issue asks for both); admin and others only when present.
    return [o for o, c in counts.by_origin.items() if o in ("seed", "import") or c.procedures]


def _print_counts(counts: quality.FactCounts) -> None:
    origins = _origins_shown(counts)
    for title, kinds, label, attr in (
        ("Phí, lệ phí: số kênh nộp theo loại dữ kiện", FEE_KINDS, quality.fee_kind_label, "fee"),
        ("Thời hạn giải quyết: số kênh nộp theo loại dữ kiện", DEADLINE_KINDS, quality.deadline_kind_label, "deadline"),
    ):
        table = Table(title=title)
        table.add_column("Loại")
        table.add_column("Mã", style="dim")
        for origin in origins:
            table.add_column(quality.ORIGIN_LABELS.get(origin, origin).capitalize(), justify="right")
        table.add_column("Cả kho", justify="right", style="bold")
        for kind in kinds:
            cells = [str(getattr(counts.by_origin[o], attr).get(kind, 0)) for o in origins]
            table.add_row(label(kind), kind, *cells, str(getattr(counts.all, attr).get(kind, 0)))
        table.add_section()
        table.add_row(
            "Tổng số kênh nộp", "", *(str(counts.by_origin[o].channels) for o in origins), str(counts.all.channels)
        )
        table.add_row(
            "Số thủ tục", "", *(str(counts.by_origin[o].procedures) for o in origins), str(counts.all.procedures)
        )
        console.print(table)


def _print_flagged(listed: quality.FlaggedList, limit: int) -> None:
    if not listed.total:
        console.print("[green]Không có thủ tục nào còn cảnh báo chất lượng.[/green]")
        return
    kinds = Table(title="Thủ tục có cảnh báo, theo loại cảnh báo")
    kinds.add_column("Loại cảnh báo")
    kinds.add_column("Mã", style="dim")
    kinds.add_column("Số thủ tục", justify="right")
    kinds.add_column("Số cảnh báo", justify="right")
    for kind, count in listed.by_kind.items():
        kinds.add_row(quality.flag_label(kind), kind, str(count), str(listed.flags_by_kind.get(kind, 0)))
    console.print(kinds)

    table = Table(title=f"Cần kiểm tra: {listed.total} thủ tục", show_lines=True)
    table.add_column("Mã", no_wrap=True)
    table.add_column("Tên thủ tục")
    table.add_column("Cảnh báo")
    table.add_column("Nguồn")
    table.add_column("Cập nhật", no_wrap=True)
    for row in listed.rows:
        flags = "\n".join(f"• {f.label}" + (f": {f.detail}" if f.detail else "") for f in row.flags)
        updated = row.updated_at.strftime("%d/%m/%Y") if row.updated_at else "—"
        table.add_row(row.code, row.name, flags, quality.ORIGIN_LABELS.get(row.origin, row.origin), updated)
    console.print(table)
    if limit and listed.total > len(listed.rows):
        console.print(
            f"…và {listed.total - len(listed.rows)} thủ tục khác (dùng --limit 0 để xem tất cả, hoặc --json)."
        )
    console.print("Xác nhận hoặc sửa từng thủ tục trong trang quản trị: /staff/procedures/quality")


# --- kb show ---------------------------------------------------------------------------------------


def procedure_detail(session: Session, code: str) -> ProcedureDetail | None:
    """The procedure as ``GET /api/procedures/{code}`` returns it (the API's own handler); an
    unpublished one, which the API does not serve, in the same shape with ``published`` false."""
    try:
        return api_detail(session, code)
    except procedures.ProcedureNotFoundError:
        procedure = procedures.get_by_code(session, code, include_unpublished=True)
        if procedure is None:
            return None
        record = procedures.to_record(procedure)
        return ProcedureDetail(**record.model_dump(), origin=procedure.origin, published=procedure.published)


def show_command(
    code: str = typer.Argument(..., help="Mã thủ tục, ví dụ 1.001193"),
    as_json: bool = typer.Option(False, "--json", help="In đúng JSON mà GET /api/procedures/{mã} trả về."),
) -> None:
    """Xem một thủ tục trong kho tri thức (cả thủ tục chưa xuất bản)."""
    with session_scope() as session:
        found = procedure_detail(session, code)
    if found is None:
        errors.print(
            f"Không có thủ tục mã {code.strip()} trong kho tri thức.", markup=False, highlight=False, style="red"
        )
        raise typer.Exit(UNKNOWN_CODE_EXIT)
    if as_json:
        _echo_json(found.model_dump(mode="json"))
        return
    for line in readable(found.model_dump(mode="json")):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _label(mapping: Any, key: Any) -> str:
    return str(mapping.get(key, key)) if key is not None else ""


def _quoted(text: Any) -> str:
    return f"“{text}”" if text else "(không ghi)"


def _amount(value: Any) -> str:
    return f"{int(value):,}".replace(",", ".") + " đồng"


def readable(data: dict[str, Any]) -> list[str]:
    """A procedure as lines a person reads: every fact with its kind, nothing invented (a missing
    fact says so)."""
    missing = "chưa có thông tin"
    lines = [f"{data['code']} — {data['name']}"]
    state = "đang xuất bản" if data.get("published") else "CHƯA XUẤT BẢN (công dân không thấy)"
    lines.append(f"Trạng thái: {state} · nguồn dữ liệu: {quality.ORIGIN_LABELS.get(data.get('origin', ''), '')}")
    if data.get("official_name"):
        lines.append(f"Tên đầy đủ: {data['official_name']}")
    lines.append("Cấp thực hiện: " + ", ".join(_label(LEVEL_LABELS, lv) for lv in data.get("levels") or []))
    for name in ("field", "agency", "receiving_place", "applicants"):
        if data.get(name):
            lines.append(f"{FIELD_LABELS[name].capitalize()}: {data[name]}")

    lines.append("")
    lines.append("Cách thức thực hiện:")
    if not data.get("channels"):
        lines.append(f"  ({missing})")
    for channel in data.get("channels") or []:
        head = _label(CHANNEL_LABELS, channel.get("kind"))
        if channel.get("condition"):
            head += f" — {channel['condition']}"
        lines.append(f"  • {head}")
        # The kind of each fact first (what it means), then the source's own words.
        deadline = quality.deadline_kind_label(channel.get("deadline_kind") or "unknown")
        if channel.get("processing_days") is not None:
            deadline += f" — {channel['processing_days']:g} ngày"
        lines.append(f"      Thời hạn: {deadline}")
        lines.append(f"        nguồn ghi: {_quoted(channel.get('processing_time'))}")
        fee = quality.fee_kind_label(channel.get("fee_kind") or "unknown")
        if channel.get("fee_vnd") is not None:
            fee += f" — {_amount(channel['fee_vnd'])}" + (f"/{channel['fee_unit']}" if channel.get("fee_unit") else "")
        elif channel.get("fee_unit"):
            fee += f" — tính theo {channel['fee_unit']}"
        if channel.get("fee_basis"):
            fee += f" — căn cứ: {channel['fee_basis']}"
        lines.append(f"      Phí, lệ phí: {fee}")
        lines.append(f"        nguồn ghi: {_quoted(channel.get('fee'))}")
        if channel.get("note"):
            lines.append(f"      Ghi chú: {channel['note']}")

    lines.append("")
    lines.append("Thành phần hồ sơ:")
    if not data.get("documents"):
        lines.append(f"  ({missing})")
    for doc in data.get("documents") or []:
        extra = []
        if doc.get("kind"):
            extra.append(_label(DOCUMENT_KIND_LABELS, doc["kind"]))
        if doc.get("count") is not None:
            extra.append(f"{doc['count']} bản")
        extra.append("bắt buộc" if doc.get("required", True) else "không bắt buộc")
        lines.append(f"  • {doc['name']} ({', '.join(extra)})")
        if doc.get("condition"):
            lines.append(f"      Điều kiện: {doc['condition']}")
        if doc.get("form"):
            lines.append(f"      Mẫu: {doc['form']}")
    if data.get("guidance"):
        lines.append("Hướng dẫn kèm theo (không phải giấy tờ phải nộp):")
        lines.extend(f"  – {text}" for text in data["guidance"])

    if data.get("conditions"):
        lines += ["", f"Yêu cầu, điều kiện: {data['conditions']}"]
    if data.get("result"):
        lines.append(f"Kết quả: {data['result']}")
    if data.get("legal_basis"):
        lines += ["", "Căn cứ pháp lý:"]
        for act in data["legal_basis"]:
            lines.append("  • " + " — ".join(p for p in (act.get("number"), act.get("title")) if p))
    lines.append("")
    lines.append(f"Nguồn: {data.get('source_url') or missing}")
    if data.get("source_note"):
        lines.append(f"Ghi chú nguồn: {data['source_note']}")
    if data.get("last_verified"):
        year, month, day = str(data["last_verified"]).split("-")
        lines.append(f"Ngày đối chiếu: {day}/{month}/{year}")
    flags = data.get("quality_flags") or []
    if flags:
        lines += ["", f"Cảnh báo chất lượng chưa kiểm tra ({len(flags)}):"]
        for flag in flags:
            lines.append(
                f"  ! {quality.flag_label(flag['kind'])}" + (f": {flag['detail']}" if flag.get("detail") else "")
            )
    return lines
