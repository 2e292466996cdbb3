"""Prometheus metrics of the API (docs/monitoring.md lists every metric and the alerts).

``install(app)`` adds the request-latency middleware and the protected ``GET /metrics``; the
recording functions below are what the rest of the API calls. They never raise.
"""

from __future__ import annotations

from api.metrics.endpoint import install
from api.metrics.instruments import count_fallback, count_login_failure, observe_rasa_call

__all__ = ["count_fallback", "count_login_failure", "install", "observe_rasa_call"]
