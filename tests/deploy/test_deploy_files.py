"""deploy/ cannot drift from the code: every variable the containers get is one the application
reads (core/settings.py) or one Rasa's endpoints file expands, every interpolated value is
documented in deploy/env.example, and the alert rules use only metrics the API exposes.

Docker is not needed: the files are read as YAML/text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import DossierSettings, Settings, ZaloSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENDPOINTS = DEPLOY / "rasa" / "endpoints.yml"
ENV_EXAMPLE = DEPLOY / "env.example"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
MONITORING = ROOT / "docs" / "monitoring.md"

# Variables read by something other than the application's settings, each for a reason.
THIRD_PARTY = {
    "POSTGRES_USER": "postgres image",
    "POSTGRES_DB": "postgres image",
    "POSTGRES_PASSWORD": "postgres image",
    "REDISCLI_AUTH": "redis image: redis-cli's password (healthcheck) and requirepass",
    "REDIS_PASSWORD": "compose interpolation only",
    "RASA_TELEMETRY_ENABLED": "Rasa",
    "ACTION_SERVER_SANIC_WORKERS": "rasa_sdk: Sanic worker processes of the action server",
    "PROMETHEUS_MULTIPROC_DIR": "prometheus-client multiprocess mode",
}
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


def settings_variables() -> set[str]:
    names = {f"TTHC_{name.upper()}" for name in Settings.model_fields if name not in ("zalo", "dossier")}
    names |= {f"TTHC_ZALO_{name.upper()}" for name in ZaloSettings.model_fields}
    names |= {f"TTHC_DOSSIER_{name.upper()}" for name in DossierSettings.model_fields}
    return names


def _without_comment_lines(path: Path) -> str:
    return "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))


def endpoints_variables() -> set[str]:
    return set(INTERPOLATION.findall(_without_comment_lines(ENDPOINTS)))


def rasa_only_variables() -> set[str]:
    """The endpoints file's variables that are not application settings (TTHC_RASA_DB_*, …)."""
    return endpoints_variables() - settings_variables()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())  # merge keys (<<) resolved by PyYAML
    assert isinstance(loaded, dict)
    return loaded


def test_settings_know_the_production_variables() -> None:
    expected = {
        "TTHC_PROFILE",
        "TTHC_REDIS_URL",
        "TTHC_REDIS_PREFIX",
        "TTHC_RASA_REPLICAS",
        "TTHC_ACTION_WORKERS",
        "TTHC_API_WORKERS",
        "TTHC_RASA_URLS",
        "TTHC_METRICS_TOKEN",
        "TTHC_METRICS_ALLOW",
    }
    assert expected <= settings_variables()


def test_the_topology(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "rasa-1", "rasa-2", "actions", "api"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["migrate"]["command"][:3] == ["python", "-m", "cli"]
    assert services["migrate"]["restart"] == "no"
    api_env = services["api"]["environment"]
    assert api_env["TTHC_PROFILE"] == "production"
    rasa_urls = api_env["TTHC_RASA_URLS"].split(",")
    assert rasa_urls == [f"http://{name}:5005" for name in ("rasa-1", "rasa-2")]
    assert int(api_env["TTHC_RASA_REPLICAS"]) == len(rasa_urls)
    assert api_env["PROMETHEUS_MULTIPROC_DIR"] in " ".join(services["api"]["tmpfs"])
    # Only the API is published, and only on the host's loopback (the reverse proxy is the entrance).
    published = {name: service.get("ports") for name, service in services.items() if service.get("ports")}
    assert set(published) == {"api"}
    assert all(str(port).startswith("127.0.0.1:") for port in published["api"])


def test_every_variable_the_containers_get_is_read_by_someone(compose: dict[str, Any]) -> None:
    known = settings_variables() | rasa_only_variables() | set(THIRD_PARTY)
    for name, service in compose["services"].items():
        environment = service.get("environment") or {}
        assert isinstance(environment, dict), f"{name}: use the mapping form of environment"
        unknown = set(environment) - known
        assert not unknown, f"{name}: variables nobody reads: {sorted(unknown)}"
        strays = {var for var in environment if var.startswith("TTHC_")} - settings_variables() - rasa_only_variables()
        assert not strays, f"{name}: {sorted(strays)} are not in core/settings.py"


def test_rasa_replicas_get_every_variable_of_the_endpoints_file(compose: dict[str, Any]) -> None:
    needed = endpoints_variables()
    assert {"TTHC_ACTION_TOKEN", "TTHC_RASA_DB_PASSWORD", "TTHC_RASA_REDIS_PASSWORD"} <= needed
    for name in ("rasa-1", "rasa-2"):
        missing = needed - set(compose["services"][name]["environment"])
        assert not missing, f"{name} lacks {sorted(missing)}"


def test_endpoints_file_configures_shared_stores() -> None:
    endpoints = yaml.safe_load(ENDPOINTS.read_text())
    assert endpoints["tracker_store"]["type"] == "SQL"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["lock_store"]["type"] == "redis"
    assert "${" in endpoints["lock_store"]["password"] and "${" in endpoints["tracker_store"]["password"]


def test_every_interpolated_value_is_documented() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    interpolated = set(INTERPOLATION.findall(_without_comment_lines(COMPOSE)))
    missing = interpolated - documented
    assert not missing, f"deploy/env.example does not explain {sorted(missing)}"
    strays = {name for name in documented if name.startswith("TTHC_")} - settings_variables() - rasa_only_variables()
    assert not strays, f"deploy/env.example names {sorted(strays)}, which nothing reads"
    unused = documented - interpolated
    assert not unused, f"deploy/env.example sets {sorted(unused)}, which compose.yaml never uses"


def test_env_example_of_the_repository_names_only_settings() -> None:
    names = set(re.findall(r"^#?\s*(TTHC_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE))
    assert names, ".env.example lists variables"
    assert not names - settings_variables(), sorted(names - settings_variables())
    production = {"TTHC_PROFILE", "TTHC_REDIS_URL", "TTHC_RASA_URLS", "TTHC_METRICS_TOKEN", "TTHC_METRICS_ALLOW"}
    assert production <= names


def test_no_secret_is_committed() -> None:
    for line in ENV_EXAMPLE.read_text().splitlines():
        name, _, value = line.partition("=")
        if any(word in name for word in ("PASSWORD", "TOKEN", "PEPPER", "SECRET")) and not line.startswith("#"):
            assert value == "", f"deploy/env.example must leave {name} empty"


@pytest.mark.parametrize("dockerfile", ["Dockerfile.app", "Dockerfile.rasa"])
def test_images_are_slim_pinned_and_unprivileged(dockerfile: str) -> None:
    text = (DEPLOY / dockerfile).read_text()
    assert "FROM python:3.11-slim" in text
    assert re.search(r"^USER (?!root)\S+", text, flags=re.MULTILINE)
    for lock in re.findall(r"requirements/[\w.-]+\.txt", text):
        assert (ROOT / lock).exists(), lock
    assert "dev.lock" not in text  # runtime only: no test tools in an image


def test_alerts_are_rules_on_documented_metrics() -> None:
    rules = [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]
    assert len(rules) >= 8
    documented = MONITORING.read_text()
    for rule in rules:
        assert rule["alert"].startswith("Tthc") and rule["expr"] and rule["labels"]["severity"] in ("page", "ticket")
        for metric in re.findall(r"\btthc_[a-z_]+", rule["expr"]):
            family = re.sub(r"_(bucket|count|sum)$", "", metric)
            assert f"`{family}" in documented, f"{rule['alert']}: {family} is not in docs/monitoring.md"
