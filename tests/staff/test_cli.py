"""``python -m cli staff create-admin``: the first admin, from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.paths import ROOT


def run(data_dir: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TTHC_DATA_DIR=str(data_dir))
    env.pop("TTHC_ADMIN_PASSWORD", None)
    if password is not None:
        env["TTHC_ADMIN_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "cli", "staff", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_create_admin_then_log_in(tmp_path: Path) -> None:
    done = run(tmp_path, "create-admin", "--username", "QuanTri", password="mat-khau-dau-tien-1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Đã tạo tài khoản quantri" in done.stdout
    assert "mat-khau-dau-tien-1" not in done.stdout + done.stderr

    from sqlalchemy.orm import Session

    from core.db import make_engine
    from servicedesk.accounts import service

    engine = make_engine(f"sqlite:///{tmp_path / 'tthc.sqlite3'}")
    with Session(engine) as session:
        user = service.authenticate(session, "quantri", "mat-khau-dau-tien-1")
        assert user is not None and user.role == "admin"
    engine.dispose()

    again = run(tmp_path, "create-admin", "--username", "quantri", password="mat-khau-dau-tien-1")
    assert again.returncode == 1 and "đã có người dùng" in again.stdout


def test_a_short_password_is_refused(tmp_path: Path) -> None:
    done = run(tmp_path, "create-admin", password="ngan")
    assert done.returncode == 1 and "ít nhất 10 ký tự" in done.stdout
