"""`python -m benchmarks.outcomes` with tiny sizes: it runs (temporary seeded database, the fake
one-stop system on loopback), prints every measure, and the news counts are exact. No timing is
checked: the figures are the benchmark's (docs/benchmarks.md)."""

from __future__ import annotations

import re

import pytest

from benchmarks import outcomes

TINY = [
    "--subscriptions", "24",
    "--dossiers", "12",
    "--changed-percent", "25",
    "--notices", "60",
    "--notice-calls", "20",
    "--checklist-repeats", "1",
    "--pdf-repeats", "1",
    "--page-repeats", "1",
    "--procedures", "1",
]  # fmt: skip
SPREADS = [
    "checklist build_checklist+chat_text ms",
    "checklist PDF render ms",
    "checklist PDF size KB",
    "checklist page GET /checklists/{token} ms",
    "checklist PDF GET /checklists/{token}.pdf ms",
    "notices active_notices ms",
    "notices shown per call",
]
VALUES = [
    "news subscriptions",
    "news dossiers",
    "news dossiers changed",
    "news expected (subscriptions to changed)",
    "news round 1 s",
    "news round 1 lookups",
    "news round 1 lookups per s",
    "news round 1 created",
    "news round 2 s",
    "news round 2 created",
    "news failed or lost",
]


def _rows(output: str) -> dict[str, list[str]]:
    """The table rows: label → its numbers (columns are two or more spaces apart)."""
    rows = {}
    for line in output.splitlines():
        if line.startswith("  "):
            label, *numbers = re.split(r"\s{2,}", line.strip())
            rows[label] = numbers
    return rows


def test_tiny_run_prints_every_measure_and_exact_news(capsys: pytest.CaptureFixture[str]) -> None:
    assert outcomes.main(TINY) == 0
    rows = _rows(capsys.readouterr().out)

    for label in SPREADS:
        n, median, p95 = rows[label]
        assert int(n) > 0 and float(median) >= 0 and float(p95) >= float(median), label
    for label in VALUES:
        assert len(rows[label]) == 1, label
    assert float(rows["checklist PDF size KB"][1]) > 1

    value = {label: float(rows[label][0]) for label in VALUES}
    assert (value["news subscriptions"], value["news dossiers"], value["news dossiers changed"]) == (24, 12, 3)
    assert value["news expected (subscriptions to changed)"] == 6  # each dossier followed twice
    assert value["news round 1 created"] == 6
    assert value["news round 2 created"] == 0
    assert value["news failed or lost"] == 0
    assert value["news round 1 lookups"] == 12  # followers of one dossier share its lookup
