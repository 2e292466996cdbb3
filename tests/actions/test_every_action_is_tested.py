"""Every custom action in actions/ has unit tests here: a new action without one fails this test."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from rasa_sdk import Action

import actions

HERE = Path(__file__).parent


def _action_classes() -> set[str]:
    found = set()
    for module_info in pkgutil.iter_modules(actions.__path__, prefix="actions."):
        module = importlib.import_module(module_info.name)
        for name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Action) and value.__module__ == module.__name__ and not inspect.isabstract(value):
                found.add(name)
    return found


def test_every_action_class_has_a_test() -> None:
    classes = _action_classes()
    assert len(classes) >= 11  # the actions known when this test was written: the scan finds them
    tests = "\n".join(
        path.read_text(encoding="utf-8") for path in HERE.glob("test_*.py") if path.name != Path(__file__).name
    )
    untested = sorted(name for name in classes if f"{name}()" not in tests)
    assert untested == [], f"actions without a unit test in tests/actions/: {untested}"


def test_every_action_class_is_exported() -> None:
    assert _action_classes() == set(actions.__all__)
