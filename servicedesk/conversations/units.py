"""Which official unit a widget's ``data-unit`` names, if it names one without doubt.

The unit is written by whoever embeds the widget, and anyone can post any text as it: stored as
is, it let anyone invent units in the analytics (and carry spreadsheet formulas into the CSV
export). So a conversation keeps only the code of a current unit, and only when the text is
exactly that unit's official name ("Phường Bến Thành"; case, spacing and tone-mark placement
aside), optionally followed by its province ("Xã Tân Phú, Tỉnh Đồng Nai", for the many names
that repeat across provinces); or exactly a former unit's name when that unit went whole to a
single current unit. The text may also be a code: a current unit's official code ("26743"), or a
former unit's pre-2025 code when that unit went whole to a single current unit (a commune site
embedded before the reform keeps working). Anything else (a typo, an ambiguous name, free text)
is stored as no unit.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from bot.vntext import canonical_tones
from knowledge.units.service import CurrentUnit, UnitMatch, get_current, get_former, resolve

# Official codes: 2 digits for a province, 5 for a commune.
_CODE = re.compile(r"^[0-9]{2}(?:[0-9]{3})?$")
# Enough for the most repeated names ("Phường 1" existed in dozens of towns): every exact
# namesake must be seen to know the name is unique.
_CANDIDATES = 100


def _same(a: str, b: str) -> bool:
    return " ".join(canonical_tones(a).casefold().split()) == " ".join(canonical_tones(b).casefold().split())


def _named(match: UnitMatch, name: str, province: str | None) -> bool:
    if not _same(match.name, name):
        return False
    return province is None or _same(match.province.name, province)


def official_unit_code(session: Session, text: str | None) -> str | None:
    """The current unit's official code, or None when the text does not name exactly one."""
    text = (text or "").strip()
    if not text:
        return None
    if _CODE.match(text):
        return _code_of(session, text)
    name, _, province = (part.strip() for part in text.partition(","))
    province_name = province or None
    if not name:
        return None
    matches = [m for m in resolve(session, text, limit=_CANDIDATES) if _named(m, name, province_name)]
    current = {m.code for m in matches if m.status == "current"}
    if current:
        return current.pop() if len(current) == 1 else None
    successors = {m.successors[0].code for m in matches if m.status == "former" and len(m.successors) == 1}
    return successors.pop() if len(successors) == 1 else None


def _code_of(session: Session, code: str) -> str | None:
    # Current codes first: a current unit often kept the code of one of the communes it absorbed.
    if get_current(session, code) is not None:
        return code
    former = get_former(session, code)
    if former is None or len(former.successors) != 1 or former.successors[0].partial:
        return None
    return former.successors[0].code


def official_unit(session: Session, text: str | None) -> CurrentUnit | None:
    """The current unit ``official_unit_code`` finds (code, name, province), or None."""
    code = official_unit_code(session, text)
    match = get_current(session, code) if code else None
    return CurrentUnit(match.code, match.name, match.province.name) if match else None
