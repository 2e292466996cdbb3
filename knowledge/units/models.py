"""The administrative map: current units after 1 July 2025, former units, and who succeeded whom."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

UNIT_LEVELS = ("province", "commune")
# Current commune-level types are xa, phuong, dac_khu; former ones also thi_tran. Provinces: tinh, thanh_pho.
UNIT_TYPES = ("tinh", "thanh_pho", "xa", "phuong", "dac_khu", "thi_tran")
UNIT_TYPE_LABELS = {
    "tinh": "Tỉnh",
    "thanh_pho": "Thành phố",
    "xa": "Xã",
    "phuong": "Phường",
    "dac_khu": "Đặc khu",
    "thi_tran": "Thị trấn",
}


class AdministrativeUnit(Base):
    __tablename__ = "administrative_unit"

    # Official codes are only unique within an era (a former commune may share a code with the
    # current unit that absorbed it), hence the surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(String(255))  # with its type prefix: "Phường Bến Thành"
    type: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="current")  # current | former
    province_code: Mapped[str | None] = mapped_column(String(8), index=True)
    province_name: Mapped[str | None] = mapped_column(String(255))
    # Former communes only: the district they belonged to, which citizens still say.
    district_name: Mapped[str | None] = mapped_column(String(255))
    name_folded: Mapped[str] = mapped_column(String(255), index=True)  # without type prefix

    successions: Mapped[list[UnitSuccession]] = relationship(
        back_populates="former", foreign_keys="UnitSuccession.former_id", cascade="all, delete-orphan"
    )


class UnitSuccession(Base):
    """A former unit's territory went (wholly, or in part when ``partial``) to a current unit."""

    __tablename__ = "unit_succession"

    id: Mapped[int] = mapped_column(primary_key=True)
    former_id: Mapped[int] = mapped_column(ForeignKey("administrative_unit.id", ondelete="CASCADE"), index=True)
    current_id: Mapped[int] = mapped_column(ForeignKey("administrative_unit.id", ondelete="CASCADE"), index=True)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)

    former: Mapped[AdministrativeUnit] = relationship(foreign_keys=[former_id], back_populates="successions")
    current: Mapped[AdministrativeUnit] = relationship(foreign_keys=[current_id])
