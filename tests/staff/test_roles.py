"""Every staff route is guarded, and every role is refused what it may not do.

The routes are read from the application itself, so a route added without a guard, or with a
guard wider than the table below, fails here."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.staff.conftest import login
from tests.staff.routes_catalogue import StaffRoute, staff_routes

ROLES = ("admin", "editor", "agent", "analyst")
PUBLIC = {("GET", "/staff/login"), ("POST", "/staff/login")}
EVERYONE = frozenset(ROLES)
# Who may use what (admins may use everything). The longest matching prefix decides.
EXPECTED: dict[str, frozenset[str]] = {
    "/staff": EVERYONE,  # the home page and logout
    "/staff/console": frozenset({"agent"}),
    "/staff/api/handoffs": frozenset({"agent"}),
    "/staff/api/callbacks": frozenset({"agent"}),
    "/staff/api/presence": frozenset({"agent"}),
    "/staff/api/suggestions": frozenset({"agent", "editor"}),
    "/staff/procedures": frozenset({"editor"}),
    "/staff/import": frozenset({"editor"}),
    "/staff/centres": frozenset({"editor"}),
    "/staff/notices": frozenset({"editor"}),
    "/staff/learning": frozenset({"editor"}),
    "/staff/api/learning": frozenset({"editor"}),
    "/staff/analytics": frozenset({"analyst"}),
    "/staff/api/analytics": frozenset({"analyst"}),
    "/staff/accounts": frozenset(),
    "/staff/audit": frozenset(),
}
# A live stream: as an allowed role its body never ends, so it is only checked for refusals.
ENDLESS = {"/staff/api/handoffs/stream"}


def expected_roles(path: str) -> frozenset[str]:
    matches = [prefix for prefix in EXPECTED if re.match(re.escape(prefix) + r"(?:$|[/.])", path)]
    prefix = max(matches, key=len)
    return EXPECTED[prefix] | {"admin"}


def allowed(route: StaffRoute) -> frozenset[str]:
    return frozenset({"admin", *(str(role) for role in route.guard.roles)})


@pytest.fixture
def routes(staff_client: Any) -> list[StaffRoute]:
    return [route for route in staff_routes(staff_client.app) if (route.method, route.path) not in PUBLIC]


def csrf(client: Any) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/staff/").text)
    assert match
    return match.group(1)


def test_the_catalogue_finds_every_domain(routes: list[StaffRoute]) -> None:
    paths = {route.path for route in routes}
    for expected in (
        "/staff/console",
        "/staff/api/suggestions",
        "/staff/procedures/{code}/edit",
        "/staff/import",
        "/staff/centres",
        "/staff/learning",
        "/staff/analytics",
        "/staff/accounts",
        "/staff/audit",
    ):
        assert expected in paths
    assert len(routes) >= 45


def test_every_staff_route_has_one_guard_with_the_expected_roles(routes: list[StaffRoute]) -> None:
    unguarded = [f"{r.method} {r.path}" for r in routes if r.guard is None]
    assert not unguarded, f"staff routes without exactly one require_roles guard: {unguarded}"
    wrong = {
        f"{r.method} {r.path}": (sorted(allowed(r)), sorted(expected_roles(r.path)))
        for r in routes
        if allowed(r) != expected_roles(r.path)
    }
    assert not wrong, f"routes whose roles differ from the table (have, expected): {wrong}"


def test_anonymous_callers_are_refused_everything(staff_client: Any, routes: list[StaffRoute]) -> None:
    for route in routes:
        response = staff_client.request(route.method, route.url, follow_redirects=False)
        if route.is_json:
            assert response.status_code == 401, (route.method, route.path, response.status_code)
            assert response.json()["error"].startswith("Bạn cần đăng nhập")
        else:
            assert response.status_code == 303, (route.method, route.path, response.status_code)
            assert response.headers["location"].startswith("/staff/login"), route.path


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_refused_what_it_may_not_do(staff_client: Any, routes: list[StaffRoute], role: str) -> None:
    login(staff_client, role)
    token = csrf(staff_client)  # a valid token: the refusal must come from the role
    refused = [route for route in routes if role not in allowed(route)]
    if role == "admin":
        assert not refused
    for route in refused:
        response = staff_client.request(
            route.method, route.url, headers={"X-CSRF-Token": token}, follow_redirects=False
        )
        assert response.status_code == 403, (role, route.method, route.path, response.status_code)
        if route.is_json:
            assert "không được dùng chức năng này" in response.json()["error"]
        else:
            assert "Không được phép" in response.text


@pytest.mark.parametrize("role", ROLES)
def test_each_role_passes_the_guard_of_its_pages(staff_client: Any, routes: list[StaffRoute], role: str) -> None:
    login(staff_client, role)
    for route in routes:
        if route.method != "GET" or role not in allowed(route) or route.path in ENDLESS:
            continue
        response = staff_client.get(route.url, follow_redirects=False)
        assert response.status_code not in {401, 403}, (role, route.path, response.status_code)
        assert response.status_code < 500, (role, route.path, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_changes_without_the_csrf_token_are_refused(staff_client: Any, routes: list[StaffRoute], role: str) -> None:
    login(staff_client, role)
    for route in routes:
        if route.method == "GET" or role not in allowed(route):
            continue
        response = staff_client.request(route.method, route.url, follow_redirects=False)
        assert response.status_code == 403, (role, route.method, route.path, response.status_code)
        forged = staff_client.request(
            route.method, route.url, headers={"X-CSRF-Token": "forged"}, follow_redirects=False
        )
        assert forged.status_code == 403, (role, route.method, route.path, forged.status_code)
