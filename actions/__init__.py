"""Custom actions served by rasa_sdk (``python -m rasa_sdk --actions actions``), one module per
concern. Actions only translate between the dialogue and the knowledge services."""

from actions.fallback import ActionDefaultFallback
from actions.procedures import ActionProcedureAnswer

__all__ = ["ActionDefaultFallback", "ActionProcedureAnswer"]
