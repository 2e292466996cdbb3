"""One family of refusals for every service: what went wrong, in a Vietnamese sentence for whoever
reads it (citizen, officer, editor).

A service raises the kind that says why it refuses; the API maps each kind to one HTTP status in
one place (``api/errors.py``: 404, 409, 422, 403, 400) with the body ``{"error": message}``, so
routes need no ``try``/``except`` to translate them. Failures of the machinery (a provincial system
down, ``rasa train`` failing) are not refusals and do not derive from these.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A refusal; ``message`` is a Vietnamese sentence fit to show as it is."""

    kind: ClassVar[str] = "refused"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(DomainError):
    """What was asked for does not exist (or is not visible to the caller)."""

    kind = "not_found"


class ConflictError(DomainError):
    """The change clashes with the current state (already taken, already exists, changed since)."""

    kind = "conflict"


class InvalidError(DomainError):
    """The input breaks a rule; ``field`` names the input at fault when there is one."""

    kind = "invalid"

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ForbiddenError(DomainError):
    """The caller may not do this (someone else's conversation, a role that does not allow it)."""

    kind = "forbidden"


class RejectedError(DomainError):
    """A decision the rules turn down as asked (an unknown intent, a name already used): the
    request is understood, the caller should change it."""

    kind = "rejected"


__all__ = ["ConflictError", "DomainError", "ForbiddenError", "InvalidError", "NotFoundError", "RejectedError"]
