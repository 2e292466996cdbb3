"""Every test starts with no replica marked down (the marks are per process, module-level)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.rasa import gateway


@pytest.fixture(autouse=True)
def _no_down_marks() -> Iterator[None]:
    gateway.reset_down_marks()
    yield
    gateway.reset_down_marks()
