"""The FastAPI bridge: channels in, Rasa behind, knowledge APIs and pages."""
