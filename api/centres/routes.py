"""Service centre API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep
from knowledge.centres import service
from knowledge.centres.schemas import CentreRecord

router = APIRouter(prefix="/api/centres", tags=["centres"])


@router.get("", response_model=list[CentreRecord])
def centres(
    session: SessionDep,
    unit: Annotated[
        str, Query(min_length=2, max_length=8, pattern=r"^\d+$", description="Mã đơn vị hành chính hiện hành")
    ],
) -> list[CentreRecord]:
    return [CentreRecord.model_validate(c) for c in service.for_unit(session, unit)]
