"""Imports every model so that Base.metadata is complete (for Alembic and for tests)."""

from api.channels.zalo.models import ZaloInboundEvent, ZaloOutboxMessage, ZaloToken
from knowledge.centres.models import ServiceCentre
from knowledge.dossiers.models import Dossier, DossierLookupAttempt, DossierStatusEvent
from knowledge.feedback.models import Feedback
from knowledge.handoff.models import HandoffMessage, HandoffRequest
from knowledge.procedures.models import (
    Procedure,
    ProcedureAlias,
    ProcedureChannel,
    ProcedureDocument,
    ProcedureVersion,
)
from knowledge.ratings.models import Rating
from knowledge.units.models import AdministrativeUnit, UnitSuccession

__all__ = [
    "AdministrativeUnit",
    "Dossier",
    "DossierLookupAttempt",
    "DossierStatusEvent",
    "Feedback",
    "HandoffMessage",
    "HandoffRequest",
    "Procedure",
    "ProcedureAlias",
    "ProcedureChannel",
    "ProcedureDocument",
    "ProcedureVersion",
    "Rating",
    "ServiceCentre",
    "UnitSuccession",
    "ZaloInboundEvent",
    "ZaloOutboxMessage",
    "ZaloToken",
]
