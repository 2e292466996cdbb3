"""One round of the dossier news poller: expire, claim the due subscriptions, ask the connector,
record what it says. api/dossiers/worker.py runs rounds in every API worker; the claims in
service.py make that safe (each due subscription is polled by one of them).

The database work is synchronous and runs in a thread, each step in its own session; the
connector is awaited (the HTTP connector's round trips never block the event loop).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from core.db import session_scope
from core.settings import DossierSettings
from servicedesk.dossier_news import service
from servicedesk.dossier_news.service import Claim, PollOutcome
from servicedesk.dossiers.connectors import ConnectorError, DossierConnector
from servicedesk.dossiers.hashing import mask_code
from servicedesk.dossiers.views import DossierView

logger = logging.getLogger(__name__)

# Lookups in flight at once per poller: the province's system is shared by many.
LOOKUP_CONCURRENCY = 4

T = TypeVar("T")


@dataclass(frozen=True)
class RoundReport:
    expired: int
    claimed: int
    news: int
    zalo: int  # news handed to the Zalo outbox
    failed: int
    lost: int


def _in_session(sessions: sessionmaker[Session], work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with session_scope(sessions) as session:
        return work(session, *args, **kwargs)


async def _run(sessions: sessionmaker[Session], work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(_in_session, sessions, work, *args, **kwargs)


Lookup = Callable[[str], Awaitable[DossierView | None]]


async def poll_one(
    sessions: sessionmaker[Session], lookup: Lookup, settings: DossierSettings, claim: Claim
) -> PollOutcome:
    """Asks about one claimed subscription (``lookup``: the connector's) and records the answer."""
    try:
        view = await lookup(claim.dossier_code)
    except ConnectorError as exc:
        return await _run(sessions, service.record_failure, claim, settings, type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - one bad answer must not stop the others
        logger.error("dossier news: lookup of %s raised %s", mask_code(claim.dossier_code), type(exc).__name__)
        return await _run(sessions, service.record_failure, claim, settings, f"unexpected {type(exc).__name__}")
    if view is None:
        # Unknown to the one-stop system now (renumbered, withdrawn, an outage answering 404):
        # back off like a failure; the subscription still ends when it expires.
        return await _run(sessions, service.record_failure, claim, settings, "not found")
    return await _run(sessions, service.record_found, claim, view, settings)


async def poll_round(
    sessions: sessionmaker[Session], connector: DossierConnector, settings: DossierSettings
) -> RoundReport:
    """Expires what is over, then polls up to ``news_batch_size`` due subscriptions. Citizens
    following the same dossier share one lookup per round (the province's system is shared)."""
    expired = await _run(sessions, service.expire_due)
    claims = await _run(sessions, service.claim_due, limit=settings.news_batch_size)
    if not claims:
        return RoundReport(expired, 0, 0, 0, 0, 0)
    semaphore = asyncio.Semaphore(LOOKUP_CONCURRENCY)
    lookups: dict[str, asyncio.Task[DossierView | None]] = {}

    async def bounded(code: str) -> DossierView | None:
        async with semaphore:
            return await connector.lookup(code)

    def shared(code: str) -> Awaitable[DossierView | None]:
        if code not in lookups:
            lookups[code] = asyncio.ensure_future(bounded(code))
        # shield: one awaiter's cancellation must not cancel the others' lookup
        return asyncio.shield(lookups[code])

    outcomes = await asyncio.gather(*(poll_one(sessions, shared, settings, claim) for claim in claims))
    return RoundReport(
        expired=expired,
        claimed=len(claims),
        news=sum(1 for o in outcomes if o.kind == "news"),
        zalo=sum(1 for o in outcomes if o.zalo),
        failed=sum(1 for o in outcomes if o.kind == "failed"),
        lost=sum(1 for o in outcomes if o.kind == "lost"),
    )
