"""Find administrative units in what citizens write, and say what became of former ones.

``resolve(session, "xã Tân Phú huyện Đồng Phú cũ giờ thuộc xã nào")`` ranks current and former units
(commune and province level). Text is compared through ``bot.vntext.normalize`` and ``fold``, so
diacritics, tone placement ("Hoà"/"Hòa"), dotted prefixes ("P.5 Q.3 TP.HCM") and case do not matter;
on top of that a few address shorthands are read here: "p5", "q10", "f5", "tt", "tx", "P.05".

Reading an address: every run of tokens that spells a unit name (or an earlier name of it) is a
candidate. Its score grows with the words it covers, with a type word just before it ("phường",
"xã", "thị trấn"), and with context elsewhere in the text: the former district it belonged to
("huyện Đồng Phú", "quận 3") and its province, former or current ("Bình Phước", "Đồng Nai").
A type word of another level just before the name ("quận 3" is not "phường 3") counts against
it; numbered names only count right after their type word. Typos fall back to rapidfuzz.

The index is built once per database and process from the two tables, and rebuilt when their row
counts or largest ids change, so a resolve costs about a millisecond.
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import asdict, dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from bot.vntext import canonical_tones, fold, normalize
from core.settings import get_settings
from knowledge.units.loader import bare_name
from knowledge.units.models import AdministrativeUnit, UnitSuccession
from knowledge.units.sources import read_aliases

# --- results ---------------------------------------------------------------------------------


@dataclass
class ProvinceRef:
    code: str
    name: str


@dataclass
class Successor:
    code: str
    name: str
    type: str
    province: ProvinceRef
    partial: bool  # only part of the former unit's territory went there


@dataclass(frozen=True)
class CurrentUnit:
    code: str
    name: str
    province_name: str


@dataclass
class UnitMatch:
    code: str
    name: str
    type: str
    level: str  # province | commune
    status: str  # current | former
    province: ProvinceRef
    district_name: str | None = None  # former communes: the district citizens still name
    successors: list[Successor] = field(default_factory=list)  # former units only; main one first
    score: float = 0.0

    @property
    def is_split(self) -> bool:
        return any(s.partial for s in self.successors)

    def current_units(self) -> list[CurrentUnit]:
        """The current unit(s) a citizen of this unit deals with now: itself when current, else
        its successors (main one first)."""
        if self.status == "current":
            return [CurrentUnit(self.code, self.name, self.province.name)]
        return [CurrentUnit(s.code, s.name, s.province.name) for s in self.successors]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- query reading ---------------------------------------------------------------------------

COMMUNE, DISTRICT, PROVINCE = 1, 2, 4

# (folded tokens, accented form, roles, subtype). An accented token must be the keyword itself
# ("phường" is a keyword, "Phương" in "Phương Liệt" is not); an unaccented one may be either.
_KEYWORDS = [
    (("thi", "tran"), "thị trấn", COMMUNE, "thi_tran"),
    (("dac", "khu"), "đặc khu", COMMUNE, "dac_khu"),
    (("thi", "xa"), "thị xã", DISTRICT, "thi_xa"),
    (("thanh", "pho"), "thành phố", DISTRICT | PROVINCE, "thanh_pho"),
    (("xa",), "xã", COMMUNE, "xa"),
    (("phuong",), "phường", COMMUNE, "phuong"),
    (("p",), "p", COMMUNE, "phuong"),
    (("huyen",), "huyện", DISTRICT, "huyen"),
    (("quan",), "quận", DISTRICT, "quan"),
    (("q",), "q", DISTRICT, "quan"),
    (("tinh",), "tỉnh", PROVINCE, "tinh"),
]
_KEYWORD_TOKENS = {t for kw in _KEYWORDS for t in kw[0]}

# Shorthand tokens ("tt", "p5", "q10", "f5") spelled out; run on folded tokens after normalize.
_SHORTHANDS = {
    "tt": ("thi tran", "thị trấn"),
    "ttr": ("thi tran", "thị trấn"),
    "tx": ("thi xa", "thị xã"),
    "tphcm": ("thanh pho hcm", "thành phố hcm"),
    "tpho": ("thanh pho", "thành phố"),
}
_NUMBERED = re.compile(r"^(phuong|quan|p|q|f|ph)0*([0-9]{1,2})$")
_NUMBERED_KW = {"phuong": "phuong", "p": "phuong", "f": "phuong", "ph": "phuong", "quan": "quan", "q": "quan"}

_FORMER_HINTS = {"cu", "truoc", "sap", "nhap", "gio", "thuoc", "doi", "ten"}
# Province names citizens use that are not the official ones (folded, compact).
_PROVINCE_ALIASES = {
    "hcm": [("current", "79"), ("former", "79")],
    "saigon": [("current", "79"), ("former", "79")],
    "sg": [("current", "79"), ("former", "79")],
    "hn": [("current", "01"), ("former", "01")],
    "thuathienhue": [("former", "46")],
    "tth": [("former", "46")],
    "brvt": [("former", "77")],
    "bariavungtau": [("former", "77")],
    "daklak": [("current", "66"), ("former", "66")],
}

_MAX_SPAN = 7
MIN_SCORE = 2.5


def _is_number(token: str) -> bool:
    return token.isascii() and token.isdigit()  # not "¹" or "٣", which str.isdigit() accepts


@dataclass
class _Query:
    tokens: list[str]  # folded
    accents: list[str]  # same tokens with their diacritics (canonical tones, lower case)
    kw_end: dict[int, tuple[int, int, str]]  # end index -> (start, roles, subtype) of the keyword ending there
    former_hint: bool


def _read_query(text: str) -> _Query:
    norm = normalize(text)
    folded_tokens = fold(norm).split()
    accent_tokens = norm.split()
    tokens: list[str] = []
    accents: list[str] = []
    for f, a in zip(folded_tokens, accent_tokens, strict=True):
        numbered = _NUMBERED.match(f)
        if numbered:
            kw = _NUMBERED_KW[numbered.group(1)]
            tokens += [kw, numbered.group(2)]
            accents += [kw, numbered.group(2)]
            continue
        if f in _SHORTHANDS:
            spelled, spelled_acc = _SHORTHANDS[f]
            tokens += spelled.split()
            accents += spelled_acc.split()
            continue
        if _is_number(f):
            f = a = str(int(f))
        tokens.append(f)
        accents.append(a)
    kw_end: dict[int, tuple[int, int, str]] = {}
    for i in range(len(tokens)):
        for words, accented, roles, subtype in _KEYWORDS:
            n = len(words)
            if tuple(tokens[i : i + n]) != words:
                continue
            written = " ".join(accents[i : i + n])
            before_number = i + n < len(tokens) and _is_number(tokens[i + n])
            if written != " ".join(words) and written != accented and not before_number:
                continue  # written with other diacritics: a name ("Phương Liệt"), not this keyword
            if words in (("p",), ("q",)) and i + 1 < len(tokens) and tokens[i + 1] in _KEYWORD_TOKENS:
                continue
            end = i + n
            if end not in kw_end or kw_end[end][0] > i:  # the longest keyword ending here wins
                kw_end[end] = (i, roles, subtype)
            break
    return _Query(tokens, accents, kw_end, bool(_FORMER_HINTS.intersection(tokens)))


# --- index -----------------------------------------------------------------------------------


def _compact(text: str) -> str:
    """Folded, canonical, no spaces: the key names are looked up by."""
    return "".join(str(int(t)) if _is_number(t) else t for t in fold(normalize(text)).split())


def _compact_plain(canonical: str) -> str:
    """Same without vntext's abbreviation expansion ("Ea H'Leo" stays "eahleo", while normalize
    would read a lone "k" or "r" as "không"/"rồi"). Takes text already through canonical_tones."""
    return "".join(str(int(t)) if _is_number(t) else t for t in re.findall(r"\w+", fold(canonical)))


@dataclass(slots=True)
class _Unit:
    id: int
    code: str
    name: str
    type: str
    level: str
    status: str
    province_code: str
    province_name: str
    district_name: str | None
    district: str | None  # district id: "<province code>|<district name>"
    accent_keys: frozenset[str]  # bare name with its diacritics, lower case, no spaces
    numeric: bool
    own_provinces: frozenset[tuple[str, str]]  # (status, province code)
    related_provinces: frozenset[tuple[str, str]] = frozenset()
    successors: list[tuple[int, bool]] = field(default_factory=list)
    predecessors: list[int] = field(default_factory=list)


_DISTRICT_TYPES = {"Huyện": "huyen", "Quận": "quan", "Thị xã": "thi_xa", "Thành phố": "thanh_pho"}


def _district_parts(name: str) -> tuple[str, str]:
    for label, subtype in _DISTRICT_TYPES.items():
        if name.startswith(label + " "):
            return name[len(label) + 1 :], subtype
    return name, ""


class _Index:
    def __init__(self, session: Session) -> None:
        unit = AdministrativeUnit.__table__
        succ = UnitSuccession.__table__
        rows = session.execute(select(unit).order_by(unit.c.id)).all()
        self.units: list[_Unit] = []
        self.by_id: dict[int, int] = {}
        self.by_code: dict[tuple[str, str], int] = {}  # (status, code)
        self.by_key: dict[str, list[int]] = {}
        self.districts: dict[str, list[str]] = {}  # compact district name -> district ids
        self.district_type: dict[str, str] = {}
        self.district_towns: dict[str, list[int]] = {}  # district id -> its thị trấn
        self.provinces: dict[str, set[tuple[str, str]]] = {}  # compact name -> {(status, code)}
        keys_of: dict[str, tuple[set[str], frozenset[str]]] = {}  # many names repeat: "Tân Phú", "Phường 1"

        def keys(bare: str) -> tuple[set[str], frozenset[str]]:
            if bare not in keys_of:
                canon = canonical_tones(bare)
                accented = {"".join(normalize(canon).split()), "".join(re.findall(r"\w+", canon.lower()))}
                keys_of[bare] = ({_compact(canon), _compact_plain(canon)}, frozenset(accented))
            return keys_of[bare]

        for row in rows:
            district = None
            if row.district_name:
                district = f"{row.province_code}|{row.district_name}"
            bare = bare_name(row.name, row.type)
            name_keys, accent_keys = keys(bare)
            u = _Unit(
                id=row.id,
                code=row.code,
                name=row.name,
                type=row.type,
                level=row.level,
                status=row.status,
                province_code=row.province_code or "",
                province_name=row.province_name or "",
                district_name=row.district_name,
                district=district,
                accent_keys=accent_keys,
                numeric=_is_number(bare.strip()),
                own_provinces=frozenset({(row.status, row.province_code)}),
            )
            idx = len(self.units)
            self.units.append(u)
            self.by_id[row.id] = idx
            self.by_code.setdefault((row.status, row.code), idx)
            for key in name_keys:
                self._add(self.by_key, key, idx)
            if row.level == "province":
                for key in name_keys:
                    self.provinces.setdefault(key, set()).add((row.status, row.code))
            if district:
                if district not in self.district_type:
                    dname, subtype = _district_parts(row.district_name)
                    self.district_type[district] = subtype
                    for key in keys(dname)[0]:
                        self._add(self.districts, key, district)
                if row.type == "thi_tran":
                    self.district_towns.setdefault(district, []).append(idx)
        for alias, refs in _PROVINCE_ALIASES.items():
            self.provinces.setdefault(alias, set()).update(refs)

        for former_id, current_id, partial in session.execute(
            select(succ.c.former_id, succ.c.current_id, succ.c.partial).order_by(succ.c.id)
        ):
            f, c = self.by_id.get(former_id), self.by_id.get(current_id)
            if f is None or c is None:
                continue
            self.units[f].successors.append((c, bool(partial)))
            self.units[c].predecessors.append(f)
        # The other era's provinces count as context too: a former commune's successors' provinces,
        # a current commune's predecessors' provinces.
        for u in self.units:
            if u.status == "former":
                related = {("current", self.units[c].province_code) for c, _ in u.successors}
            else:
                related = {("former", self.units[f].province_code) for f in u.predecessors}
            u.related_provinces = frozenset(related)

        ward_aliases, district_aliases = read_aliases()
        for code, aliases in ward_aliases.items():
            former = self.by_code.get(("former", code))
            if former is not None:
                for alias in aliases:  # earlier names, e.g. "Phường 6" for Phường Võ Thị Sáu (Quận 3)
                    self._add(self.by_key, alias, former)
        for (pcode, dname), aliases in district_aliases.items():
            district = f"{pcode}|{dname}"
            if district in self.district_type:
                for alias in aliases:
                    self._add(self.districts, alias, district)

        self.fuzzy_keys = [k for k in self.by_key if len(k) >= 5 and not _is_number(k)]
        self.fuzzy_districts = [k for k in self.districts if len(k) >= 5 and not _is_number(k)]

    @staticmethod
    def _add(table: dict[str, list[Any]], key: str, value: Any) -> None:
        if not key:
            return
        bucket = table.setdefault(key, [])
        if value not in bucket:
            bucket.append(value)

    # -- matching --

    def search(self, text: str, limit: int) -> list[tuple[float, int]]:
        q = _read_query(text)
        tokens, n = q.tokens, len(q.tokens)
        if not n:
            return []
        unit_hits: list[tuple[int, int, int, str, float]] = []  # (idx, start, end, via, similarity)
        districts: list[tuple[int, int, list[str], str | None]] = []  # (start, end, ids, keyword subtype)
        provinces: list[tuple[int, int, set[tuple[str, str]]]] = []
        anchored_starts = {end for end, (_s, roles, _t) in q.kw_end.items() if roles & COMMUNE}
        exact_after_kw: set[int] = set()
        for i in range(n):
            key = ""
            kw = q.kw_end.get(i)
            roles = kw[1] if kw else 0
            for j in range(i + 1, min(n, i + _MAX_SPAN) + 1):
                key += tokens[j - 1]
                numeric = _is_number(key)
                for idx in self.by_key.get(key, ()):
                    if numeric and not roles & COMMUNE:
                        continue
                    unit_hits.append((idx, i, j, "name", 1.0))
                    if i in anchored_starts:
                        exact_after_kw.add(i)
                if key in self.districts and (not numeric or roles & DISTRICT):
                    districts.append((i, j, self.districts[key], kw[2] if kw else None))
                if key in self.provinces and not numeric:
                    provinces.append((i, j, self.provinces[key]))

        # Typos: fuzzy names right after a commune keyword with no exact name there, or anywhere
        # when nothing matched at all.
        fuzzy_starts = [i for i in sorted(anchored_starts) if i not in exact_after_kw and i < n]
        if not unit_hits and not fuzzy_starts:
            fuzzy_starts = [i for i in range(n) if tokens[i] not in _KEYWORD_TOKENS]
        for i in fuzzy_starts:
            for j in range(i + 1, min(n, i + 4) + 1):
                if tokens[j - 1] in _KEYWORD_TOKENS:
                    break
                key = "".join(tokens[i:j])
                if len(key) < 5 or _is_number(key):
                    continue
                for match, similarity, _ in process.extract(
                    key, self.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=84, limit=8
                ):
                    for idx in self.by_key[match]:
                        unit_hits.append((idx, i, j, "fuzzy", similarity / 100))
        if not districts:
            # A misspelt district after its keyword ("huyen Dong Phuu").
            for end, (_s, roles, subtype) in q.kw_end.items():
                if roles & DISTRICT and not roles & PROVINCE:
                    for j in range(end + 1, min(n, end + 4) + 1):
                        key = "".join(tokens[end:j])
                        if len(key) < 5:
                            continue
                        closest = process.extractOne(key, self.fuzzy_districts, scorer=fuzz.ratio, score_cutoff=86)
                        if closest:
                            districts.append((end, j, self.districts[closest[0]], subtype))

        # Seats: "thị trấn Đồng Phú" said for the town of huyện Đồng Phú (Thị trấn Tân Phú).
        for start, end, ids, _sub in districts:
            kw = q.kw_end.get(start)
            if kw and kw[2] == "thi_tran":
                for district in ids:
                    for idx in self.district_towns.get(district, ()):
                        unit_hits.append((idx, start, end, "seat", 1.0))

        explicit_district = any(sub in ("huyen", "quan", "thi_xa") for _s, _e, _ids, sub in districts)
        best: dict[int, float] = {}

        for idx, i, j, via, similarity in unit_hits:
            u = self.units[idx]
            score = 2.0 + 0.35 * (j - i)
            kw = q.kw_end.get(i)
            if via == "seat":
                score += 1.9  # a little below a thị trấn really called so
            elif kw:
                _start, roles, subtype = kw
                if u.level == "commune":
                    if roles & COMMUNE:
                        score += 2.0 if subtype == u.type else 1.0
                    elif u.type == "dac_khu" and roles & DISTRICT:
                        score += 1.5  # special zones were island districts: "huyện Côn Đảo"
                    else:
                        score -= 3.0  # "quận 3" is not "phường 3"
                else:
                    score += 2.0 if roles & PROVINCE else -3.0
            elif u.level == "province":
                score += 0.5  # a bare place name that is a province's is most often the province
            elif j - i == 1:
                score -= 0.5
            if via == "name":
                written = "".join(q.accents[i:j])
                if written != "".join(tokens[i:j]):  # written with diacritics
                    score += 0.4 if written in u.accent_keys else -0.4
            elif via == "fuzzy":
                score = score * similarity - 0.7

            district_span = None
            if u.level == "commune":
                if u.district:
                    context = 0.0
                    for ds, de, ids, sub in districts:
                        if (de <= i or ds >= j) and u.district in ids:
                            bonus = 3.0 + (0.5 if sub and sub == self.district_type[u.district] else 0.0)
                            if bonus > context:
                                context, district_span = bonus, (ds, de)
                    if context:
                        score += context
                    elif explicit_district:
                        score -= 1.0
                elif explicit_district:
                    score -= 1.0
            own = related = other = False
            for ps, pe, refs in provinces:
                # One span is one context: "Sóc Trăng" read as the district is not also the province.
                if (pe <= i or ps >= j) and u.level == "commune" and (ps, pe) != district_span:
                    if refs & u.own_provinces:
                        own = True
                    elif refs & u.related_provinces:
                        related = True
                    else:
                        other = True
            if own:
                score += 1.5
            elif related:
                score += 1.0
            elif other:
                score -= 1.0
            if u.status == "former" and q.former_hint:
                score += 0.3
            elif u.status == "current":
                score += 0.05
            if score > best.get(idx, -1e9):
                best[idx] = score

        # Provinces named in the text are candidates too, below any commune that fits.
        for ps, pe, refs in provinces:
            kw = q.kw_end.get(ps)
            for status, code in refs:
                province = self.by_code.get((status, code))
                if province is None:
                    continue
                score = 2.0 + 0.35 * (pe - ps) + (2.0 if kw and kw[1] & PROVINCE else 0.0)
                if kw and not kw[1] & PROVINCE:
                    score -= 3.0
                score += 0.3 if status == "former" and q.former_hint else 0.05 if status == "current" else 0.0
                if score > best.get(province, -1e9):
                    best[province] = score

        ranked = sorted(
            ((score, idx) for idx, score in best.items() if score >= MIN_SCORE),
            key=lambda item: (-item[0], self.units[item[1]].status != "current", self.units[item[1]].code),
        )
        return ranked[:limit]

    # -- results --

    def province_ref(self, u: _Unit) -> ProvinceRef:
        return ProvinceRef(u.province_code, u.province_name)

    def match(self, idx: int, score: float = 0.0) -> UnitMatch:
        u = self.units[idx]
        return UnitMatch(
            code=u.code,
            name=u.name,
            type=u.type,
            level=u.level,
            status=u.status,
            province=self.province_ref(u),
            district_name=u.district_name,
            successors=self.successors(idx),
            score=round(score, 3),
        )

    def successors(self, idx: int) -> list[Successor]:
        out = []
        for c, partial in self.units[idx].successors:
            s = self.units[c]
            out.append(Successor(s.code, s.name, s.type, self.province_ref(s), partial))
        return out


# --- cache -----------------------------------------------------------------------------------

_lock = threading.Lock()
# Per database (engine or connection): the table signature the index was built for, and the index.
_indexes: weakref.WeakKeyDictionary[Engine | Connection, tuple[tuple[Any, ...], _Index]] = weakref.WeakKeyDictionary()


_unit_table = AdministrativeUnit.__table__
_succ_table = UnitSuccession.__table__
# count(*) in scalar subqueries: SQLite answers each from an index or the rowid, ~20 µs in all.
_SIGNATURE = select(
    select(func.count()).select_from(_unit_table).scalar_subquery(),
    select(func.max(_unit_table.c.id)).scalar_subquery(),
    select(func.count()).select_from(_succ_table).scalar_subquery(),
    select(func.max(_succ_table.c.id)).scalar_subquery(),
)


def _signature(session: Session) -> tuple[Any, ...]:
    return tuple(session.execute(_SIGNATURE).one())


def get_index(session: Session) -> _Index:
    bind = session.get_bind()
    signature = _signature(session)
    cached = _indexes.get(bind)
    if cached is not None and cached[0] == signature:
        return cached[1]
    with _lock:
        cached = _indexes.get(bind)
        if cached is not None and cached[0] == signature:
            return cached[1]
        index = _Index(session)
        _indexes[bind] = (signature, index)
        return index


def invalidate_index() -> None:
    with _lock:
        _indexes.clear()


# --- public API ------------------------------------------------------------------------------


def resolve(session: Session, text: str, limit: int = 5) -> list[UnitMatch]:
    """Units the text most likely names, best first; [] when nothing fits.

    Reads at most ``max_message_chars`` characters (the longest message a channel accepts):
    each unit mentioned is weighed against every district and province mentioned elsewhere,
    which grows with the square of the text's length (issue 12)."""
    text = (text or "")[: get_settings().max_message_chars]
    if not text.strip() or limit <= 0:
        return []
    index = get_index(session)
    return [index.match(idx, score) for score, idx in index.search(text, limit)]


def get_current(session: Session, code: str) -> UnitMatch | None:
    """The current unit (province or commune) with this official code."""
    index = get_index(session)
    idx = index.by_code.get(("current", code.strip()))
    return index.match(idx) if idx is not None else None


def get_former(session: Session, code: str) -> UnitMatch | None:
    """The former unit with this pre-2025 code, with its successors."""
    index = get_index(session)
    idx = index.by_code.get(("former", code.strip()))
    return index.match(idx) if idx is not None else None


def successors_of(session: Session, code: str) -> list[Successor]:
    """The current units that took over the former unit with this pre-2025 code (main one first);
    [] for an unknown code. Codes are looked up among former units only: a current unit often
    kept the code of one of the communes it absorbed."""
    index = get_index(session)
    idx = index.by_code.get(("former", code.strip()))
    return index.successors(idx) if idx is not None else []


def predecessors_of(session: Session, code: str) -> list[UnitMatch]:
    """The former units that went, wholly or in part, into the current unit with this code."""
    index = get_index(session)
    idx = index.by_code.get(("current", code.strip()))
    if idx is None:
        return []
    return [index.match(f) for f in index.units[idx].predecessors]
