"""Custom actions served by rasa_sdk through ``python -m cli.action_server`` (loopback only, token
required), one module per concern. Actions only translate between the dialogue and the knowledge services."""

from actions.dossiers import ActionDossierStatus, ValidateDossierForm
from actions.fallback import ActionDefaultFallback
from actions.feedback import ActionRecordRating, ActionSubmitFeedback, ValidateFeedbackForm
from actions.handoff import ActionRequestHandoff
from actions.places import ActionFindOffice, ActionUnitChange
from actions.procedures import ActionHandleInform, ActionProcedureAnswer

__all__ = [
    "ActionDefaultFallback",
    "ActionDossierStatus",
    "ActionFindOffice",
    "ActionHandleInform",
    "ActionProcedureAnswer",
    "ActionRecordRating",
    "ActionRequestHandoff",
    "ActionSubmitFeedback",
    "ActionUnitChange",
    "ValidateDossierForm",
    "ValidateFeedbackForm",
]
