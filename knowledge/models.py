"""Imports every model so that Base.metadata is complete (for Alembic and for tests)."""

from api.channels.zalo.models import ZaloInboundEvent, ZaloOutboxMessage, ZaloToken
from knowledge.accounts.models import StaffSession, StaffUser
from knowledge.audit.models import AuditEntry
from knowledge.centres.models import ServiceCentre
from knowledge.conversations.models import ConversationTurn
from knowledge.dossiers.models import Dossier, DossierLookupAttempt, DossierStatusEvent
from knowledge.feedback.models import Feedback
from knowledge.handoff.models import HandoffMessage, HandoffRequest
from knowledge.learning.models import InboxDecision, RetrainJob, TrainedModel
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
    "AuditEntry",
    "ConversationTurn",
    "Dossier",
    "DossierLookupAttempt",
    "DossierStatusEvent",
    "Feedback",
    "HandoffMessage",
    "HandoffRequest",
    "InboxDecision",
    "Procedure",
    "ProcedureAlias",
    "ProcedureChannel",
    "ProcedureDocument",
    "ProcedureVersion",
    "Rating",
    "RetrainJob",
    "ServiceCentre",
    "StaffSession",
    "StaffUser",
    "TrainedModel",
    "UnitSuccession",
    "ZaloInboundEvent",
    "ZaloOutboxMessage",
    "ZaloToken",
]
