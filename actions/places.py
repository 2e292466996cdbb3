"""Where to go now that districts are gone: current units, service centres, former names."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import conversation_unit, entity_texts, latest_text
from actions.notices import utter_notices
from core.db import session_scope
from core.settings import get_settings
from knowledge.centres import answers as centre_answers
from knowledge.centres import service as centres
from knowledge.units import answers
from knowledge.units import service as units
from knowledge.units.service import UnitMatch


def resolve_mentioned_unit(session: Session, tracker: Tracker) -> list[UnitMatch]:
    """Units named in the latest message: the recognised mentions together (so "xã X huyện Y"
    keeps its district), else the whole message."""
    mentions = entity_texts(tracker, "unit")
    query = " ".join(mentions) if mentions else latest_text(tracker)
    return units.resolve(session, query, limit=3)


def centre_text(session: Session, unit_code: str, unit_name: str) -> str:
    """Where the files of a current commune are received."""
    found = centres.for_unit(session, unit_code)
    return centre_answers.centres_text(found, unit_name, get_settings().national_portal_url)


class ActionFindOffice(Action):
    def name(self) -> str:
        return "action_find_office"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        with session_scope() as session:
            # A commune named now; else the one given before, else the widget's own unit; only
            # then the whole message ("trung tâm ... ở đâu" must not become Phường Trung Tâm when
            # the conversation's commune is known).
            known = conversation_unit(tracker)
            current = units.get_current(session, known) if known else None
            if entity_texts(tracker, "unit") or current is None:
                matches = resolve_mentioned_unit(session, tracker)
            else:
                matches = [current]
            if not matches and current is not None:
                matches = [current]
            if not matches:
                dispatcher.utter_message(text=answers.ASK_COMMUNE_FOR_OFFICE)
                return []
            match = matches[0]
            if match.level == "province":
                dispatcher.utter_message(text=answers.province_too_broad(match))
                return []
            targets = match.current_units()
            if not targets:  # a former unit whose successor is not on record: say so, guess no centre
                dispatcher.utter_message(text=answers.unit_change_text(match))
                return []
            events = utter_notices(session, dispatcher, tracker, unit_code=targets[0].code)
            lines = [answers.former_now_in(match, targets)] if match.status == "former" else []
            lines.append(centre_text(session, targets[0].code, targets[0].name))
            dispatcher.utter_message(text="\n".join(lines))
            return [SlotSet("unit_code", targets[0].code), *events]


class ActionUnitChange(Action):
    def name(self) -> str:
        return "action_unit_change"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        with session_scope() as session:
            matches = resolve_mentioned_unit(session, tracker)
            if not matches:
                dispatcher.utter_message(text=answers.UNIT_NOT_FOUND)
                return []
            match = matches[0]
            targets = match.current_units()
            if match.level == "commune" and len(targets) == 1:
                events = utter_notices(session, dispatcher, tracker, unit_code=targets[0].code)
                dispatcher.utter_message(text=answers.unit_change_text(match))
                return [SlotSet("unit_code", targets[0].code), *events]
            dispatcher.utter_message(text=answers.unit_change_text(match))
            return []
