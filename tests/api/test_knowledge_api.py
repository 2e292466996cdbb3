"""The knowledge API over the seeded store: procedures, units, centres."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_procedure_search_ranks_and_shapes_results(seeded_client: TestClient) -> None:
    response = seeded_client.get("/api/procedures/search", params={"q": "dang ky khai sinh", "limit": 3})
    assert response.status_code == 200
    results = response.json()
    assert results[0]["code"] == "1.001193"
    assert set(results[0]) == {"code", "name", "level", "field", "score"}
    assert len(results) <= 3


def test_procedure_detail_and_unknown_code(seeded_client: TestClient) -> None:
    detail = seeded_client.get("/api/procedures/1.004222").json()
    assert detail["code"] == "1.004222" and detail["documents"] and detail["channels"]
    assert detail["source_url"].startswith("https://")
    missing = seeded_client.get("/api/procedures/9.999999")
    assert missing.status_code == 404
    assert "9.999999" in missing.json()["error"]


def test_search_input_is_validated(seeded_client: TestClient) -> None:
    assert seeded_client.get("/api/procedures/search", params={"q": ""}).status_code == 422
    assert seeded_client.get("/api/procedures/search", params={"q": "a", "limit": 0}).status_code == 422


def test_units_resolve_former_name_to_successor(seeded_client: TestClient) -> None:
    results = seeded_client.get("/api/units/resolve", params={"q": "phuong Ben Nghe quan 1"}).json()
    top = results[0]
    assert top["status"] == "former"
    assert top["successors"] and top["successors"][0]["province"]["name"].endswith("Hồ Chí Minh")
    assert set(top) >= {"code", "name", "type", "province", "status", "successors"}


def test_units_resolve_current_unit(seeded_client: TestClient) -> None:
    top = seeded_client.get("/api/units/resolve", params={"q": "phường Bến Thành"}).json()[0]
    assert top["code"] == "26743" and top["status"] == "current" and top["successors"] == []


def test_centres_for_unit_are_marked_demo(seeded_client: TestClient) -> None:
    centres = seeded_client.get("/api/centres", params={"unit": "26743"}).json()
    assert len(centres) == 1 and centres[0]["is_demo"] is True
    assert seeded_client.get("/api/centres", params={"unit": "99999"}).json() == []
    assert seeded_client.get("/api/centres", params={"unit": "abc"}).status_code == 422


def test_procedure_detail_exposes_fact_kinds_per_channel(seeded_client: TestClient) -> None:
    detail = seeded_client.get("/api/procedures/3.000333").json()
    channel = detail["channels"][0]
    assert {"fee_kind", "fee_unit", "fee_basis", "deadline_kind", "condition"} <= set(channel)
    assert channel["fee_kind"] == "by_regulation" and "244/2016/TT-BTC" in channel["fee_basis"]
    assert channel["deadline_kind"] == "days" and channel["processing_days"] == 10
    assert detail["guidance"] == [] and detail["quality_flags"] == []
    embassy = seeded_client.get("/api/procedures/2.000884").json()["channels"][1]
    assert embassy["condition"] == "tại cơ quan đại diện Việt Nam ở nước ngoài"
    assert embassy["fee_kind"] == "amount" and embassy["fee_unit"] == "bản"
