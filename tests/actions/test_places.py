"""actions/places.py: ActionFindOffice and ActionUnitChange."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.places import ActionFindOffice, ActionUnitChange
from core.db import session_scope
from knowledge.centres import service as centres
from knowledge.centres.answers import centres_text
from knowledge.units import service as units
from tests.actions.conftest import entity, message, tracker

BEN_THANH = "26743"
PORTAL = "https://dichvucong.gov.vn"


def _centre(code: str, name: str) -> str:
    with session_scope() as session:
        return centres_text(centres.for_unit(session, code), name, PORTAL)


def test_find_office_for_a_current_commune(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    text = "trung tâm hành chính công phường Bến Thành ở đâu"
    events = ActionFindOffice().run(
        dispatcher,
        tracker(text, intent="find_office", entities=[entity(text, "phường Bến Thành", "unit", "Phường Bến Thành")]),
        domain,
    )
    assert events == [SlotSet("unit_code", BEN_THANH)]
    expected = _centre(BEN_THANH, "Phường Bến Thành")
    assert expected.startswith("🏢 Trung tâm Phục vụ hành chính công phường Bến Thành")
    assert expected.endswith("(Thông tin minh họa — vui lòng kiểm tra trên cổng thông tin của xã/phường.)")
    assert dispatcher.messages == [message(expected)]


def test_find_office_from_a_former_commune_says_where_it_went(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "trung tâm hành chính công phường Bến Nghé quận 1 ở đâu"
    events = ActionFindOffice().run(
        dispatcher,
        tracker(text, intent="find_office", entities=[entity(text, "phường Bến Nghé quận 1", "unit")]),
        domain,
    )
    with session_scope() as session:
        [successor] = units.resolve(session, "phường Bến Nghé quận 1", limit=1)[0].successors
    assert events == [SlotSet("unit_code", successor.code)]
    assert dispatcher.messages == [
        message(
            f"Phường Bến Nghé (cũ) nay thuộc {successor.name} ({successor.province.name}).\n"
            + _centre(successor.code, successor.name)
        )
    ]


def test_find_office_without_a_commune_uses_the_one_already_given(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = ActionFindOffice().run(
        dispatcher, tracker("ở đâu vậy", intent="find_office", slots={"unit_code": BEN_THANH}), domain
    )
    assert events == [SlotSet("unit_code", BEN_THANH)]
    assert dispatcher.messages == [message(_centre(BEN_THANH, "Phường Bến Thành"))]


def test_find_office_with_no_unit_asks_for_the_commune(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = ActionFindOffice().run(dispatcher, tracker("ở đâu vậy", intent="find_office"), domain)
    assert events == []
    assert dispatcher.messages == [
        message(
            "Anh/chị cho em biết tên xã/phường (tên cũ cũng được), ví dụ “phường Bến Thành” hoặc "
            "“xã Tân Phú huyện Đồng Phú cũ”, để em chỉ nơi tiếp nhận hồ sơ ạ."
        )
    ]


def test_find_office_for_a_province_asks_for_the_commune(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "Thành phố Hồ Chí Minh"
    events = ActionFindOffice().run(
        dispatcher, tracker(text, intent="find_office", entities=[entity(text, text, "unit")]), domain
    )
    assert events == []
    assert dispatcher.messages == [
        message(
            "Thành phố Hồ Chí Minh có nhiều xã, phường. Anh/chị cho em biết tên xã/phường để em chỉ đúng "
            "Trung tâm Phục vụ hành chính công ạ."
        )
    ]


# --- ActionUnitChange --------------------------------------------------------------------------------


def test_a_former_commune_with_one_successor(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    text = "phuong 5 quan 3 sau sap nhap la phuong gi"
    events = ActionUnitChange().run(
        dispatcher, tracker(text, intent="ask_unit_change", entities=[entity(text, "phuong 5 quan 3", "unit")]), domain
    )
    with session_scope() as session:
        match = units.resolve(session, "phuong 5 quan 3", limit=1)[0]
    [successor] = match.successors
    assert events == [SlotSet("unit_code", successor.code)]
    assert dispatcher.messages == [
        message(
            f"Phường 5 ({match.district_name}, {match.province.name}) nay thuộc {successor.name}, "
            f"{successor.province.name} (từ 01/7/2025), mã {successor.code}."
        )
    ]


def test_a_split_commune_lists_every_successor_and_sets_no_unit(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "phường Kim Mã quận Ba Đình cũ giờ thuộc phường nào"
    events = ActionUnitChange().run(
        dispatcher,
        tracker(text, intent="ask_unit_change", entities=[entity(text, "phường Kim Mã quận Ba Đình", "unit")]),
        domain,
    )
    assert events == []
    with session_scope() as session:
        match = units.resolve(session, "phường Kim Mã quận Ba Đình", limit=1)[0]
    assert len(match.successors) > 1
    lines = [
        f"Phường Kim Mã ({match.district_name}, {match.province.name}) đã được chia về nhiều đơn vị mới từ 01/7/2025:"
    ]
    lines += [f"• {s.name} ({s.province.name}) — một phần địa bàn" for s in match.successors]
    lines.append(
        "Vì xã cũ bị chia tách, anh/chị cần biết thôn/ấp/tổ dân phố nơi ở để xác định đúng đơn vị mới; "
        "nếu chưa rõ, hãy hỏi Trung tâm Phục vụ hành chính công của một trong các đơn vị trên ạ."
    )
    assert dispatcher.messages == [message("\n".join(lines))]


def test_a_current_commune_is_said_to_be_current(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    text = "phường Bến Thành"
    events = ActionUnitChange().run(
        dispatcher, tracker(text, intent="ask_unit_change", entities=[entity(text, text, "unit")]), domain
    )
    assert events == [SlotSet("unit_code", BEN_THANH)]
    assert dispatcher.messages == [
        message(
            "Phường Bến Thành là đơn vị hành chính hiện hành (từ 01/7/2025) thuộc Thành phố Hồ Chí Minh, "
            f"mã {BEN_THANH}."
        )
    ]


def test_an_unknown_unit_asks_for_the_former_names(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    events = ActionUnitChange().run(dispatcher, tracker("xyzzy", intent="ask_unit_change"), domain)
    assert events == []
    assert dispatcher.messages == [
        message(
            "Em chưa tìm thấy đơn vị hành chính đó. Anh/chị nhắn giúp em tên xã/phường cũ kèm "
            "huyện/tỉnh cũ, ví dụ “xã Tân Phú huyện Đồng Phú tỉnh Bình Phước” ạ."
        )
    ]
