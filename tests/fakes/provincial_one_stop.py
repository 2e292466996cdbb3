"""A fake provincial one-stop system (Hệ thống thông tin giải quyết TTHC cấp tỉnh).

Speaks the shape documented in servicedesk/dossiers/README.md, over real HTTP: ``serve(state)``
runs it with uvicorn on a free localhost port in a background thread. The state can make it fail
(HTTP 500 for the next N requests), hang (to provoke client timeouts), and it answers 401 to any
token but its own. ``change_status`` moves a dossier on (what the dossier news poll finds) and
``push_change`` calls the assistant's push endpoint the way a province would. All data here is
synthetic.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from tests.fakes.server import start_in_thread

DEFAULT_TOKEN = "test-token-0123456789"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def synthetic_dossier(code: str = "000.00.01.H29-250710-0012", last4: str = "1234") -> dict[str, Any]:
    """One dossier in the provincial shape; "_bon_so_cuoi" is the fake's private record, never sent."""
    return {
        "MaHoSo": code,
        "MaThuTuc": "1.004194",
        "TenThuTuc": "Đăng ký tạm trú",
        "MaDonViTiepNhan": "26743",
        "DonViTiepNhan": "Phường Bến Thành",
        "NgayTiepNhan": "2025-07-10T08:15:00+07:00",
        "NgayHenTra": "2025-07-17",
        "TrangThai": "DANG_XU_LY",
        "QuaTrinhXuLy": [
            {"TrangThai": "DA_TIEP_NHAN", "ThoiGian": "2025-07-10T08:15:00+07:00", "NoiDung": "Tiếp nhận trực tiếp"},
            {"TrangThai": "DANG_XU_LY", "ThoiGian": "11/07/2025 09:30", "NoiDung": "Chuyển Công an phường thẩm định"},
        ],
        # Real systems may send a phone fragment or hash; the client must ignore it.
        "SoDienThoaiCuoi": "****" + last4,
        "_bon_so_cuoi": last4,
    }


@dataclass
class FakeOneStop:
    token: str = DEFAULT_TOKEN
    dossiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_next: int = 0  # answer HTTP 500 to this many requests, then behave
    delay_seconds: float = 0.0  # sleep before answering (provokes client timeouts)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every request
    verify_bodies: list[dict[str, Any]] = field(default_factory=list)
    generation: int = 0  # bumped by reset(): a request still sleeping from an earlier test stays out

    def reset(self) -> None:
        self.generation += 1
        self.token = DEFAULT_TOKEN
        self.dossiers.clear()
        self.fail_next = 0
        self.delay_seconds = 0.0
        self.requests.clear()
        self.verify_bodies.clear()

    def add(self, dossier: dict[str, Any]) -> None:
        self.dossiers[dossier["MaHoSo"].upper()] = dossier

    def change_status(
        self, code: str, status: str, *, at: dt.datetime | None = None, note: str | None = None
    ) -> dict[str, Any]:
        """The dossier moves to ``status`` (a provincial code, e.g. "DA_CO_KET_QUA") at ``at``
        (default: now), as the province's officers would make it: TrangThai and a new history line."""
        dossier = self.dossiers[code.upper()]
        moment = (at or dt.datetime.now(VN_TZ)).astimezone(VN_TZ).replace(microsecond=0)
        event: dict[str, Any] = {"TrangThai": status, "ThoiGian": moment.isoformat()}
        if note:
            event["NoiDung"] = note
        dossier["TrangThai"] = status
        dossier["QuaTrinhXuLy"] = [*dossier.get("QuaTrinhXuLy", []), event]
        return event

    def lookups_of(self, code: str) -> int:
        """How many times the dossier was fetched (GET), whoever asked."""
        path = f"/api/v1/hoso/{code.upper()}"
        return sum(1 for method, requested in self.requests if method == "GET" and requested.upper() == path.upper())


def create_app(state: FakeOneStop) -> FastAPI:
    app = FastAPI(title="Fake provincial one-stop system")

    async def gate(request: Request, authorization: str | None) -> JSONResponse | None:
        state.requests.append((request.method, request.url.path))
        generation = state.generation
        if state.delay_seconds:
            await asyncio.sleep(state.delay_seconds)
            if generation != state.generation:
                return JSONResponse({"message": "stale"}, status_code=503)
        if state.fail_next > 0:
            state.fail_next -= 1
            return JSONResponse({"message": "Lỗi hệ thống"}, status_code=500)
        if authorization != f"Bearer {state.token}":
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        return None

    @app.get("/api/v1/hoso/{code}")
    async def get_dossier(  # noqa: ANN202
        code: str, request: Request, authorization: str | None = Header(default=None)
    ):
        refused = await gate(request, authorization)
        if refused:
            return refused
        dossier = state.dossiers.get(code.upper())
        if dossier is None:
            return JSONResponse({"message": "Không tìm thấy hồ sơ"}, status_code=404)
        return {k: v for k, v in dossier.items() if not k.startswith("_")}

    @app.post("/api/v1/hoso/{code}/xac-thuc")
    async def verify(code: str, request: Request, authorization: str | None = Header(default=None)):  # noqa: ANN202
        refused = await gate(request, authorization)
        if refused:
            return refused
        body = await request.json()
        state.verify_bodies.append(body)
        digits = body.get("bon_so_cuoi") if isinstance(body, dict) else None
        if not (isinstance(digits, str) and len(digits) == 4 and digits.isdigit()):
            return JSONResponse({"message": "bon_so_cuoi phải gồm 4 chữ số"}, status_code=422)
        dossier = state.dossiers.get(code.upper())
        if dossier is None:
            return JSONResponse({"message": "Không tìm thấy hồ sơ"}, status_code=404)
        return {"hop_le": digits == dossier["_bon_so_cuoi"]}

    return app


def push_change(
    api_url: str, token: str | None, code: str, status: str | None = None, *, at: str | None = None
) -> httpx.Response:
    """What the province does after a change: POST /api/dossiers/events to the assistant's API,
    with ``Authorization: Bearer <token>`` (none when ``token`` is None)."""
    event: dict[str, Any] = {"MaHoSo": code}
    if status:
        event["TrangThai"] = status
    if at:
        event["ThoiGian"] = at
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.post(f"{api_url.rstrip('/')}/api/dossiers/events", json=event, headers=headers, timeout=10)


@contextmanager
def serve(state: FakeOneStop) -> Iterator[str]:
    """Runs the fake on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server, thread, sock = start_in_thread(create_app(state))
    port = sock.getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
