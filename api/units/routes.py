"""Administrative unit API: resolve free text (current or former names) to current units."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import SessionDep
from knowledge.units import service

router = APIRouter(prefix="/api/units", tags=["units"])


@router.get("/resolve")
def resolve(
    session: SessionDep,
    q: Annotated[
        str, Query(min_length=1, max_length=300, description="Tên xã/phường/tỉnh, cũ hoặc mới, có dấu hay không")
    ],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[dict[str, Any]]:
    return [match.to_dict() for match in service.resolve(session, q, limit=limit)]
