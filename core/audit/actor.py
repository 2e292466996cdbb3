"""Who made a change: the one actor type of the audit log and the version history."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """A signed-in officer (``api.staff.security.StaffPrincipal`` is one) or a process acting on
    its own (``role`` None: the seed, the command line)."""

    username: str
    role: str | None = None


CLI = Actor("cli")  # changes made from the command line (`make staff-admin`, imports)
SEED = Actor("seed")  # the reviewed seed data loaded by `make run`
