"""Imports every model so that Base.metadata is complete (for Alembic and for tests)."""

from knowledge.centres.models import ServiceCentre
from knowledge.procedures.models import (
    Procedure,
    ProcedureAlias,
    ProcedureChannel,
    ProcedureDocument,
    ProcedureVersion,
)
from knowledge.units.models import AdministrativeUnit, UnitSuccession

__all__ = [
    "AdministrativeUnit",
    "Procedure",
    "ProcedureAlias",
    "ProcedureChannel",
    "ProcedureDocument",
    "ProcedureVersion",
    "ServiceCentre",
    "UnitSuccession",
]
