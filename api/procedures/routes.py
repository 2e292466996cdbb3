"""Procedure catalogue API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep
from api.errors import error_responses
from knowledge.procedures import service
from knowledge.procedures.schemas import ProcedureDetail, ProcedureSummary
from knowledge.procedures.search import procedure_search

router = APIRouter(prefix="/api/procedures", tags=["procedures"])


@router.get("/search", response_model=list[ProcedureSummary])
def search(
    session: SessionDep,
    q: Annotated[
        str, Query(min_length=1, max_length=500, description="Câu hỏi hoặc tên thủ tục, có dấu hay không dấu")
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[ProcedureSummary]:
    hits = procedure_search.search(session, q, limit=limit)
    return [ProcedureSummary(code=h.code, name=h.name, level=h.levels, field=h.field, score=h.score) for h in hits]


@router.get("/{code}", response_model=ProcedureDetail, responses=error_responses(404, s404="Không có thủ tục mã này"))
def detail(session: SessionDep, code: str) -> ProcedureDetail:
    procedure = service.get_by_code(session, code)
    if procedure is None:
        raise service.ProcedureNotFoundError(code)  # 404 (api/errors.py), the same sentence
    record = service.to_record(procedure)
    return ProcedureDetail(**record.model_dump(), origin=procedure.origin, published=procedure.published)
