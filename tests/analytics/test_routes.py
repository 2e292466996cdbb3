"""Analytics and suggestion routes through the app: who may call them, what they answer, and
Vietnamese errors for bad input. Uses the lead's fixtures (tests/staff/conftest.py)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from tests.staff.conftest import login

ANALYTICS_API = ("/staff/api/analytics", "/staff/api/analytics.csv")


@pytest.mark.parametrize("path", ANALYTICS_API)
def test_analytics_api_needs_a_login(staff_client: Any, path: str) -> None:
    response = staff_client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]


def test_analytics_page_sends_strangers_to_the_login(staff_client: Any) -> None:
    response = staff_client.get("/staff/analytics", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login")


@pytest.mark.parametrize("role", ["agent", "editor"])
@pytest.mark.parametrize("path", [*ANALYTICS_API, "/staff/analytics"])
def test_analytics_is_refused_to_other_roles(staff_client: Any, role: str, path: str) -> None:
    login(staff_client, role)
    assert staff_client.get(path, follow_redirects=False).status_code == 403


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analytics_for_analysts_and_admins(staff_client: Any, role: str) -> None:
    login(staff_client, role)
    page = staff_client.get("/staff/analytics")
    assert page.status_code == 200
    assert "Thống kê sử dụng trợ lý" in page.text
    assert "/staff/static/vendor/chart.umd.min.js" in page.text
    scripts_and_styles = re.findall(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"', page.text)
    assert scripts_and_styles and all(url.startswith("/") for url in scripts_and_styles), scripts_and_styles

    data = staff_client.get("/staff/api/analytics", params={"from": "2026-11-01", "to": "2026-11-07", "channel": "web"})
    assert data.status_code == 200
    body = data.json()
    assert (body["start"], body["end"], body["channel"], body["unit"]) == ("2026-11-01", "2026-11-07", "web", None)
    assert [d["date"] for d in body["days"]][0] == "2026-11-01" and len(body["days"]) == 7
    assert set(body["totals"]) >= {
        "conversations",
        "messages",
        "fallback_rate",
        "handoffs",
        "handoff_rate",
        "wait_median_seconds",
        "wait_p90_seconds",
        "rating_average",
        "ratings",
    }
    assert set(body["rating_distribution"]) == {"1", "2", "3", "4", "5"}
    for key in ("top_procedures", "top_intents", "channels", "units", "available_channels", "available_units"):
        assert isinstance(body[key], list)


def test_analytics_csv(staff_client: Any) -> None:
    login(staff_client, "analyst")
    response = staff_client.get("/staff/api/analytics.csv", params={"from": "2026-11-01", "to": "2026-11-02"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="thong-ke-tro-ly-2026-11-01-2026-11-02.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads the Vietnamese as UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Mục", "Khóa", "Tên", "Chỉ số", "Giá trị"]
    assert ["Theo ngày", "2026-11-02", "2026-11-02", "Số tin nhắn", "0"] in rows


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"from": "01/11/2026"}, "ngày không hợp lệ"),
        ({"to": "2026-02-30"}, "ngày không hợp lệ"),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "ngày bắt đầu phải trước"),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "tối đa 366 ngày"),
        ({"from": "2026-11-01-and-more"}, "quá dài"),
    ],
)
@pytest.mark.parametrize("path", ANALYTICS_API)
def test_bad_dates_are_a_vietnamese_422(staff_client: Any, path: str, params: dict[str, str], words: str) -> None:
    login(staff_client, "analyst")
    response = staff_client.get(path, params=params)
    assert response.status_code == 422
    assert words in response.json()["error"]


# --- suggestions ----------------------------------------------------------------------------------


def test_suggestions_need_a_login(staff_client: Any) -> None:
    response = staff_client.get("/staff/api/suggestions", params={"q": "khai sinh"})
    assert response.status_code == 401
    assert response.json()["error"]


@pytest.mark.parametrize("role", ["analyst"])
def test_suggestions_are_refused_to_analysts(staff_client: Any, role: str) -> None:
    login(staff_client, role)
    assert staff_client.get("/staff/api/suggestions", params={"q": "khai sinh"}).status_code == 403


@pytest.mark.parametrize("role", ["agent", "editor", "admin"])
def test_suggestions_answer_agents_editors_and_admins(staff_client: Any, role: str) -> None:
    login(staff_client, role)
    response = staff_client.get("/staff/api/suggestions", params={"q": "dang ky khai sinh can giay to gi", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "dang ky khai sinh can giay to gi"
    assert body["aspect"] == "documents"
    assert isinstance(body["took_ms"], float)
    assert 1 <= len(body["suggestions"]) <= 3
    top = body["suggestions"][0]
    assert top["code"] == "1.001193"
    assert set(top) >= {"code", "name", "score", "level", "field", "answer", "source_url", "facts"}
    assert set(top["facts"]) == {"fee", "processing_time", "documents", "online"}
    assert top["answer"].startswith("Hồ sơ đăng ký khai sinh")
    assert top["source_url"] and top["source_url"] in top["answer"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"q": ""}, "không được để trống"),
        ({"q": "   "}, "không được để trống"),
        ({"q": "x" * 501}, "quá dài"),
        ({}, "thiếu trường bắt buộc"),
        ({"q": "khai sinh", "limit": 0}, "phải từ 1 đến 20"),
        ({"q": "khai sinh", "limit": 21}, "phải từ 1 đến 20"),
    ],
)
def test_bad_suggestion_queries_are_a_vietnamese_422(staff_client: Any, params: dict[str, Any], words: str) -> None:
    login(staff_client, "agent")
    response = staff_client.get("/staff/api/suggestions", params=params)
    assert response.status_code == 422
    assert words in response.json()["error"]
