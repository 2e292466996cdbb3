"""HTTP calls to Zalo: send a consultation message, refresh the OA access token.

Errors are classified for the outbox: ``ZaloRetryableError`` (timeouts, connection errors, HTTP 5xx
and 429, configured Zalo error codes, a refresh that could not be done) is retried with backoff;
``ZaloPermanentError`` (any other refusal) marks the message failed at once. Error texts carry
status and error codes only — never a user id, a token or message content.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from core.settings import ZaloSettings

logger = logging.getLogger(__name__)

MESSAGE_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"
TOKEN_INVALID = -216  # "Access token is invalid" (expired or revoked)


class ZaloError(Exception):
    retryable = False


class ZaloRetryableError(ZaloError):
    retryable = True


class ZaloPermanentError(ZaloError):
    retryable = False


class ZaloAuthError(ZaloError):
    """HTTP 401 or Zalo error -216: the access token must be refreshed."""


class TokenRefreshError(ZaloRetryableError):
    """No new token pair now (Zalo down, refresh refused, or another refresh did not finish)."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: dt.datetime | None


def _transport_error(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused"
    return f"transport error {type(exc).__name__}"


def _error_code(body: Any) -> int | None:
    if not isinstance(body, dict) or "error" not in body:
        return None
    try:
        return int(body["error"])
    except (TypeError, ValueError):
        return None


class ZaloApi:
    def __init__(self, settings: ZaloSettings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http

    async def send_message(self, access_token: str, user_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """One POST /v3.0/oa/message/cs; returns Zalo's JSON when it answers 200 with ``"error": 0``."""
        url = f"{self._settings.api_base}{MESSAGE_PATH}"
        body = {"recipient": {"user_id": user_id}, "message": message}
        try:
            response = await self._http.post(
                url, json=body, headers={"access_token": access_token}, timeout=self._settings.http_timeout_seconds
            )
        except httpx.HTTPError as exc:
            raise ZaloRetryableError(_transport_error(exc)) from exc
        status = response.status_code
        if status == 401:
            raise ZaloAuthError("http 401")
        if status >= 500 or status == 429:
            raise ZaloRetryableError(f"http {status}")
        if status != 200:
            raise ZaloPermanentError(f"http {status}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise ZaloRetryableError("http 200 without JSON") from exc
        code = _error_code(payload)
        if code == 0:
            return payload
        if code == TOKEN_INVALID:
            raise ZaloAuthError(f"zalo error {code}")
        if code is None:
            raise ZaloRetryableError("http 200 without an error code")
        if code in self._settings.retryable_error_codes:
            raise ZaloRetryableError(f"zalo error {code}")
        raise ZaloPermanentError(f"zalo error {code}")

    async def refresh(self, refresh_token: str) -> TokenPair:
        """POST /v4/oa/access_token with the single-use refresh token; the answer is a new pair."""
        if not self._settings.can_refresh:
            raise TokenRefreshError("token refresh not configured (TTHC_ZALO_APP_ID / TTHC_ZALO_APP_SECRET)")
        url = f"{self._settings.oauth_base}{REFRESH_PATH}"
        form = {"refresh_token": refresh_token, "app_id": self._settings.app_id or "", "grant_type": "refresh_token"}
        try:
            response = await self._http.post(
                url,
                data=form,
                headers={"secret_key": self._settings.app_secret_value()},
                timeout=self._settings.http_timeout_seconds,
            )
        except httpx.HTTPError as exc:
            raise TokenRefreshError(f"refresh {_transport_error(exc)}") from exc
        try:
            payload = response.json()
        except ValueError:
            payload = None
        access = payload.get("access_token") if isinstance(payload, dict) else None
        refresh = payload.get("refresh_token") if isinstance(payload, dict) else None
        if response.status_code != 200 or not access or not refresh:
            code = _error_code(payload)
            detail = f"http {response.status_code}" + (f" error {code}" if code is not None else "")
            raise TokenRefreshError(f"refresh refused: {detail}")
        expires_at = None
        try:
            seconds = int(payload.get("expires_in"))
            expires_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=seconds)
        except (TypeError, ValueError):
            pass
        return TokenPair(access_token=str(access), refresh_token=str(refresh), expires_at=expires_at)


@dataclass(frozen=True)
class AccessToken:
    value: str
    version: int


class TokenProvider:  # the interface ZaloClient needs (implemented by tokens.TokenStore)
    async def current(self) -> AccessToken:  # pragma: no cover - interface
        raise NotImplementedError

    async def refresh(self, stale_version: int) -> AccessToken:  # pragma: no cover - interface
        raise NotImplementedError


class ZaloClient:
    """Sends one message with the stored token; on -216 / 401 refreshes once and sends again."""

    def __init__(self, api: ZaloApi, tokens: TokenProvider) -> None:
        self._api = api
        self._tokens = tokens

    async def send(self, user_id: str, message: dict[str, Any]) -> str | None:
        token = await self._tokens.current()
        try:
            payload = await self._api.send_message(token.value, user_id, message)
        except ZaloAuthError as exc:
            logger.info("zalo access token refused (%s): refreshing", exc)
            token = await self._tokens.refresh(token.version)
            try:
                payload = await self._api.send_message(token.value, user_id, message)
            except ZaloAuthError as again:
                raise ZaloRetryableError(f"access token refused after refresh ({again})") from again
        data = payload.get("data")
        message_id = data.get("message_id") if isinstance(data, dict) else None
        return str(message_id) if message_id is not None else None
