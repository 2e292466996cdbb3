"""The OA token pair, kept in the database (table ``zalo_token``, one row) and refreshed safely.

A Zalo refresh token works once. So a refresh must never run twice for the same pair:

- in one process, an ``asyncio.Lock`` serialises refreshes, and a caller whose token is already
  older than the stored one just takes the stored one;
- between processes, a refresh is *claimed* with a compare-and-swap on the row
  (``UPDATE … SET refresh_claim, refreshing_until WHERE version = :seen AND no live claim``);
  a process that loses waits until the version changes and then uses the new token;
- the new pair is written in one transaction, guarded by the version it replaces.

The row is seeded from ``TTHC_ZALO_ACCESS_TOKEN`` / ``TTHC_ZALO_REFRESH_TOKEN`` on first use; when
the operator puts a different pair in the environment (after authorising the app again), that
pair replaces the stored one once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.channels.zalo.client import AccessToken, TokenPair, TokenProvider, TokenRefreshError
from core.db import rows_changed, utcnow
from core.settings import ZaloSettings
from servicedesk.zalo.models import ZaloToken

logger = logging.getLogger(__name__)

ROW_ID = 1
EARLY_REFRESH = dt.timedelta(seconds=60)  # refresh before a known expiry rather than after a refusal
CLAIM_POLL_SECONDS = 0.05


class TokenUnavailableError(TokenRefreshError):
    """No token pair in the database and none in the environment."""


class TokenStore(TokenProvider):
    def __init__(
        self,
        settings: ZaloSettings,
        sessions: sessionmaker[Session],
        refresher: Callable[[str], Awaitable[TokenPair]],
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._refresher = refresher
        self._lock = asyncio.Lock()

    # -- public ---------------------------------------------------------------------------------

    async def current(self) -> AccessToken:
        row = await asyncio.to_thread(self._load_or_seed)
        if row.expires_at is not None and row.expires_at - EARLY_REFRESH <= utcnow():
            try:
                return await self.refresh(row.version)
            except TokenRefreshError as exc:
                logger.warning("zalo early token refresh failed (%s); trying the current token", exc)
        return AccessToken(row.access_token, row.version)

    async def refresh(self, stale_version: int) -> AccessToken:
        """A token newer than ``stale_version``: refreshed here, or by whoever refreshed first."""
        async with self._lock:
            row = await asyncio.to_thread(self._load_or_seed)
            if row.version != stale_version:
                return AccessToken(row.access_token, row.version)
            claim = uuid.uuid4().hex
            deadline = time.monotonic() + self._settings.refresh_wait_seconds
            while True:
                refresh_token = await asyncio.to_thread(self._claim, stale_version, claim)
                if refresh_token is not None:
                    break
                # Another process holds the claim: wait for the pair it is fetching.
                await asyncio.sleep(CLAIM_POLL_SECONDS)
                latest = await asyncio.to_thread(self._read)
                if latest is not None and latest.version != stale_version:
                    return AccessToken(latest.access_token, latest.version)
                if time.monotonic() > deadline:
                    raise TokenRefreshError("another token refresh did not finish in time")
            try:
                pair = await self._refresher(refresh_token)
            except BaseException:
                await asyncio.to_thread(self._release, claim)
                raise
            row = await asyncio.to_thread(self._store, stale_version, pair)
            logger.info("zalo token pair refreshed (version %d)", row.version)
            return AccessToken(row.access_token, row.version)

    # -- database (run in a worker thread) -------------------------------------------------------

    def _read(self) -> ZaloToken | None:
        with self._sessions() as session:
            return session.get(ZaloToken, ROW_ID)

    def _load_or_seed(self) -> ZaloToken:
        fingerprint = self._settings.seed_fingerprint()
        seed = self._settings.seed_tokens()
        with self._sessions() as session:
            row = session.get(ZaloToken, ROW_ID)
            if row is None:
                if seed is None:
                    raise TokenUnavailableError(
                        "no Zalo token pair: set TTHC_ZALO_ACCESS_TOKEN and TTHC_ZALO_REFRESH_TOKEN"
                    )
                session.add(
                    ZaloToken(
                        id=ROW_ID,
                        access_token=seed[0],
                        refresh_token=seed[1],
                        version=1,
                        seed_fingerprint=fingerprint,
                        updated_at=utcnow(),
                    )
                )
                try:
                    session.commit()
                    logger.info("zalo token pair seeded from the environment")
                except IntegrityError:  # another process seeded it first
                    session.rollback()
                row = session.get(ZaloToken, ROW_ID, populate_existing=True)
                assert row is not None
            elif seed is not None and row.seed_fingerprint != fingerprint:
                # The operator authorised the app again and set a new pair: it replaces the stored one.
                result = session.execute(
                    update(ZaloToken)
                    .where(ZaloToken.id == ROW_ID, ZaloToken.version == row.version)
                    .values(
                        access_token=seed[0],
                        refresh_token=seed[1],
                        version=ZaloToken.version + 1,
                        seed_fingerprint=fingerprint,
                        expires_at=None,
                        refresh_claim=None,
                        refreshing_until=None,
                        updated_at=utcnow(),
                    )
                )
                session.commit()
                if rows_changed(result):
                    logger.info("zalo token pair re-seeded from the environment")
                row = session.get(ZaloToken, ROW_ID, populate_existing=True)
                assert row is not None
            return row

    def _claim(self, version: int, claim: str) -> str | None:
        """Compare-and-swap: the refresh token if this caller may spend it, else None."""
        now = utcnow()
        with self._sessions() as session:
            result = session.execute(
                update(ZaloToken)
                .where(
                    ZaloToken.id == ROW_ID,
                    ZaloToken.version == version,
                    or_(ZaloToken.refreshing_until.is_(None), ZaloToken.refreshing_until < now),
                )
                .values(
                    refresh_claim=claim,
                    refreshing_until=now + dt.timedelta(seconds=self._settings.refresh_wait_seconds),
                )
            )
            if rows_changed(result) != 1:
                session.rollback()
                return None
            refresh_token = session.scalar(select(ZaloToken.refresh_token).where(ZaloToken.id == ROW_ID))
            session.commit()
            return refresh_token

    def _release(self, claim: str) -> None:
        with self._sessions() as session:
            session.execute(
                update(ZaloToken)
                .where(ZaloToken.id == ROW_ID, ZaloToken.refresh_claim == claim)
                .values(refresh_claim=None, refreshing_until=None)
            )
            session.commit()

    def _store(self, version: int, pair: TokenPair) -> ZaloToken:
        """The new pair, in one transaction; only over the version it replaces."""
        with self._sessions() as session:
            result = session.execute(
                update(ZaloToken)
                .where(ZaloToken.id == ROW_ID, ZaloToken.version == version)
                .values(
                    access_token=pair.access_token,
                    refresh_token=pair.refresh_token,
                    version=ZaloToken.version + 1,
                    expires_at=pair.expires_at,
                    refresh_claim=None,
                    refreshing_until=None,
                    updated_at=utcnow(),
                )
            )
            session.commit()
            if rows_changed(result) != 1:
                logger.error("zalo token row changed during a refresh; keeping the stored pair")
            row = session.get(ZaloToken, ROW_ID, populate_existing=True)
            assert row is not None
            return row
