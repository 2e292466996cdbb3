"""Where to go now that districts are gone: current units, service centres, former names."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import entity_texts, latest_text
from core.db import session_scope
from core.settings import get_settings
from knowledge.centres import service as centres
from knowledge.units import service as units
from knowledge.units.service import UnitMatch


def resolve_mentioned_unit(session: Session, tracker: Tracker) -> list[UnitMatch]:
    """Units named in the latest message: the recognised mentions together (so "xã X huyện Y"
    keeps its district), else the whole message."""
    mentions = entity_texts(tracker, "unit")
    query = " ".join(mentions) if mentions else latest_text(tracker)
    return units.resolve(session, query, limit=3)


def current_of(match: UnitMatch) -> list[tuple[str, str, str]]:
    """(code, name, province name) of the current unit(s) for a match."""
    if match.status == "current":
        return [(match.code, match.name, match.province.name)]
    return [(s.code, s.name, s.province.name) for s in match.successors]


def centre_text(session: Session, unit_code: str, unit_name: str) -> str:
    found = centres.for_unit(session, unit_code)
    if found:
        return "\n\n".join(centres.describe(c) for c in found)
    settings = get_settings()
    return (
        f"Hồ sơ cấp xã của {unit_name} được tiếp nhận tại Trung tâm Phục vụ hành chính công {unit_name[0].lower() + unit_name[1:]}. "
        f"Em chưa có địa chỉ, số điện thoại và giờ làm việc đã xác minh của trung tâm này; anh/chị xem trên "
        f"cổng thông tin của xã/phường hoặc Cổng Dịch vụ công quốc gia {settings.national_portal_url} ạ."
    )


class ActionFindOffice(Action):
    def name(self) -> str:
        return "action_find_office"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        with session_scope() as session:
            matches = resolve_mentioned_unit(session, tracker)
            known = tracker.get_slot("unit_code")
            if not matches and known:
                current = units.get_current(session, known)
                matches = [current] if current else []
            if not matches:
                dispatcher.utter_message(
                    text="Anh/chị cho em biết tên xã/phường (tên cũ cũng được), ví dụ “phường Bến Thành” hoặc "
                    "“xã Tân Phú huyện Đồng Phú cũ”, để em chỉ nơi tiếp nhận hồ sơ ạ."
                )
                return []
            match = matches[0]
            targets = current_of(match)
            if match.level == "province":
                dispatcher.utter_message(
                    text=f"{match.name} có nhiều xã, phường. Anh/chị cho em biết tên xã/phường để em chỉ đúng "
                    "Trung tâm Phục vụ hành chính công ạ."
                )
                return []
            lines = []
            if match.status == "former":
                names = ", ".join(f"{name} ({province})" for _, name, province in targets)
                lines.append(f"{match.name} (cũ) nay thuộc {names}.")
            code, name, _province = targets[0]
            lines.append(centre_text(session, code, name))
            dispatcher.utter_message(text="\n".join(lines))
            return [SlotSet("unit_code", code)]


class ActionUnitChange(Action):
    def name(self) -> str:
        return "action_unit_change"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        with session_scope() as session:
            matches = resolve_mentioned_unit(session, tracker)
            if not matches:
                dispatcher.utter_message(
                    text="Em chưa tìm thấy đơn vị hành chính đó. Anh/chị nhắn giúp em tên xã/phường cũ kèm "
                    "huyện/tỉnh cũ, ví dụ “xã Tân Phú huyện Đồng Phú tỉnh Bình Phước” ạ."
                )
                return []
            match = matches[0]
            dispatcher.utter_message(text=unit_change_text(match))
            targets = current_of(match)
            if match.level == "commune" and len(targets) == 1:
                return [SlotSet("unit_code", targets[0][0])]
            return []


def unit_change_text(match: UnitMatch) -> str:
    where = f" ({match.district_name}, {match.province.name})" if match.district_name else f" ({match.province.name})"
    if match.status == "current":
        return (
            f"{match.name} là đơn vị hành chính hiện hành (từ 01/7/2025) thuộc {match.province.name}, mã {match.code}."
            if match.level == "commune"
            else f"{match.name} là tỉnh/thành phố hiện hành (từ 01/7/2025), mã {match.code}."
        )
    if not match.successors:
        return f"Em chưa có thông tin đơn vị mới của {match.name}{where}. Anh/chị liên hệ UBND tỉnh để được xác nhận ạ."
    if match.level == "province":
        names = ", ".join(s.name for s in match.successors)
        return f"{match.name} cũ nay thuộc {names} (từ 01/7/2025)."
    if match.is_split:
        lines = [f"{match.name}{where} đã được chia về nhiều đơn vị mới từ 01/7/2025:"]
        lines += [f"• {s.name} ({s.province.name}) — một phần địa bàn" for s in match.successors]
        lines.append(
            "Vì xã cũ bị chia tách, anh/chị cần biết thôn/ấp/tổ dân phố nơi ở để xác định đúng đơn vị mới; "
            "nếu chưa rõ, hãy hỏi Trung tâm Phục vụ hành chính công của một trong các đơn vị trên ạ."
        )
        return "\n".join(lines)
    successor = match.successors[0]
    return f"{match.name}{where} nay thuộc {successor.name}, {successor.province.name} (từ 01/7/2025), mã {successor.code}."
