"""The dependencies every route shares, declared once (FastAPI full-stack template style).

- ``SessionDep``: a database session for the request (committed by the route, closed after it);
- the role dependencies (``AgentUser``, ``EditorUser``, ``AnalystUser``, ``AdminUser``,
  ``StaffUser``; the rules are ``api.staff.security.require_roles``: admins always pass);
- ``ContextDep``: the application's ``AppContext``, built once in the lifespan of ``api/main.py``
  (settings, the shared HTTP client, the Zalo channel, the chat rate limiter, the login
  throttle, the console's live hub, the background tasks, the retrain service); ``RetrainDep``
  is its retrain service. Nothing is created lazily on ``app.state``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.channels.zalo.service import ZaloChannel
from api.console.live import LiveHub
from api.security.proxies import client_address
from api.security.rate_limit import ChatRateLimited, ChatRateLimiter
from api.staff.security import StaffPrincipal, require_login, require_roles
from core.db import get_session, get_sessionmaker
from core.settings import Settings
from servicedesk.accounts.roles import Role
from servicedesk.accounts.throttle import LoginThrottle
from servicedesk.learning.retrain import RetrainService


@dataclass
class AppContext:
    """What the application holds for its lifetime; one per app, built in the lifespan with
    ``AppContext.create`` (it satisfies ``api.chat.context.ChatContext``)."""

    settings: Settings
    http: httpx.AsyncClient  # one client for Rasa, the action server and Zalo (closed with the app)
    zalo: ZaloChannel  # its outbox worker runs only when TTHC_ZALO_* configure the channel
    chat_rate_limiter: ChatRateLimiter  # per client address: settings.chat_rate_limit
    # `rasa train` and the model gate for the learning pages; None in an app without them.
    retrain: RetrainService | None = None
    # Shared by the API workers through Redis when settings.redis_url is set (else this process's).
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    # Wakes the console's and the widget's live streams when a handoff row is written: this
    # process's, and through Redis (when set) every API worker's.
    hub: LiveHub = field(default_factory=LiveHub)
    # Work a reply must not wait for (recording a turn); kept here so the tasks are not collected.
    background_tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @classmethod
    def create(
        cls, settings: Settings, http: httpx.AsyncClient, *, retrain: RetrainService | None = None
    ) -> AppContext:
        context = cls(
            settings=settings,
            http=http,
            zalo=ZaloChannel(settings.zalo, settings, http, get_sessionmaker()),
            chat_rate_limiter=ChatRateLimiter.from_settings(settings),  # a bad setting fails the start
            retrain=retrain,
            login_throttle=LoginThrottle.from_settings(settings),
            hub=LiveHub.from_settings(settings),
        )
        context.zalo.context = context  # Zalo messages are routed like web ones (Rasa, or the officer)
        return context


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context  # set by the lifespan of api/main.py
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_retrain(context: ContextDep) -> RetrainService:
    if context.retrain is None:
        raise RuntimeError("this application was built without the retrain service (api/main.py builds it)")
    return context.retrain


RetrainDep = Annotated[RetrainService, Depends(get_retrain)]


async def limit_chat_rate(request: Request, context: ContextDep) -> None:
    """Dependency of POST /api/chat. In memory: no thread hop, and no await between the test and
    the hit, so concurrent requests cannot both pass the last free slot. On Redis: in a thread (a
    slow Redis must not stall the event loop), and each hit is atomic in Redis itself."""
    limiter, address = context.chat_rate_limiter, client_address(request)
    decision = await asyncio.to_thread(limiter.hit, address) if limiter.uses_redis else limiter.hit(address)
    if not decision.allowed:
        raise ChatRateLimited(decision.retry_after_seconds)


SessionDep = Annotated[Session, Depends(get_session)]

StaffUser = Annotated[StaffPrincipal, Depends(require_login())]
AgentUser = Annotated[StaffPrincipal, Depends(require_roles(Role.AGENT))]
EditorUser = Annotated[StaffPrincipal, Depends(require_roles(Role.EDITOR))]
AnalystUser = Annotated[StaffPrincipal, Depends(require_roles(Role.ANALYST))]
AdminUser = Annotated[StaffPrincipal, Depends(require_roles(Role.ADMIN))]
AgentOrEditorUser = Annotated[StaffPrincipal, Depends(require_roles(Role.AGENT, Role.EDITOR))]
