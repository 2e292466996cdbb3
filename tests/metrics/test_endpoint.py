"""GET /metrics: who may read it, and what the request and Rasa metrics say."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from api.metrics import count_fallback, count_login_failure, observe_rasa_call
from tests.metrics.conftest import ClientAt
from tests.metrics.scrape import label_sets, value

TOKEN = "test-metrics-token-0123456789abcdef"
PUBLIC = "203.0.113.7"  # TEST-NET-3: an address of "the internet"


def _not_found_like_any_unknown_path(client: TestClient) -> None:
    hidden = client.get("/metrics")
    unknown = client.get("/khong-co-dia-chi-nay")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.content == unknown.content
    assert hidden.headers["content-type"] == unknown.headers["content-type"]


def test_loopback_reads_the_metrics(client_at: ClientAt) -> None:
    response = client_at("127.0.0.1").get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    assert "tthc_http_request_duration_seconds" in response.text
    assert value(response.text, "tthc_metrics_database_up") == 1.0


def test_ipv6_loopback_reads_the_metrics(client_at: ClientAt) -> None:
    assert client_at("::1").get("/metrics").status_code == 200


def test_public_address_gets_a_plain_404(client_at: ClientAt) -> None:
    _not_found_like_any_unknown_path(client_at(PUBLIC))


def test_a_name_instead_of_an_address_is_refused(client_at: ClientAt) -> None:
    _not_found_like_any_unknown_path(client_at("testclient"))  # TestClient's default


def test_loopback_behind_an_untrusted_local_proxy_is_refused(client_at: ClientAt) -> None:
    # nginx on the same host, TTHC_TRUSTED_PROXIES forgotten: every public request looks local.
    client = client_at("127.0.0.1")
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        value_ = f"for={PUBLIC}" if header == "Forwarded" else PUBLIC
        assert client.get("/metrics", headers={header: value_}).status_code == 404


def test_token_opens_it_from_anywhere(client_at: ClientAt, api_env: pytest.MonkeyPatch) -> None:
    api_env.setenv("TTHC_METRICS_TOKEN", TOKEN)
    client = client_at(PUBLIC)
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200
    for wrong in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", f"Basic {TOKEN}", TOKEN):
        assert client.get("/metrics", headers={"Authorization": wrong}).status_code == 404
    assert client.get("/metrics").status_code == 404


def test_no_token_configured_means_no_token_works(client_at: ClientAt) -> None:
    client = client_at(PUBLIC)
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer None"}).status_code == 404


def test_allowed_networks(client_at: ClientAt, api_env: pytest.MonkeyPatch) -> None:
    api_env.setenv("TTHC_METRICS_ALLOW", "10.20.0.0/16, 192.0.2.10")
    assert client_at("10.20.3.4").get("/metrics").status_code == 200
    assert client_at("192.0.2.10").get("/metrics").status_code == 200
    assert client_at("::ffff:10.20.3.4").get("/metrics").status_code == 200
    assert client_at("10.21.0.1").get("/metrics").status_code == 404
    assert client_at("192.0.2.11").get("/metrics").status_code == 404


def test_forwarded_address_is_judged_through_trusted_proxies_only(
    client_at: ClientAt, api_env: pytest.MonkeyPatch
) -> None:
    api_env.setenv("TTHC_METRICS_ALLOW", "10.0.0.0/8")
    api_env.setenv("TTHC_TRUSTED_PROXIES", "10.0.0.2")
    proxy = client_at("10.0.0.2")
    # A public client behind the trusted proxy is public, although the proxy is in the allowed range.
    assert proxy.get("/metrics", headers={"X-Forwarded-For": PUBLIC}).status_code == 404
    assert proxy.get("/metrics", headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 200
    # A client cannot pick its address: an untrusted peer's header is ignored.
    assert client_at(PUBLIC).get("/metrics", headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 404


def test_malformed_allow_list_stops_the_start(api_env: pytest.MonkeyPatch) -> None:
    from api.main import create_app
    from tests.staff.fixtures import clear_app_caches

    api_env.setenv("TTHC_METRICS_ALLOW", "10.0.0.0/8,*")
    clear_app_caches()
    with pytest.raises(ValueError, match="TTHC_METRICS_ALLOW"):
        create_app()


def test_metrics_is_not_in_the_openapi_schema(client_at: ClientAt) -> None:
    assert "/metrics" not in client_at().get("/openapi.json").json()["paths"]


def test_request_latency_is_labelled_by_route_template(client_at: ClientAt) -> None:
    client = client_at()
    assert client.get("/api/procedures/KHONG-CO-MA-NAY-123").status_code == 404
    client.get("/khong-co/98765")
    text = client.get("/metrics").text
    routes = {labels["route"] for labels in label_sets(text, "tthc_http_request_duration_seconds_count")}
    assert "/api/procedures/{code}" in routes
    assert "unmatched" in routes
    assert not any("KHONG-CO-MA-NAY-123" in route or "98765" in route for route in routes)
    count = value(
        text, "tthc_http_request_duration_seconds_count", route="/api/procedures/{code}", method="GET", status="4xx"
    )
    assert count is not None and count >= 1


def test_rasa_call_observation_appears(client_at: ClientAt) -> None:
    client = client_at()
    name = "tthc_rasa_call_duration_seconds_count"
    before = value(client.get("/metrics").text, name, replica="rasa-2", call="send", outcome="error") or 0.0
    observe_rasa_call("rasa-2", "send", 0.3, False)
    observe_rasa_call("rasa-2", "send", 0.1, True)
    text = client.get("/metrics").text
    assert value(text, name, replica="rasa-2", call="send", outcome="error") == before + 1
    assert (value(text, name, replica="rasa-2", call="send", outcome="ok") or 0) >= 1
    assert value(
        text, "tthc_rasa_call_duration_seconds_bucket", replica="rasa-2", call="send", outcome="error", le="+Inf"
    )


def test_apology_counts_a_fallback(client_at: ClientAt) -> None:
    # Nothing listens on Rasa's port: the citizen gets the apology, and it is counted.
    name = "tthc_assistant_fallbacks_total"
    before = REGISTRY.get_sample_value(name, {"channel": "web", "kind": "apology"}) or 0.0
    response = client_at().post("/api/chat", json={"sender": "web-metrics-test", "message": "xin chào"})
    assert response.status_code == 200
    assert REGISTRY.get_sample_value(name, {"channel": "web", "kind": "apology"}) == before + 1


def test_counters_never_raise_on_odd_labels() -> None:
    count_fallback("fax", "whatever")
    assert (
        REGISTRY.get_sample_value("tthc_assistant_fallbacks_total", {"channel": "other", "kind": "other"}) or 0
    ) >= 1
    count_login_failure()


def test_wrong_password_counts_a_login_failure(staff_client: TestClient) -> None:
    import re

    name = "tthc_staff_login_failures_total"
    before = REGISTRY.get_sample_value(name) or 0.0
    form = staff_client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    response = staff_client.post(
        "/staff/login",
        data={"username": "khong-ton-tai", "password": "sai-mat-khau", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert REGISTRY.get_sample_value(name) == before + 1
