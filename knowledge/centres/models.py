"""Public Administrative Service Centres (Trung tâm Phục vụ hành chính công)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class ServiceCentre(Base):
    __tablename__ = "service_centre"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(8), index=True)  # the current unit it serves
    name: Mapped[str] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(255))
    hours: Mapped[str | None] = mapped_column(Text)
    # Procedure levels it receives ("xa", "tinh"); an empty list means "ask the centre".
    receives_levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Extra procedure codes it receives beyond those levels (e.g. a province-level one delegated).
    extra_procedures: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(Text)
    # "seed" (demo file) or "admin": once staff manage a unit's centres, the demo seed leaves that
    # unit alone, so a restart never puts placeholder contacts back over real ones.
    origin: Mapped[str] = mapped_column(String(16), default="seed", server_default="seed")
