"""Writes the NLU gazetteers (bot/gazetteers/*.tsv) from the knowledge store's reviewed sources.

The Rasa runtime cannot import the knowledge store, so the phrases it must recognise are exported
as plain files; they are committed and are part of the model's inputs (retraining follows).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.gazetteer import GAZETTEER_DIR
from bot.vntext import fold
from knowledge.seed.loader import SEED_DIR, read_procedure_file
from knowledge.units.models import AdministrativeUnit

# How citizens write each unit type before its name (folded; "P." folds to "p").
TYPE_WORDS = {
    "phuong": ["phường", "p"],
    "xa": ["xã", "x"],
    "dac_khu": ["đặc khu"],
    "thi_tran": ["thị trấn", "tt"],
    "tinh": ["tỉnh", "t"],
    "thanh_pho": ["thành phố", "tp"],
}
DISTRICT_WORDS = {
    "quận": ["quận", "q"],
    "huyện": ["huyện", "h"],
    "thị xã": ["thị xã", "tx"],
    "thành phố": ["thành phố", "tp"],
}
NUMBERED = {"phường": ["phường", "p"], "quận": ["quận", "q"]}


def _bare(name: str) -> str:
    return re.sub(r"^(Thành phố|Tỉnh|Phường|Xã|Đặc khu|Thị trấn|Quận|Huyện|Thị xã)\s+", "", name)


def procedure_phrases() -> list[tuple[str, str]]:
    rows = []
    for path in sorted((SEED_DIR / "procedures").glob("*.yaml")):
        record = read_procedure_file(path)
        for phrase in [record.name, *record.aliases]:
            rows.append((phrase.lower(), record.code))
    return rows


def unit_phrases(session: Session) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for unit in session.scalars(select(AdministrativeUnit)):
        bare = _bare(unit.name)
        for word in TYPE_WORDS.get(unit.type, []):
            rows.append((f"{word} {bare}", unit.name))
        if unit.level == "province":
            rows.append((bare, unit.name))  # "Bình Phước", "Hà Giang": provinces are named bare
        if unit.district_name:
            district_type, _, district = unit.district_name.partition(" ")
            key = district_type.lower()
            if unit.district_name.lower().startswith(("thị xã", "thành phố")):
                key = " ".join(unit.district_name.lower().split()[:2])
                district = _bare(unit.district_name)
            for word in DISTRICT_WORDS.get(key, []):
                rows.append((f"{word} {district}", unit.district_name))
    for kind, words in NUMBERED.items():
        for number in range(1, 31):
            for word in words:
                rows.append((f"{word} {number}", f"{kind.capitalize()} {number}"))
    return rows


def _write(path: Path, header: str, rows: list[tuple[str, str]]) -> int:
    unique: dict[str, str] = {}
    for phrase, value in rows:
        key = fold(phrase.lower())
        if len(key) >= 3:
            unique.setdefault(key, f"{phrase}\t{value}")
    lines = [f"# {header}", *sorted(unique.values(), key=lambda line: fold(line))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(unique)


def export(session: Session, directory: Path = GAZETTEER_DIR) -> dict[str, int]:
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "procedure": _write(
            directory / "procedure.tsv",
            "Procedure names and aliases from knowledge/seed/procedures (phrase<TAB>code). Generated: python -m cli nlu gazetteers",
            procedure_phrases(),
        ),
        "unit": _write(
            directory / "unit.tsv",
            "Administrative units, current and former, with type words (phrase<TAB>official name). "
            "Generated: python -m cli nlu gazetteers",
            unit_phrases(session),
        ),
    }
