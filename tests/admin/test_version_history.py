"""knowledge/procedures/history.version_history: the timeline and the default pair to compare."""

from __future__ import annotations

from types import SimpleNamespace

from knowledge.procedures.history import version_history


def _procedure(*snapshots: dict) -> SimpleNamespace:
    versions = [SimpleNamespace(version=n, snapshot=s) for n, s in enumerate(snapshots, start=1)]
    return SimpleNamespace(versions=versions)


def test_the_default_diff_is_the_last_change() -> None:
    history = version_history(_procedure({"name": "A"}, {"name": "B"}, {"name": "C", "field": "Hộ tịch"}))
    assert (history.latest, history.numbers) == (3, [3, 2, 1])
    assert [e.version.version for e in history.entries] == [3, 2, 1]
    assert [c.field for c in history.entries[0].changes] == ["name", "field"] and history.entries[-1].changes == []
    assert history.diff is not None and (history.diff.from_version, history.diff.to_version) == (2, 3)
    assert [c.field for c in history.diff.fields] == ["name", "field"]


def test_asked_versions_are_compared_and_unknown_ones_fall_back() -> None:
    procedure = _procedure({"name": "A"}, {"name": "B"}, {"name": "C"})
    diff = version_history(procedure, from_version=1, to_version=2).diff
    assert diff is not None and (diff.from_version, diff.to_version) == (1, 2)
    diff = version_history(procedure, from_version=9, to_version=2).diff
    assert diff is not None and (diff.from_version, diff.to_version) == (1, 2)
    single = version_history(_procedure({"name": "A"})).diff
    assert single is not None and (single.from_version, single.to_version, single.fields) == (1, 1, [])
    assert version_history(_procedure()).diff is None
