"""Imports every model so that Base.metadata is complete (for Alembic and for tests)."""

import knowledge.checklists.models  # noqa: F401 - registers the checklist tables
import knowledge.notices.models  # noqa: F401 - registers the notice table
import servicedesk.callbacks.models  # noqa: F401 - registers the callback table
import servicedesk.dossier_news.models  # noqa: F401 - registers the subscription and news tables
from core.audit.models import AuditEntry
from knowledge.centres.models import ServiceCentre
from knowledge.procedures.models import (
    Procedure,
    ProcedureAlias,
    ProcedureChannel,
    ProcedureDocument,
    ProcedureVersion,
)
from knowledge.units.models import AdministrativeUnit, UnitSuccession
from servicedesk.accounts.models import StaffSession, StaffUser
from servicedesk.conversations.models import ConversationTurn
from servicedesk.dossiers.models import Dossier, DossierLookupAttempt, DossierStatusEvent
from servicedesk.feedback.models import Feedback
from servicedesk.handoff.models import HandoffMessage, HandoffRequest
from servicedesk.learning.models import InboxDecision, RetrainJob, TrainedModel
from servicedesk.ratings.models import Rating
from servicedesk.zalo.models import ZaloInboundEvent, ZaloOutboxMessage, ZaloToken

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
