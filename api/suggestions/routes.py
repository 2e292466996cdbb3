"""Suggestions for hotline officers: ``GET /staff/api/suggestions?q=&limit=``.

The console calls this as the officer types, so it stays a plain synchronous read: FastAPI runs
it in its thread pool, and the search index is shared by the whole process.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from api.deps import AgentOrEditorUser, SessionDep
from api.suggestions.schemas import SuggestionResult
from knowledge.procedures.suggest import MAX_LIMIT, MAX_QUESTION_LENGTH, suggest

router = APIRouter(prefix="/staff/api", tags=["staff: suggestions"])


def _invalid(field: str, kind: str, message: str) -> NoReturn:
    raise RequestValidationError([{"loc": ("query", field), "type": kind, "msg": message, "ctx": {"error": message}}])


@router.get("/suggestions", response_model=SuggestionResult)
def suggestions(
    session: SessionDep,
    user: AgentOrEditorUser,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUESTION_LENGTH,
            description="Câu hỏi của người gọi, có dấu hay không dấu",
        ),
    ],
    limit: Annotated[int, Query(description=f"Số gợi ý, từ 1 đến {MAX_LIMIT}")] = 5,
) -> dict[str, Any]:
    # Checked here rather than by Query(ge=, le=), whose messages are English; the body is the
    # same as every other validation error's (api/errors.py).
    if not q.strip():
        _invalid("q", "string_too_short", "không được để trống")
    if not 1 <= limit <= MAX_LIMIT:
        _invalid("limit", "value_error", f"phải từ 1 đến {MAX_LIMIT}")
    result = suggest(session, q, limit=limit)
    return asdict(result)
