"""Rasa as the retrain's model server (``servicedesk.learning.retrain.ModelServer``), through the
gateway: the service desk below never calls Rasa's HTTP API itself.

The retrain job runs in a thread of its own, so these calls block: each one runs the gateway in an
event loop of its own with a client of its own (an ``httpx.AsyncClient`` belongs to the event loop
that opened it, so the application's client cannot be borrowed from another thread). A retrain
makes three calls in half an hour; a fresh connection each time costs nothing worth sharing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import httpx

from api.rasa.gateway import STATUS_TIMEOUT, RasaGateway, RasaUnavailable
from core.settings import Settings
from servicedesk.learning.retrain import ModelServerUnavailable

T = TypeVar("T")


class RasaModelServer:
    def __init__(
        self,
        url: str | Sequence[str],
        token: str | None = None,
        *,
        status_timeout: float = STATUS_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,  # tests: httpx.MockTransport
    ) -> None:
        # One URL, or the replicas: a new model is loaded on every one (RasaGateway.load_model).
        self._urls = [url] if isinstance(url, str) else list(url)
        self._token = token
        self._status_timeout = status_timeout
        self._transport = transport

    @classmethod
    def from_settings(cls, settings: Settings) -> RasaModelServer:
        return cls(settings.rasa_url_list, settings.rasa_token)

    @property
    def address(self) -> str:
        return ", ".join(self._urls)

    def running_model(self) -> str:
        status = self._run(lambda rasa: rasa.status(timeout=self._status_timeout))
        if status.model_file is None:
            raise ModelServerUnavailable("no model_file")
        return status.model_file

    def load_model(self, model_file: Path, timeout: float) -> None:
        self._run(lambda rasa: rasa.load_model(str(model_file), timeout=timeout))

    def _run(self, call: Callable[[RasaGateway], Awaitable[T]]) -> T:
        async def run() -> T:
            async with httpx.AsyncClient(transport=self._transport) as client:
                return await call(RasaGateway(client, urls=self._urls, token=self._token))

        try:
            return asyncio.run(run())
        except RasaUnavailable as error:
            raise ModelServerUnavailable(error.reason, error.status_code) from error
