"""``GET /metrics`` for Prometheus, and who may read it.

Answered to (any one is enough):

- a caller on the loopback interface (a Prometheus or an operator on the same host) whose request
  carries no forwarding header: a reverse proxy on the same host that is not listed in
  ``TTHC_TRUSTED_PROXIES`` makes every public request look local, and its ``X-Forwarded-For``
  gives it away;
- a caller whose address (``client_address``, resolved through the trusted proxies only) is in
  ``TTHC_METRICS_ALLOW`` (IPs or CIDRs, comma-separated), e.g. the Prometheus server's network;
- a bearer of ``TTHC_METRICS_TOKEN`` (``Authorization: Bearer …``, compared in constant time).

Anyone else gets the application's ordinary 404, so the endpoint's existence is not revealed. It
is left out of the OpenAPI schema for the same reason. The reverse proxy should refuse ``/metrics``
as well (docs/deployment.md): defence in depth.

In multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` set, several uvicorn workers) each scrape
renders a fresh registry fed by prometheus-client's MultiProcessCollector, which sums every
worker's files; otherwise the process's default registry (which adds the process and Python
collectors). The database gauges (api/metrics/database.py) are read once per scrape, whichever
worker answers it.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
from collections.abc import Iterable, Iterator

from fastapi import FastAPI, Request, Response
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.exceptions import HTTPException

from api.metrics.database import DatabaseCollector, DatabaseProbe
from api.metrics.middleware import RequestMetricsMiddleware
from api.security.proxies import client_address
from core.settings import Settings, get_settings

PATH = "/metrics"
# Headers a reverse proxy adds: a request carrying one did not start on this host.
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_allow(value: str) -> list[Network]:
    """``TTHC_METRICS_ALLOW`` checked at start: a typo must stop the start, not silently refuse
    (or, with "*", let everyone in)."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"TTHC_METRICS_ALLOW: {item!r} is not an IP address or network") from None
    return networks


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None  # "unknown", a test client's name: never trusted
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.0.0.5 is 10.0.0.5
    return address


class MetricsAccess:
    def __init__(self, token: str, allow: Iterable[Network]) -> None:
        self._token = token.encode()
        self._allow = list(allow)

    @classmethod
    def from_settings(cls, settings: Settings) -> MetricsAccess:
        token = settings.metrics_token.get_secret_value() if settings.metrics_token is not None else ""
        return cls(token.strip(), parse_allow(settings.metrics_allow))

    def allows(self, request: Request) -> bool:
        if self._token:
            scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), self._token):
                return True
        address = _address(client_address(request))
        if address is None:
            return False
        if address.is_loopback and not any(name in request.headers for name in FORWARDING_HEADERS):
            return True
        return any(address in network for network in self._allow)


class _Forward(Collector):
    """The process's default registry inside the scrape's own one."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        return iter(self._registry.collect())


def scrape_registry(database: Collector, multiprocess_dir: str | None = None) -> CollectorRegistry:
    """A fresh registry per scrape: this process's metrics (or every worker's, in multiprocess
    mode) and the database snapshot."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir:
        MultiProcessCollector(registry, path=multiprocess_dir)
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(database)
    return registry


def install(app: FastAPI, settings: Settings | None = None) -> None:
    """The request-latency middleware and the protected ``GET /metrics`` (raises ValueError on a
    malformed ``TTHC_METRICS_ALLOW``)."""
    settings = settings or get_settings()
    access = MetricsAccess.from_settings(settings)
    folder = str(settings.prometheus_multiproc_dir) if settings.prometheus_multiproc_dir else None
    probe = DatabaseProbe()
    app.add_middleware(RequestMetricsMiddleware)

    async def metrics(request: Request) -> Response:
        if not access.allows(request):
            raise HTTPException(status_code=404)  # the same answer as for any unknown path
        snapshot = await probe.snapshot()
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        # Reading the workers' files is disk I/O: off the event loop.
        body = await asyncio.to_thread(encoder, scrape_registry(DatabaseCollector(snapshot), folder))
        return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})

    app.add_api_route(PATH, metrics, methods=["GET"], include_in_schema=False)
