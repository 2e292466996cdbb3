"""The Zalo Official Account channel.

Webhook in (``routes.py``: signature, freshness, de-duplication, answer 200 at once), Rasa behind
(``service.py`` reuses ``api.chat.service.converse``), replies out through a persistent outbox
(``outbox.py`` + ``worker.py``: ordered per citizen, retried with backoff, sent exactly once),
with the OA access token kept and refreshed in the database (``tokens.py``).

This module imports nothing on purpose: ``database.models`` imports ``models.py`` for Alembic,
and that must not pull FastAPI or httpx into processes that only need the tables.
"""
