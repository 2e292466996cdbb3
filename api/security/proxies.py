"""The client's address, the one place it is decided.

``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed only when the TCP peer is one of the
reverse proxies listed in ``TTHC_TRUSTED_PROXIES`` (IPs or CIDRs, comma-separated); from anyone
else they are ignored, so a client cannot pick the address the login throttle and the chat rate
limit count it under. Empty (the default) believes nobody: right when the bridge is reached
directly, and harmless behind a proxy (every citizen then shares the proxy's address, which
throttles too much, never too little).

The resolution is done by uvicorn's own ``ProxyHeadersMiddleware`` inside the app, so it holds
whatever server runs the app. The server must not rewrite the address before the app sees it:
uvicorn does by default for 127.0.0.1, hence ``--no-proxy-headers`` in cli/stack.py; run the app
the same way under any other server.
"""

from __future__ import annotations

import ipaddress

from fastapi import FastAPI, Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

UNKNOWN_CLIENT = "unknown"


def parse_trusted_proxies(value: str) -> list[str]:
    """The configured proxies, each checked: a typo must stop the start, not silently trust
    nobody (or, worse, be compared as a literal string)."""
    proxies = [item.strip() for item in value.split(",") if item.strip()]
    for item in proxies:
        try:
            ipaddress.ip_network(item, strict=False) if "/" in item else ipaddress.ip_address(item)
        except ValueError:
            # "*" lands here too: trusting everyone would let any client choose its address.
            raise ValueError(f"TTHC_TRUSTED_PROXIES: {item!r} is not an IP address or network") from None
    return proxies


def install_proxy_headers(app: FastAPI, trusted_proxies: str) -> None:
    proxies = parse_trusted_proxies(trusted_proxies)
    if proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)


def client_address(request: Request) -> str:
    """The address to count a client under (already resolved through trusted proxies)."""
    return request.client.host if request.client and request.client.host else UNKNOWN_CLIENT
