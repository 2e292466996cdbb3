"""The outbox worker: an asyncio task of the bridge that sends queued replies to Zalo.

Started and stopped by the application lifespan::

    await start_outbox_worker(context.zalo)   # once the channel is built (api.deps.AppContext)
    ...
    await stop_outbox_worker(context.zalo)    # before the HTTP client is closed

Each round it recovers claims left by a stopped worker, picks up events nobody is answering,
claims the due rows (one per recipient, oldest first) and sends them in parallel across
recipients. It sleeps until woken by a new reply or for ``worker_poll_seconds``. Several bridge
processes can run a worker on the same database: claims are compare-and-swap updates.
"""

from __future__ import annotations

import asyncio
import logging
import time

from api.background import stop_task
from api.channels.zalo.client import ZaloError, ZaloRetryableError
from api.channels.zalo.service import ZaloChannel, log_tag
from servicedesk.zalo import inbox, outbox

logger = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600.0


class OutboxWorker:
    def __init__(self, channel: ZaloChannel) -> None:
        self.channel = channel
        self.settings = channel.settings
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._semaphore = asyncio.Semaphore(max(1, self.settings.worker_concurrency))
        self._last_housekeeping = float("-inf")
        self._last_prune = float("-inf")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="zalo-outbox-worker")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self, grace_seconds: float) -> None:
        self._stopping.set()
        self.channel.wake()
        if await stop_task(self._task, grace_seconds):
            logger.warning(
                "zalo outbox worker cancelled after %.0fs; unfinished sends retry after restart", grace_seconds
            )

    async def _run(self) -> None:
        logger.info("zalo outbox worker started")
        while not self._stopping.is_set():
            busy = False
            try:
                await self._housekeeping()
                busy = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - the loop must survive (e.g. database briefly locked)
                logger.error("zalo outbox worker round failed: %s", type(exc).__name__)
            if not busy and not self._stopping.is_set():
                await self.channel.wait_for_work(self.settings.worker_poll_seconds)
        logger.info("zalo outbox worker stopped")

    async def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_housekeeping < self.settings.worker_poll_seconds:
            return
        self._last_housekeeping = now
        sessions, settings = self.channel.sessions, self.settings
        recovered = await asyncio.to_thread(
            outbox.recover_stale_claims, sessions, settings.claim_timeout_seconds, settings.max_attempts
        )
        recovered_events = await asyncio.to_thread(inbox.recover_stale_claims, sessions, settings.claim_timeout_seconds)
        if recovered or recovered_events:
            logger.warning("zalo: recovered %d stale send(s), %d stale event(s)", recovered, recovered_events)
        for hashed in await asyncio.to_thread(inbox.waiting_senders, sessions, settings.inbound_recovery_seconds):
            self.channel.schedule(hashed)
        if now - self._last_prune >= PRUNE_EVERY_SECONDS:
            self._last_prune = now
            pruned = await asyncio.to_thread(outbox.prune, sessions, settings.retention_days)
            if pruned:
                logger.info("zalo: pruned %d old row(s)", pruned)

    async def run_once(self) -> bool:
        """Sends what is due now; True if anything was claimed."""
        claimed = await asyncio.to_thread(outbox.claim_due, self.channel.sessions, self.settings.worker_batch_size)
        if not claimed:
            return False
        await asyncio.gather(*(self._deliver(message) for message in claimed))
        return True

    async def _deliver(self, message: outbox.ClaimedMessage) -> None:
        sessions, settings = self.channel.sessions, self.settings
        tag = log_tag(message.recipient_hash)
        attempt = message.attempts + 1
        async with self._semaphore:
            try:
                zalo_message_id = await self.channel.client.send(message.recipient_id, message.payload)
            except ZaloError as exc:
                error = str(exc) or type(exc).__name__
                if isinstance(exc, ZaloRetryableError) and attempt < settings.max_attempts:
                    delay = outbox.backoff_seconds(
                        attempt, settings.backoff_base_seconds, settings.backoff_max_seconds, settings.backoff_jitter
                    )
                    await asyncio.to_thread(outbox.mark_retry, sessions, message, delay, error)
                    logger.warning(
                        "zalo send #%d to %s failed (%s): retry %d/%d in %.1fs",
                        message.id,
                        tag,
                        error,
                        attempt,
                        settings.max_attempts,
                        delay,
                    )
                else:
                    await asyncio.to_thread(outbox.mark_failed, sessions, message, error)
                    logger.error(
                        "zalo send #%d to %s failed for good after %d attempt(s): %s", message.id, tag, attempt, error
                    )
                return
            except Exception as exc:  # noqa: BLE001 - an unexpected bug must not strand the row as "sending"
                delay = outbox.backoff_seconds(
                    attempt, settings.backoff_base_seconds, settings.backoff_max_seconds, settings.backoff_jitter
                )
                error = f"unexpected {type(exc).__name__}"
                if attempt < settings.max_attempts:
                    await asyncio.to_thread(outbox.mark_retry, sessions, message, delay, error)
                else:
                    await asyncio.to_thread(outbox.mark_failed, sessions, message, error)
                logger.error("zalo send #%d to %s: %s", message.id, tag, error)
                return
            if await asyncio.to_thread(outbox.mark_sent, sessions, message, zalo_message_id):
                logger.info("zalo send #%d to %s delivered (attempt %d)", message.id, tag, attempt)
            else:
                logger.error("zalo send #%d to %s delivered but its claim was lost", message.id, tag)
        self.channel.wake()  # the recipient's next message is due now


async def start_outbox_worker(channel: ZaloChannel) -> OutboxWorker | None:
    """Starts the worker if the channel is configured (TTHC_ZALO_APP_ID and TTHC_ZALO_SECRET_KEY)."""
    if not channel.settings.configured:
        logger.info(
            "zalo channel not configured (%s unset): outbox worker not started", ", ".join(channel.settings.missing)
        )
        return None
    if channel.settings.seed_tokens() is None:
        logger.warning(
            "zalo: TTHC_ZALO_ACCESS_TOKEN / TTHC_ZALO_REFRESH_TOKEN unset; sends work only with stored tokens"
        )
    if not channel.settings.can_refresh:
        logger.warning("zalo: TTHC_ZALO_APP_SECRET unset; expired access tokens cannot be refreshed")
    if channel.worker is None or not channel.worker.running:
        channel.worker = OutboxWorker(channel)
        channel.worker.start()
    return channel.worker


async def stop_outbox_worker(channel: ZaloChannel) -> None:
    """Stops the worker and background answers; what is unfinished stays in the database."""
    grace = channel.settings.shutdown_grace_seconds
    await channel.close(grace)
    if channel.worker is not None:
        await channel.worker.stop(grace)
        channel.worker = None
