from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CentreRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    unit_code: str = Field(pattern=r"^\d{2,5}$")
    name: str
    address: str | None = None
    phone: str | None = None
    hours: str | None = None
    receives_levels: list[str] = Field(default_factory=list)
    extra_procedures: list[str] = Field(default_factory=list)
    is_demo: bool = False
    source: str | None = None
