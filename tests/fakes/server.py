"""Runs a fake external service (an ASGI app) on 127.0.0.1 in a thread, over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


def start_in_thread(app: Any, port: int = 0) -> tuple[uvicorn.Server, threading.Thread, socket.socket]:
    """Starts ``app`` on ``port`` (0: a free one, read it from the socket) and waits until it serves."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake server did not start")
        time.sleep(0.01)
    return server, thread, sock
