"""Analytics for analysts (and admins): the page, its JSON and a CSV export of the same numbers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.analytics import schemas
from api.deps import AnalystUser, SessionDep
from api.staff.templating import render
from core.labels import CHAT_CHANNEL_LABELS
from servicedesk.analytics import export
from servicedesk.analytics.service import AnalyticsReport, Filters, parse_filters, report

router = APIRouter(tags=["staff: analytics"])
# "from" is a Python keyword: the query names are aliases.
FromDay = Annotated[str | None, Query(alias="from", max_length=10, description="Từ ngày (NNNN-TT-NN)")]
ToDay = Annotated[str | None, Query(alias="to", max_length=10, description="Đến ngày (NNNN-TT-NN)")]
Channel = Annotated[str | None, Query(max_length=16, description="Kênh: web, zalo")]
Unit = Annotated[
    str | None,
    Query(max_length=32, description="Mã đơn vị hành chính hiện hành (xã, phường, tỉnh), ví dụ 26743"),
]


def _filters(start: str | None, end: str | None, channel: str | None, unit: str | None) -> Filters:
    return parse_filters(start, end, channel, unit)  # InvalidRange: 422 like any invalid input (api/errors.py)


def _report(
    session: Session, start: str | None, end: str | None, channel: str | None, unit: str | None
) -> AnalyticsReport:
    return report(session, _filters(start, end, channel, unit))


@router.get("/staff/analytics", response_class=HTMLResponse, include_in_schema=False)
def page(request: Request, user: AnalystUser) -> HTMLResponse:
    # The numbers are fetched by the page's script, so changing a filter does not reload the page.
    return render(request, "analytics/templates/analytics.html", user, channels=CHAT_CHANNEL_LABELS)


@router.get("/staff/api/analytics", response_model=schemas.AnalyticsReport)
def analytics(
    session: SessionDep,
    user: AnalystUser,
    start: FromDay = None,
    end: ToDay = None,
    channel: Channel = None,
    unit: Unit = None,
) -> dict[str, Any]:
    return asdict(_report(session, start, end, channel, unit))


@router.get("/staff/api/analytics.csv", response_class=Response)
def analytics_csv(
    session: SessionDep,
    user: AnalystUser,
    start: FromDay = None,
    end: ToDay = None,
    channel: Channel = None,
    unit: Unit = None,
) -> Response:
    result = _report(session, start, end, channel, unit)
    return Response(
        content=export.to_csv(result).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename(result)}"',
            "Cache-Control": "no-store",
        },
    )
