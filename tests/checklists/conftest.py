"""The API client fixtures of tests/api (an in-process app on a private, seeded database)."""

from tests.api.conftest import client, seeded_client  # noqa: F401 - fixtures shared with tests/api
