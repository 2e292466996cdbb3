"""Every staff route of the application, with the guard that protects it (read from the app)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SAMPLE_PATH_VALUES = {
    "code": "1.004746",
    "version": "1",
    "token": "a" * 24,
    "request_id": "1",
    "callback_id": "1",
    "turn_id": "1",
    "account_id": "1",
    "centre_id": "1",
    "notice_id": "1",
    "job_id": "1",
}


@dataclass(frozen=True)
class StaffRoute:
    method: str
    path: str  # the template, e.g. /staff/procedures/{code}
    guard: Any  # the RoleGuard among the route's dependencies, or None

    @property
    def url(self) -> str:
        return self.path.format(**SAMPLE_PATH_VALUES)

    @property
    def is_json(self) -> bool:
        return self.path.startswith("/staff/api/")


def _walk(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        nested = getattr(route, "original_router", None)  # FastAPI >= 0.16x nests included routers
        if nested is not None:
            yield from _walk(nested.routes)
        else:
            yield route


def _guards(dependant: Any) -> Iterator[Any]:
    from api.staff.security import RoleGuard

    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RoleGuard):
            yield dependency.call
        yield from _guards(dependency)


def staff_routes(app: Any) -> list[StaffRoute]:
    found: list[StaffRoute] = []
    for route in _walk(app.routes):
        path = getattr(route, "path", "")
        dependant = getattr(route, "dependant", None)
        if not path.startswith("/staff") or dependant is None:
            continue
        guards = list(_guards(dependant))
        for method in sorted(route.methods - {"HEAD"}):
            found.append(StaffRoute(method, path, guards[0] if len(guards) == 1 else None))
    return found
