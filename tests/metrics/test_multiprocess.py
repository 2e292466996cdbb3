"""Several workers (uvicorn --workers N) sharing PROMETHEUS_MULTIPROC_DIR: one scrape sums them.

prometheus-client picks its multiprocess storage when it is imported, so each "worker" here is a
fresh interpreter started with the variable set, as uvicorn's workers are.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cli.stack import free_port
from tests.metrics.scrape import value

PROJECT_ROOT = Path(__file__).resolve().parents[2]

WORKER = textwrap.dedent(
    """
    from api.metrics import count_login_failure, observe_rasa_call
    for _ in range(3):
        observe_rasa_call("rasa-1", "send", 0.2, True)
    count_login_failure()
    """
)

SCRAPER = textwrap.dedent(
    """
    import sys
    from fastapi.testclient import TestClient
    from api.main import create_app
    from database import migrate

    migrate.upgrade()
    with TestClient(create_app(), client=("127.0.0.1", 50000)) as client:
        client.get("/api/procedures/MA-1")
        response = client.get("/metrics")
    assert response.status_code == 200, response.status_code
    sys.stdout.write(response.text)
    """
)


@pytest.mark.slow
def test_workers_are_summed(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "TTHC_DATA_DIR": str(tmp_path / "data"),
        "TTHC_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "TTHC_ACTION_SERVER_URL": f"http://127.0.0.1:{free_port()}",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    env.pop("TTHC_DATABASE_URL", None)

    def run(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    run(WORKER)
    run(WORKER)
    assert len(list(folder.glob("*.db"))) >= 2  # one file per process and kind of metric
    text = run(SCRAPER)
    assert value(text, "tthc_rasa_call_duration_seconds_count", replica="rasa-1", call="send", outcome="ok") == 6
    assert value(text, "tthc_staff_login_failures_total") == 2
    assert (
        value(
            text, "tthc_http_request_duration_seconds_count", route="/api/procedures/{code}", method="GET", status="4xx"
        )
        == 1
    )
    assert value(text, "tthc_metrics_database_up") == 1.0
    assert value(text, "tthc_handoff_waiting", status="queued") == 0
    assert "process_cpu_seconds_total" not in text  # per-process collectors make no sense summed
