"""``python -m cli kb audit`` and ``kb show CODE`` on the staff test database (seeded, plus two
flagged imported records), in process with typer's CliRunner; ``kb show --json`` is compared with
what ``GET /api/procedures/{code}`` returns."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from cli.__main__ import app
from core.db import session_scope
from knowledge.procedures.facts import FEE_KIND_LABELS, QUALITY_FLAG_KINDS
from knowledge.procedures.models import Procedure
from tests.admin.conftest import FLAGGED, OTHER

SEED_CODE = "1.004746"  # Đăng ký lại kết hôn (seed)


def _kb(*args: str) -> Any:
    return CliRunner().invoke(app, ["kb", *args])


def test_audit_prints_the_fact_kinds_and_the_flagged_records(flagged: Any) -> None:
    done = _kb("audit", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    facts = data["facts"]
    with session_scope() as session:
        seeded = session.scalars(select(Procedure).where(Procedure.origin == "seed")).all()
        assert facts["by_origin"]["seed"]["procedures"] == len(seeded) >= 40
        assert facts["by_origin"]["seed"]["channels"] == sum(len(p.channels) for p in seeded)
    assert facts["by_origin"]["import"]["procedures"] == 2 and facts["by_origin"]["import"]["fee"]["unclear"] == 2
    assert facts["all"]["channels"] == sum(v["channels"] for v in facts["by_origin"].values())
    assert sum(facts["all"]["fee"].values()) == facts["all"]["channels"]
    assert sum(facts["all"]["deadline"].values()) == facts["all"]["channels"]
    assert data["flagged"]["total"] == 2
    assert [r["code"] for r in data["flagged"]["records"]] == [FLAGGED, OTHER]
    assert data["flagged"]["records"][0]["flags"][0]["label"] == QUALITY_FLAG_KINDS["fee_free_contradicted"]

    capped = json.loads(_kb("audit", "--json", "--limit", "1").stdout)["flagged"]
    assert capped["total"] == 2 and len(capped["records"]) == 1

    text = _kb("audit", "--limit", "1")
    assert text.exit_code == 0, text.output
    out = text.stdout
    assert FEE_KIND_LABELS["by_regulation"][:12] in out and "Cả kho" in out
    assert "Cần kiểm tra: 2 thủ tục" in out and FLAGGED in out and OTHER not in out
    assert "và 1 thủ tục khác" in out

    bad = _kb("audit", "--kind", "khong_co")
    assert bad.exit_code == 2 and "Không có loại cảnh báo" in bad.stderr


def test_show_json_is_what_the_api_returns(flagged: Any) -> None:
    done = _kb("show", SEED_CODE, "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == flagged.get(f"/api/procedures/{SEED_CODE}").json()
    imported = json.loads(_kb("show", FLAGGED, "--json").stdout)
    assert imported == flagged.get(f"/api/procedures/{FLAGGED}").json()
    assert imported["quality_flags"][0]["kind"] == "fee_free_contradicted"
    assert imported["channels"][0]["fee_kind"] == "unclear"


def test_show_reads_in_vietnamese_and_refuses_an_unknown_code(flagged: Any) -> None:
    done = _kb("show", FLAGGED)
    assert done.exit_code == 0, done.output
    out = done.stdout
    assert f"{FLAGGED} — Thủ tục thử hàng đợi {FLAGGED}" in out
    assert "Nộp trực tiếp" in out
    # What the fact means first, then the source's words: a "Miễn phí" cell is never the conclusion.
    assert "Phí, lệ phí: Chưa rõ — cần xác minh\n        nguồn ghi: “Miễn phí”" in out
    assert "Thời hạn: Ngày làm việc — 5 ngày\n        nguồn ghi: “5 ngày làm việc”" in out
    assert "Cảnh báo chất lượng chưa kiểm tra (1)" in out

    unknown = _kb("show", "9.999999", "--json")
    assert unknown.exit_code == 2
    assert "Không có thủ tục mã 9.999999 trong kho tri thức." in unknown.stderr and unknown.stdout == ""
