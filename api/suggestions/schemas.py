"""What ``GET /staff/api/suggestions`` answers (``knowledge.procedures.suggest.SuggestionResult``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from knowledge.procedures.suggest import Aspect


class SuggestionFacts(BaseModel):
    """The facts an officer is asked most, None (or empty) when the store lacks them."""

    fee: str | None
    processing_time: str | None
    documents: list[str]
    online: str | None


class Suggestion(BaseModel):
    code: str
    name: str
    score: float
    level: str = Field(description="Như cán bộ đọc, ví dụ “cấp xã, cấp tỉnh”")
    levels: list[str] = Field(description="Mã cấp (xa, tinh), để lọc")
    field: str | None
    answer: str
    source_url: str | None
    facts: SuggestionFacts


class SuggestionResult(BaseModel):
    query: str
    aspect: Aspect
    took_ms: float
    suggestions: list[Suggestion]
