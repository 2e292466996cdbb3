"""Keep the conversations in progress when a new model is loaded into the running Rasa server.

Rasa 3.6.21's ``PUT /model`` builds a whole new agent, tracker store included, and keeps only the
old lock store. With the default in-memory tracker store every conversation in progress is
forgotten at that moment (measured: a conversation of 8 tracker events came back with 3, a fresh
session), so a citizen loses the procedure being discussed or a half-filled form, and the widget
history is gone. The console's retrain activates models this way (servicedesk/learning/retrain.py),
so the new agent is handed the running tracker store. A persistent store configured in
endpoints.yml (SQL, Redis) is left alone: the new agent reads the same conversations anyway.
"""

from __future__ import annotations

from typing import Any

_INSTALLED = False


def _innermost(store: Any) -> Any:
    # Rasa wraps stores (FailSafeTrackerStore, AwaitableTrackerStore) around the real one.
    while hasattr(store, "_tracker_store"):
        store = store._tracker_store
    return store


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    import rasa.server
    from rasa.core.tracker_store import InMemoryTrackerStore
    from sanic import Sanic
    from sanic.exceptions import SanicException

    original = rasa.server._load_agent

    async def _load_agent_keeping_conversations(*args: Any, **kwargs: Any) -> Any:
        agent = await original(*args, **kwargs)
        try:
            running = Sanic.get_app("rasa_server").ctx.agent
        except (SanicException, AttributeError):
            return agent
        kept = getattr(running, "tracker_store", None)
        if kept is None or not isinstance(_innermost(kept), InMemoryTrackerStore):
            return agent
        agent.tracker_store = kept
        if agent.processor is not None:
            agent.processor.tracker_store = kept
        kept.domain = agent.domain
        return agent

    rasa.server._load_agent = _load_agent_keeping_conversations
    _INSTALLED = True
