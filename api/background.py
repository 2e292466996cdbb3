"""Stopping the bridge's background tasks (the Zalo outbox worker, the dossier news poller)."""

from __future__ import annotations

import asyncio


async def stop_task(task: asyncio.Task[None] | None, grace_seconds: float) -> bool:
    """Lets ``task`` finish the round it is in (its stop event already set) for at most
    ``grace_seconds``, then cancels it. True when it had to be cancelled: the caller says in its
    log what an interrupted round leaves (claims that run out and are taken again)."""
    if task is None:
        return False
    try:
        await asyncio.wait_for(asyncio.shield(task), grace_seconds)
    except TimeoutError:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return True
    return False
