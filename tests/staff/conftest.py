"""The staff fixtures live in tests/staff/fixtures.py (a plugin for the whole suite); they are
re-exported here so that ``from tests.staff.conftest import login, staff_client`` works."""

from tests.staff.fixtures import login, login_fixture, seeded_staff_database, staff_client

__all__ = ["login", "login_fixture", "seeded_staff_database", "staff_client"]
