"""The dossier news poller: an asyncio task of each API worker.

Started and stopped by the application lifespan, next to the Zalo outbox worker::

    await start_news_poller(context)   # after start_outbox_worker
    ...
    await stop_news_poller()           # before the HTTP client is closed

Each round (servicedesk/dossier_news/poller.py) expires finished subscriptions, claims the due
ones and asks the connector. Every API worker runs one: the claims are compare-and-swap updates,
so a subscription is polled by one worker at a time. Between rounds it sleeps ``tick`` seconds
(at most 5, at most the poll interval), or less when woken by a push (POST /api/dossiers/events).
News for Zalo goes to the outbox, whose worker is woken at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from api.background import stop_task
from core.db import get_sessionmaker
from core.settings import DossierSettings
from servicedesk.dossier_news import service
from servicedesk.dossier_news.poller import poll_round
from servicedesk.dossiers.connectors import DossierConnector, get_connector

logger = logging.getLogger(__name__)

MAX_TICK_SECONDS = 5.0
PRUNE_EVERY_SECONDS = 3600.0


class NewsPoller:
    def __init__(
        self,
        settings: DossierSettings,
        sessions: sessionmaker[Session],
        connector: DossierConnector,
        on_zalo_news: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.connector = connector
        self.on_zalo_news = on_zalo_news
        self.tick = min(MAX_TICK_SECONDS, settings.news_poll_seconds)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_prune = float("-inf")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="dossier-news-poller")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Poll now (a push made subscriptions due)."""
        self._wake.set()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if await stop_task(self._task, grace_seconds):
            # Claims of a cancelled round end with their lease; those rows are polled again then.
            logger.warning("dossier news poller cancelled after %.0fs", grace_seconds)

    async def run_once(self) -> bool:
        """One round; True when it claimed anything (another round may have more)."""
        report = await poll_round(self.sessions, self.connector, self.settings)
        if report.zalo and self.on_zalo_news is not None:
            self.on_zalo_news()
        if report.claimed or report.expired:
            logger.info(
                "dossier news round: %d polled, %d news (%d to Zalo), %d failed, %d lost, %d expired",
                report.claimed,
                report.news,
                report.zalo,
                report.failed,
                report.lost,
                report.expired,
            )
        return report.claimed >= self.settings.news_batch_size

    async def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < PRUNE_EVERY_SECONDS:
            return
        self._last_prune = now
        pruned = await asyncio.to_thread(self._prune)
        if pruned:
            logger.info("dossier news: %d ended subscription(s) deleted", pruned)

    def _prune(self) -> int:
        with self.sessions() as session:
            return service.prune(session)

    async def _run(self) -> None:
        logger.info("dossier news poller started (every %.0fs per dossier)", self.settings.news_poll_seconds)
        while not self._stopping.is_set():
            more = False
            try:
                await self._housekeeping()
                more = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - the loop must survive (e.g. database briefly locked)
                logger.error("dossier news round failed: %s", type(exc).__name__)
            if more or self._stopping.is_set():
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self.tick)
            except TimeoutError:
                pass
            self._wake.clear()
        logger.info("dossier news poller stopped")


_current: NewsPoller | None = None


def current_poller() -> NewsPoller | None:
    """This process's running poller, if any."""
    return _current


def wake_news_poller() -> None:
    if _current is not None:
        _current.wake()


async def start_news_poller(
    settings: DossierSettings,
    *,
    sessions: sessionmaker[Session] | None = None,
    on_zalo_news: Callable[[], None] | None = None,
) -> NewsPoller | None:
    """Starts this process's poller; None (and a log line) when the connector cannot be built."""
    global _current
    try:
        connector = get_connector(settings)
    except ValueError as exc:
        logger.error("dossier news poller not started: %s", exc)
        return None
    poller = NewsPoller(settings, sessions or get_sessionmaker(), connector, on_zalo_news)
    poller.start()
    _current = poller
    return poller


async def stop_news_poller(poller: NewsPoller | None) -> None:
    """Stops the poller; a round in progress finishes (bounded)."""
    global _current
    if poller is None:
        return
    await poller.stop()
    if _current is poller:
        _current = None
