"""Custom actions served by rasa_sdk through ``python -m cli.action_server`` (loopback only, token
required), one module per concern. Actions only translate between the dialogue and the knowledge services."""

from actions.callbacks import (
    ActionAskCallbackConsent,
    ActionAskCallbackTime,
    ActionSubmitCallback,
    ValidateCallbackForm,
)
from actions.checklists import (
    ActionAskChecklistReply,
    ActionChecklistResult,
    ActionChecklistStart,
    ValidateChecklistForm,
)
from actions.dossier_news import ActionSubscribeDossierNews, ActionUnsubscribeDossierNews
from actions.dossiers import ActionDossierStatus, ValidateDossierForm
from actions.fallback import ActionDefaultFallback
from actions.feedback import ActionRecordRating, ActionSubmitFeedback, ValidateFeedbackForm
from actions.handoff import ActionRequestHandoff
from actions.places import ActionFindOffice, ActionUnitChange
from actions.procedures import ActionHandleInform, ActionProcedureAnswer

__all__ = [
    "ActionAskCallbackConsent",
    "ActionAskCallbackTime",
    "ActionAskChecklistReply",
    "ActionChecklistResult",
    "ActionChecklistStart",
    "ActionDefaultFallback",
    "ActionDossierStatus",
    "ActionFindOffice",
    "ActionHandleInform",
    "ActionProcedureAnswer",
    "ActionRecordRating",
    "ActionRequestHandoff",
    "ActionSubmitCallback",
    "ActionSubscribeDossierNews",
    "ActionSubmitFeedback",
    "ActionUnitChange",
    "ActionUnsubscribeDossierNews",
    "ValidateCallbackForm",
    "ValidateChecklistForm",
    "ValidateDossierForm",
    "ValidateFeedbackForm",
]
