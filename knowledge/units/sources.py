"""Where the administrative map comes from, read into plain records (no database here).

Two packages from PyPI, both read as data only:

``vietnam-provinces`` (2025.10.1, the pinned maintained package)
    The 34 provinces and 3,321 commune-level units after 1 July 2025: ``Province.iter_all()``,
    ``Ward.iter_all()`` (modules ``base``/``lookup``; ``codes`` only holds the enums, ``compat`` a
    docs shim). It has NO pre-2025 units (no districts, no former communes, no former provinces)
    and NO former -> current mapping; its JSON files (``data/flat-divisions.json``,
    ``data/nested-divisions.json``) hold the same 2025 list. Its codes are those of the GSO *draft*:
    122 of 3,321 differ from Official Letter 1027/CTK-CSCL (e.g. Phường Cửa Nam 00073 vs 00082,
    and three-way swaps such as Lý Quốc/Vinh Quý/Hạ Lang), and 39 names differ in spacing,
    apostrophes, case or tone placement ("Xã  Phú Hữu", "Xã Cư M’gar", "Hoà").

``vietnamadminunits`` (MIT, read without importing it: its modules pull in geopy and shapely)
    ``data/dataset.db`` (SQLite): table ``admin_units_legacy`` = the 10,040 pre-2025 rows
    (63 provinces, 696 districts, 10,035 communes with official codes, 5 island districts without
    communes) and ``admin_units`` = the 3,321 current units with the official codes (3,320 equal
    to 1027; Xã Ia Mơ is 23938 there, the GSO's later code). ``data/converter_2025.json``:
    ``DICT_PROVINCE`` (new province -> former provinces), ``DICT_PROVINCE_WARD_NO_DIVIDED``
    (new commune -> whole former communes, 9,564 of them) and ``DICT_PROVINCE_WARD_DIVIDED``
    (471 former communes split across 2-5 new ones, one flagged ``isDefaultNewWard``).

The current list is taken from vietnam-provinces and each unit is matched (same province, same
name up to spacing/case/tone placement) to the official record, whose code and spelling win.
Without vietnamadminunits only the current units can be loaded, with the draft codes.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from bot.vntext import canonical_tones, fold

# Official Letter 1027/CTK-CSCL (25/6/2025) gives Xã Ia Mơ (Gia Lai) the code 23737; the GSO's
# later data, hence vietnamadminunits, uses 23938. The project follows the official letter.
OFFICIAL_CODE_OVERRIDES = {"23938": "23737"}

WARD_TYPES = {"xã": "xa", "phường": "phuong", "đặc khu": "dac_khu", "thị trấn": "thi_tran"}


@dataclass
class UnitRecord:
    code: str
    name: str  # with its type prefix
    type: str
    level: str
    status: str
    province_code: str
    province_name: str
    district_name: str | None = None
    key: str = ""  # source-specific key used to join the mapping


@dataclass
class SourceData:
    current_provinces: list[UnitRecord]
    current_communes: list[UnitRecord]
    former_provinces: list[UnitRecord] = field(default_factory=list)
    former_communes: list[UnitRecord] = field(default_factory=list)
    # (former key, current key, partial); for splits the default successor comes first.
    province_links: list[tuple[str, str, bool]] = field(default_factory=list)
    commune_links: list[tuple[str, str, bool]] = field(default_factory=list)
    legacy_source: str | None = None
    code_corrections: int = 0
    name_corrections: int = 0
    warnings: list[str] = field(default_factory=list)


_SPACE_RE = re.compile(r"\s+")


def clean_name(name: str) -> str:
    """Source hygiene: single spaces, ASCII apostrophe and hyphen, NFC."""
    name = name.replace("’", "'").replace("‘", "'").replace("–", "-")
    return _SPACE_RE.sub(" ", name).strip()


def match_key(name: str) -> str:
    """Key to pair the same unit across sources: case, spacing, punctuation and tone placement ignored."""
    return re.sub(r"[\W_]+", "", canonical_tones(clean_name(name)).lower())


def province_full_name(name: str, division_type: str) -> str:
    if division_type.startswith("thành phố") or name.startswith("Thành phố"):
        return name if name.startswith("Thành phố") else f"Thành phố {name}"
    return name if name.startswith("Tỉnh") else f"Tỉnh {name}"


def legacy_data_dir() -> Path | None:
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        return None
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    if (data / "dataset.db").exists() and (data / "converter_2025.json").exists():
        return data
    return None


def _package_current() -> tuple[list[UnitRecord], list[UnitRecord]]:
    # Deferred: the package loads its whole data set on import, needed only while units are loaded.
    from vietnam_provinces import Province, Ward

    provinces: dict[str, UnitRecord] = {}
    for p in Province.iter_all():
        code = f"{int(p.code):02d}"
        full = province_full_name(clean_name(p.name), p.division_type.value)
        ptype = "thanh_pho" if full.startswith("Thành phố") else "tinh"
        provinces[code] = UnitRecord(code, full, ptype, "province", "current", code, full)
    communes = []
    for w in Ward.iter_all():
        pcode = f"{int(w.province_code):02d}"
        communes.append(
            UnitRecord(
                code=f"{int(w.code):05d}",
                name=clean_name(w.name),
                type=WARD_TYPES[w.division_type.value],
                level="commune",
                status="current",
                province_code=pcode,
                province_name=provinces[pcode].name,
            )
        )
    return list(provinces.values()), communes


def _district_name(name: str) -> str:
    name = clean_name(name)
    if name.startswith("Thành Phố "):  # one source row is capitalised this way
        name = "Thành phố " + name[len("Thành Phố ") :]
    return name


def read_sources() -> SourceData:
    provinces, communes = _package_current()
    data = SourceData(current_provinces=provinces, current_communes=communes)
    data_dir = legacy_data_dir()
    if data_dir is None:
        data.warnings.append(
            "vietnamadminunits is not installed: former units and successions not loaded; "
            "current codes are vietnam-provinces' draft codes (122 differ from 1027/CTK-CSCL)"
        )
        return data
    data.legacy_source = f"vietnamadminunits ({data_dir})"

    db = sqlite3.connect(f"file:{data_dir / 'dataset.db'}?mode=ro", uri=True)
    try:
        official_rows = db.execute(
            "SELECT provinceCode, provinceKey, ward, wardKey, wardCode FROM admin_units"
        ).fetchall()
        legacy_rows = db.execute(
            "SELECT provinceCode, province, provinceKey, district, districtKey, ward, wardKey, wardType, wardCode"
            " FROM admin_units_legacy"
        ).fetchall()
    finally:
        db.close()

    # Current communes: official code and spelling for each package unit.
    official: dict[tuple[str, str], tuple[str, str, str]] = {}
    province_key_to_code: dict[str, str] = {}
    for pcode, pkey, ward, wkey, wcode in official_rows:
        official[(pcode, match_key(ward))] = (OFFICIAL_CODE_OVERRIDES.get(wcode, wcode), clean_name(ward), wkey)
        province_key_to_code[pkey] = pcode
    matched: set[tuple[str, str]] = set()
    for unit in communes:
        hit = official.get((unit.province_code, match_key(unit.name)))
        if hit is None:
            data.warnings.append(f"current unit {unit.code} {unit.name} has no official record; package code kept")
            continue
        matched.add((unit.province_code, match_key(unit.name)))
        code, name, wkey = hit
        data.code_corrections += code != unit.code
        data.name_corrections += name != unit.name
        unit.code, unit.name, unit.key = code, name, f"{unit.province_code}:{wkey}"
    for (pcode, _mk), (code, name, _wkey) in official.items():
        if (pcode, _mk) not in matched:
            data.warnings.append(f"official unit {code} {name} is missing from vietnam-provinces")
    for p in provinces:
        p.key = next((k for k, c in province_key_to_code.items() if c == p.code), "")

    # Former provinces and communes.
    seen_provinces: dict[str, UnitRecord] = {}
    for pcode, pname, pkey, district, dkey, ward, wkey, wtype, wcode in legacy_rows:
        if pkey not in seen_provinces:
            pname = clean_name(pname)
            seen_provinces[pkey] = UnitRecord(
                pcode,
                pname,
                "thanh_pho" if pname.startswith("Thành phố") else "tinh",
                "province",
                "former",
                pcode,
                pname,
                key=pkey,
            )
        if not ward or not wcode:
            continue  # island districts without communes (Côn Đảo, Lý Sơn, ...): now special zones
        data.former_communes.append(
            UnitRecord(
                code=wcode,
                name=clean_name(ward),
                type=WARD_TYPES[wtype.lower()],
                level="commune",
                status="former",
                province_code=pcode,
                province_name=seen_provinces[pkey].name,
                district_name=_district_name(district),
                key=f"{pkey}_{dkey}_{wkey}",
            )
        )
    data.former_provinces = list(seen_provinces.values())

    # Mapping.
    converter = json.loads((data_dir / "converter_2025.json").read_text(encoding="utf-8"))
    for new_pkey, old_pkeys in converter["DICT_PROVINCE"].items():
        for old in old_pkeys:
            data.province_links.append((old, new_pkey, False))
    for new_pkey, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        pcode = province_key_to_code[new_pkey]
        for new_wkey, olds in wards.items():
            for old in olds:
                if old.endswith("_"):
                    # A former island district without communes (Côn Đảo, Lý Sơn, Bạch Long Vĩ, Cồn Cỏ,
                    # Hoàng Sa), now a special zone of the same name. Districts are not units here.
                    continue
                data.commune_links.append((old, f"{pcode}:{new_wkey}", False))
    for new_pkey, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        pcode = province_key_to_code[new_pkey]
        for old, targets in olds.items():
            ordered = sorted(targets, key=lambda t: not t["isDefaultNewWard"])
            for target in ordered:
                data.commune_links.append((old, f"{pcode}:{target['newWardKey']}", True))
    return data


def read_aliases() -> tuple[dict[str, list[str]], dict[tuple[str, str], list[str]]]:
    """Other names citizens use, as compact folded keys (no spaces), without type prefixes:
    {former commune code: [earlier names]}, {(former province code, district name): [names]}.
    Empty when vietnamadminunits is not installed."""
    data_dir = legacy_data_dir()
    if data_dir is None:
        return {}, {}
    db = sqlite3.connect(f"file:{data_dir / 'dataset.db'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT provinceCode, district, districtAlias, wardCode, wardAlias FROM admin_units_legacy"
            " WHERE districtAlias IS NOT NULL OR wardAlias IS NOT NULL"
        ).fetchall()
    finally:
        db.close()
    ward_aliases: dict[str, list[str]] = {}
    district_aliases: dict[tuple[str, str], list[str]] = {}
    for pcode, district, d_alias, wcode, w_alias in rows:
        if w_alias and wcode:
            ward_aliases[wcode] = _strip_alias_prefixes(json.loads(w_alias))
        if d_alias:
            district_aliases[(pcode, _district_name(district))] = _strip_alias_prefixes(json.loads(d_alias))
    return ward_aliases, district_aliases


_ALIAS_PREFIXES = ("thitran", "thixa", "thanhpho", "phuong", "huyen", "quan", "ward", "xa", "tx", "tp", "q", "p", "f")


def _strip_alias_prefixes(aliases: list[str]) -> list[str]:
    """["phuongnguyentrungtruc", "nguyentrungtruc", "quan09", "f09"] -> ["nguyentrungtruc", "9"]."""
    out: list[str] = []
    listed = set(aliases)
    for alias in aliases:
        alias = fold(alias)
        bare = alias
        for prefix in _ALIAS_PREFIXES:
            rest = alias[len(prefix) :]
            if alias.startswith(prefix) and rest and (rest in listed or rest.isdigit()):
                bare = rest
                break
        if bare.isdigit():
            bare = str(int(bare))
        if bare not in out and not bare.startswith("district"):
            out.append(bare)
    return out
