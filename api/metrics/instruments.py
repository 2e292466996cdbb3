"""The metrics the API's processes record as things happen (counters and histograms).

Every function here is safe to call from anywhere in the API, at any time: recording never raises
and never blocks on I/O (prometheus-client keeps the values in memory, or in a memory-mapped file
per process in multiprocess mode), so a metric can never break a request.

Multiprocess mode (several uvicorn workers) is prometheus-client's own: when
``PROMETHEUS_MULTIPROC_DIR`` is set before the process starts, each process writes its values to
files in that folder and the scrape (api/metrics/endpoint.py) sums them. The folder must be emptied
before the workers start (the stack runner and deploy/compose.yaml do), or the counts of a previous
run are added in.

Label values are always from small fixed sets (route templates, replica URLs, channels): never an
id, a phone number or a message text, which would both leak data and make the series unbounded.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Histogram

logger = logging.getLogger(__name__)

# From a cached lookup (a few ms) to a slow Rasa turn behind a busy database (seconds).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)
# A Rasa turn runs the NLU and the policies, and often an action: tens of ms to the 20 s timeout.
RASA_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0)

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
UNMATCHED = "unmatched"  # a request no route answered (404s of unknown paths, scanners)

REQUEST_DURATION = Histogram(
    "tthc_http_request_duration_seconds",
    "Time from receiving an HTTP request to sending its response status, per route template",
    ["route", "method", "status"],
    buckets=REQUEST_BUCKETS,
)
RASA_CALL_DURATION = Histogram(
    "tthc_rasa_call_duration_seconds",
    "Duration of each call to a Rasa replica, by replica (rasa-1, rasa-2, …), kind of call and outcome",
    ["replica", "call", "outcome"],
    buckets=RASA_BUCKETS,
)
FALLBACKS = Counter(
    "tthc_assistant_fallbacks",
    "Replies where the assistant could not answer: an apology (Rasa unreachable or silent) "
    "or a message it did not understand",
    ["channel", "kind"],
)
LOGIN_FAILURES = Counter(
    "tthc_staff_login_failures",
    "Staff logins refused for a wrong user name or password (throttled attempts not included)",
)

FALLBACK_KINDS = frozenset({"apology", "not_understood"})
CHANNELS = frozenset({"web", "zalo"})


def status_class(status: int) -> str:
    """``"2xx"``, ``"4xx"``, …: the exact code would multiply the series for little gain."""
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    try:
        REQUEST_DURATION.labels(route, method if method in METHODS else "OTHER", status_class(status)).observe(
            max(seconds, 0.0)
        )
    except Exception:  # noqa: BLE001 - a metric must never break a request
        logger.exception("recording a request duration failed")


def observe_rasa_call(replica: str, call: str, seconds: float, ok: bool) -> None:
    """One call of the Rasa gateway to ``replica`` (its base URL, no credentials), e.g.
    ``call="send"``, ``"tracker"``, ``"status"``, ``"load_model"``; ``ok`` False for any failure
    (connection refused, timeout, error status, unreadable answer)."""
    try:
        RASA_CALL_DURATION.labels(replica, call, "ok" if ok else "error").observe(max(seconds, 0.0))
    except Exception:  # noqa: BLE001 - a metric must never break a conversation
        logger.exception("recording a Rasa call failed")


def count_fallback(channel: str, kind: str = "apology") -> None:
    """The assistant could not answer a citizen on ``channel`` ("web", "zalo"): ``kind``
    "apology" (Rasa unreachable or silent: the citizen got the apology) or "not_understood"
    (Rasa answered with its fallback: the message was not understood)."""
    try:
        FALLBACKS.labels(channel if channel in CHANNELS else "other", kind if kind in FALLBACK_KINDS else "other").inc()
    except Exception:  # noqa: BLE001
        logger.exception("counting a fallback failed")


def count_login_failure() -> None:
    """A staff login refused for wrong credentials."""
    try:
        LOGIN_FAILURES.inc()
    except Exception:  # noqa: BLE001
        logger.exception("counting a login failure failed")
