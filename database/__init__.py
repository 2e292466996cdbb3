"""The schema as a whole: every model registered on ``core.db.Base``, Alembic migrations and the
upgrade entry point. Above ``knowledge`` and ``servicedesk``, whose tables it gathers."""
