"""The flattened "Căn cứ pháp lý" table of the national catalogue → legal-basis rows.

The portal's table has two columns, "Tên văn bản pháp lý" (title) and "Mã văn bản" (number),
and arrives with every cell glued to the next one::

    Tên văn bản pháp lýMã văn bảnLuật Hộ tịch60/2014/QH13Nghị định 123/2015/NĐ-CP123/2015/NĐ-CP…

so each row is *title* then *number*, the number glued to the next title. How the sample lays
the cells out (2,558 tables, read before writing this parser):

- the number column is an act number ``num/year/ISSUER[-ISSUER…]``; ``num`` may be decimal
  (``66.7/2025/NQ-CP``, ``66.16/2026/NQ-CP``) or carry a letter (``08.a/2010/TT-BTP``,
  ``09b/…``); an issuer may be spaced (``105/2025/NĐ- CP``, ``TTLT- BQP-…``);
- a title often ends with the act's own number, glued to the number column
  (``Luật 51/2019/QH1451/2019/QH14``), or with a year or a period glued to it
  (``năm 201102/2011/QH13``, ``giai đoạn 2026-203016/2026/QĐ-UBND``): the leading year belongs
  to the title;
- the number column is followed by the next title with no space (``NĐ-CPNghị định…``,
  ``QH13sửa đổi…``, ``BCAQUY ĐỊNH…``), sometimes with one space or a tab
  (``18/2026/NĐ-CP Nghị định…``, ``NĐ-CP\\t05/2013/TT-…``), sometimes with a trailing dot
  (``119/2025/TT-BTC.Nghị định…``); a next title may itself start with an act number;
- inside a title an act number is followed by a space and a lower-case word (``ngày``,
  ``của``, ``hướng dẫn``), punctuation and a space, `` - ``, or a bracket.

Nothing is dropped: text that cannot be given a number is kept as a row with a title only, and
what still looks wrong is reported in ``LegalBasisParse.flags`` (``legal_basis_suspect``,
``legal_basis_rows_merged``) for an editor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.vntext import nfc
from knowledge.importer._text import is_missing, shorten

LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"

# Issuer codes seen in the sample's act numbers (the segments after the year). Longest first so
# "NHNN" wins over "NH…" and "BLĐTBXH" over "BLĐ" when the next title is glued to the code.
ISSUERS = frozenset(
    {
        "CP", "TTg", "BTC", "BCA", "BTP", "BNNMT", "NHNN", "BGTVT", "BXD", "BHXH", "UBND", "HĐND",
        "BKHĐT", "BLĐTBXH", "BTNMT", "BNNPTNT", "BYT", "BCT", "BQP", "BNV", "BGDĐT", "BTTTT",
        "BVHTTDL", "BKHCN", "VPCP", "TANDTC", "VKSNDTC", "CTN", "BNG", "UBDT", "TTCP", "KTNN",
        "BTM", "TCHQ", "TCT", "NĐ", "ND", "TT", "QĐ", "QD", "NQ", "TTLT", "PL", "BKH", "BLĐ",
        "CSXH", "VBHN", "VPQH", "NV", "BNN&PTNT", "NHNN7", "UBTVQH", "QH", "BTS", "HĐTP", "L", "NQLT", "UBTƯMTTQVN",
    }
)  # fmt: skip
_ISSUERS_BY_LENGTH = sorted(ISSUERS, key=len, reverse=True)
_COUNCIL_CODE = re.compile(r"(?:UBTVQH|QH)\d{2}")

# An act number as the portal writes it; the issuer part is resolved by ``_issuer`` afterwards.
_ACT = re.compile(
    r"(?P<num>\d+(?:\.\d+)?(?:\.?[a-z](?![a-zà-ỹđ]))?)\s?/\s?(?:(?P<year>\d{4})\s?/\s?)?"
    r"(?P<sfx>[A-ZĐ][A-ZĐƯa-z0-9&]*(?:\s?[-_/]\s?[A-ZĐ][A-ZĐƯa-z0-9&]*)*)"
)
# A whole cell that is one act number (sheets: "number | title" with the number left out).
NUMBER = re.compile(
    r"\d+(?:\.\d+)?(?:\.?[a-z])?\s?/\s?(?:\d{4}\s?/\s?)?[A-ZĐ][A-ZĐƯa-z0-9&]*(?:\s?[-_/]\s?[A-ZĐ][A-ZĐƯa-z0-9&]*)*"
)
_YEAR_PREFIX = re.compile(r"^(?:19|20)\d\d")
# The title's own designation when the number column repeats it ("…Bộ Tư phápThông tư số" +
# "03/2023/TT-BTP"): the number column said "Thông tư số 03/2023/TT-BTP".
_NUMBER_PREFIX = re.compile(
    r"(?<=[a-zà-ỹđ.;,)])(?:Nghị định|Thông tư|Luật|Quyết định|Nghị quyết|Pháp lệnh|Số|NĐ|TT|QĐ|NQ)(?: số)?\s*$"
)
_CITED = re.compile(r"(?:Nghị định|Thông tư|Luật|Quyết định|Nghị quyết|Pháp lệnh|Lệnh|liên tịch|số)\s*$", re.IGNORECASE)
_TITLE_STRIP = " ;,:.-–\t"
_SPACED = re.compile(r"\s*([-_/])\s*")


@dataclass(frozen=True)
class Act:
    """One act number found in the table body: where it is and how it reads."""

    start: int
    end: int
    number: str  # normalised: spaces around "/" and "-" removed
    resolved: bool  # every issuer segment is a known code
    glued_after: bool  # the segment ran on into letters: the next text is glued to it


@dataclass
class LegalBasisRow:
    number: str | None
    title: str | None


@dataclass
class LegalBasisParse:
    rows: list[LegalBasisRow] = field(default_factory=list)
    flags: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail in Vietnamese)
    warnings: list[str] = field(default_factory=list)


def _issuer_length(segment: str) -> tuple[int, bool]:
    """How much of an issuer segment is the code: ``("CPNghị")`` → ``(2, True)``.

    A known code (longest first), a National Assembly code with its term ("QH13"), or, for an
    unknown code, the capitals before a capitalised word ("XYZQuy" → "XYZ", unresolved)."""
    m = _COUNCIL_CODE.match(segment)
    if m:
        return m.end(), True
    for code in _ISSUERS_BY_LENGTH:
        if segment.startswith(code):
            return len(code), True
    caps = re.match(r"[A-ZĐƯ0-9&]+", segment)
    length = caps.end() if caps else 0
    if length < len(segment) and segment[length].islower() and length > 1:
        length -= 1  # "XYZQuy": the Q starts the next word
    return max(length, 1), False


def find_acts(body: str) -> list[Act]:
    """Every act number in ``body`` with its issuer resolved, in order."""
    acts: list[Act] = []
    pos = 0
    while (m := _ACT.search(body, pos)) is not None:
        pos = m.end()
        num, year, start = m.group("num"), m.group("year"), m.start("num")
        # A year (or a period "2026-2030") of the title glued to the number: "năm 201102/2011".
        integer = num.split(".", 1)[0]
        if year and len(integer) > 4 and _YEAR_PREFIX.match(integer):
            start += 4
            num = num[4:]
        elif year and "." in num and len(integer) == 4 and _YEAR_PREFIX.match(integer):
            start += 5  # "năm 2020.08/2025": a sentence's year, then the number
            num = num[5:]
        if not num or not num[0].isdigit():
            pos = m.start("sfx")
            continue
        # Resolve the issuer segments one by one; stop where a segment runs into the next text.
        sfx_start = m.start("sfx")
        parts = re.split(r"(\s?[-_/]\s?)", m.group("sfx"))
        end = sfx_start
        resolved = True
        glued = False
        segments: list[str] = []
        separators: list[str] = []
        for i in range(0, len(parts), 2):
            segment = parts[i]
            if i:
                separators.append(parts[i - 1].strip())
                end += len(parts[i - 1])
            length, known = _issuer_length(segment)
            if i and not known and parts[i - 1] != parts[i - 1].strip():
                # "NĐ-CP - Quy định về…": a dash then a word of the title, not another code.
                end -= len(parts[i - 1])
                separators.pop()
                break
            resolved = resolved and known
            segments.append(segment[:length])
            end += length
            if length < len(segment):
                glued = True
                break
        code = segments[0] + "".join(sep + seg for sep, seg in zip(separators, segments[1:], strict=False))
        if glued and code[-1].isdigit() and not _COUNCIL_CODE.search(code[-6:]):
            # "TT-NHNN73/2025/…" is "TT-NHNN" + "73/2025/…", but "QĐ-NHNN792/2000/QĐ-NHNN7" is
            # "QĐ-NHNN7" + its own number again: keep the digit only when that number follows.
            if not body.startswith(num + "/", end) and _ACT.match(body, end - 1):
                code, end = code[:-1], end - 1
        number = f"{num}/{year}/{code}" if year else f"{num}/{code}"
        acts.append(Act(start, end, number, resolved, glued))
        pos = end  # "QH15193/2025/NĐ-CP": the next number starts right after the code
    return acts


def _normalise(text: str) -> str:
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\uf000-\uf0ff\u00a0\u2007\u202f\u200b\ufeff]", " ", text)
    text = text.replace("\n", " ")
    text = re.sub(r"[ ]{2,}", " ", text)
    return text.strip()


def _ends_row(body: str, act: Act, nxt: Act | None) -> bool:
    """Whether ``act`` is the number column of its row (see the module docstring)."""
    after = body[act.end :]
    stripped = after.lstrip(" .;,:-\t")
    if not stripped:
        return True  # the table ends
    first = after[:1]
    if first.isalpha():
        return True  # glued to the next title ("QH13sửa đổi…")
    if first.isdigit():
        # "Luật 51/2019/QH14" + "51/2019/QH14": the title ends with its own number.
        return not (nxt is not None and nxt.start == act.end and nxt.number == act.number)
    if first == "\t" or after.lstrip(" ").startswith("\t"):
        return True  # a tab separates the cells
    if first in ".;,:)":
        rest = after.lstrip(".;,:)")
        # "…TT-BTC.Nghị định…" ends a row; "…NĐ-CP). 86/2020…" or "…NĐ-CP; Thông tư…" do not.
        return bool(rest[:1]) and (rest[:1].isalpha() and rest[:1].isupper())
    if first == " ":
        rest = after[1:]
        if rest[:1].isupper() and rest[:1].isalpha():
            if _CITED.search(body[max(0, act.start - 20) : act.start]):
                return False  # "Quyết định 24/2024/QĐ-UBND Sơn La…": cited at the start of a title
            # "18/2026/NĐ-CP Nghị định quy định…": the next title after one space. A title
            # going on with a capitalised word is rare; an act number repeated at once is not.
            return not (nxt is not None and nxt.number == act.number and nxt.start <= act.end + 2)
        return False
    return False


def parse(text: str | None) -> LegalBasisParse:
    """The raw ``can_cu_phap_ly`` cell → rows (title + number) and quality flags."""
    result = LegalBasisParse()
    if text is None:
        return result
    raw = _normalise(str(text))
    if not raw or is_missing(raw):
        return result
    if not raw.startswith(LEGAL_HEADER):
        result.warnings.append("Căn cứ pháp lý không có dạng bảng: bỏ qua")
        return result
    body = raw[len(LEGAL_HEADER) :]
    acts = find_acts(body)
    pos = 0
    rows: list[LegalBasisRow] = []
    for i, act in enumerate(acts):
        if act.start < pos:
            continue
        nxt = acts[i + 1] if i + 1 < len(acts) else None
        if not _ends_row(body, act, nxt):
            continue
        title = _NUMBER_PREFIX.sub("", body[pos : act.start]).strip(_TITLE_STRIP) or None
        rows.append(LegalBasisRow(act.number, shorten(title, 1000) if title else None))
        if not act.resolved:
            result.flags.append(("legal_basis_suspect", f"Số hiệu “{act.number}” có mã cơ quan ban hành lạ"))
        pos = act.end
        # The row's number column may carry a trailing dot or dash before the next title.
        while pos < len(body) and body[pos] in ".-_\t ":
            if body[pos] == " " and pos + 1 < len(body) and body[pos + 1] not in "\t-":
                break
            pos += 1
    rest = body[pos:].strip(_TITLE_STRIP)
    if len(rest) >= 3:
        rows.append(LegalBasisRow(None, shorten(rest, 1000)))
        result.flags.append(("legal_basis_suspect", f"Dòng căn cứ pháp lý không có số hiệu: “{shorten(rest, 80)}”"))
    unique: list[LegalBasisRow] = []
    for row in rows:
        if row not in unique:
            unique.append(row)
    result.rows = unique
    for row in unique:
        if not row.title:
            continue
        for act in find_acts(row.title):
            before = row.title[act.start - 1 : act.start]
            glued = row.title[act.end : act.end + 1].isalpha()
            if glued or (before.isalpha() and before.islower()):
                # A number glued to a word inside a title is the number column of a row that
                # was not split off ("…nhân dân68/2013/TT-BCALuật…").
                result.flags.append(
                    ("legal_basis_rows_merged", f"Dòng “{shorten(row.title, 80)}” có thể gộp hai văn bản")
                )
                break
    for row in unique:
        if row.number and not re.fullmatch(r"\d+(?:\.\d+)?[a-z.]*/(?:\d{4}/)?[A-ZĐa-z0-9&_/-]+", row.number):
            result.flags.append(("legal_basis_suspect", f"Số hiệu “{row.number}” không đúng dạng"))
    return result


# --------------------------------------------------------------------------------------------
# An independent count, for the benchmark and the tests
# --------------------------------------------------------------------------------------------

_SIMPLE_ISSUER = "|".join(re.escape(code) for code in _ISSUERS_BY_LENGTH if not code[-1].isdigit())
SIMPLE_ACT = re.compile(
    rf"(?:(?<=19\d\d)|(?<=20\d\d)|(?<=19\d\d\.)|(?<=20\d\d\.)|(?<=QH\d\d)|(?<=\D\.)|(?<![\d.]))"
    rf"(?:\d{{1,3}}\.\d{{1,3}}|\d{{1,4}})/\d{{4}}/"
    rf"(?:(?:UBTVQH|QH)\d{{2}}|{_SIMPLE_ISSUER})(?:\s?-\s?(?:(?:UBTVQH|QH)\d{{2}}|{_SIMPLE_ISSUER}))*"
)


def simple_acts(text: str) -> list[str]:
    """Act numbers ``num/year/ISSUER…`` found by one plain regular expression, spaces removed:
    the yardstick the parser is measured against (``benchmarks/legal_basis.py``)."""
    return [_SPACED.sub(r"\1", m.group(0)) for m in SIMPLE_ACT.finditer(_normalise(text))]


_BOUNDARY_BEFORE = re.compile(r"(?:^|[^\d.]|\D\.|(?:19|20)\d\d\.?|QH\d\d)$")


def verbatim(number: str, source: str) -> bool:
    """Whether ``number`` stands whole in ``source`` (already ``squeeze``-d): not the tail of a
    longer number ("7/2025/NQ-CP" in "66.7/2025/NQ-CP", "3016/…" in "2026-203016/…") nor the
    head of one ("105/2025/NĐ" in "105/2025/NĐ-CP")."""
    wanted = squeeze(number)
    if re.search(r"[-/](?:UBTVQH|QH)\d?$", wanted):
        return False  # a National Assembly code without its two-digit term: "QH1" of "QH13"
    start = source.find(wanted)
    while start >= 0:
        after = source[start + len(wanted) : start + len(wanted) + 1]
        if _BOUNDARY_BEFORE.search(source[max(0, start - 5) : start]) and after not in ("-", "_", "&"):
            return True
        start = source.find(wanted, start + 1)
    return False


def squeeze(text: str) -> str:
    """The text with spaces around "/", "-" and "_" removed, to compare numbers verbatim."""
    return _SPACED.sub(r"\1", _normalise(text))


@dataclass
class LegalBasisCount:
    """One table measured against the source: the benchmark's figures for one record."""

    source_acts: int = 0  # distinct act numbers in the raw cell (``simple_acts``)
    rows: int = 0  # rows parsed
    numbers: int = 0  # rows with a number
    intact: int = 0  # parsed numbers found verbatim (spaces squeezed) in the raw cell
    kept: int = 0  # source acts found in the parsed rows (as a number or inside a title)
    lost: list[str] = field(default_factory=list)  # source acts not found in the parsed rows
    broken: list[str] = field(default_factory=list)  # parsed numbers not in the raw cell

    @property
    def differs(self) -> bool:
        return bool(self.lost or self.broken)


def measure(cell: str | None, rows: list[tuple[str | None, str | None]]) -> LegalBasisCount:
    """Compare parsed ``(number, title)`` rows with the raw cell they came from."""
    count = LegalBasisCount()
    if not cell:
        return count
    source = squeeze(cell)
    wanted = list(dict.fromkeys(simple_acts(cell)))
    found: set[str] = set()
    count.rows = len(rows)
    for number, title in rows:
        if number:
            count.numbers += 1
            if verbatim(number, source):
                count.intact += 1
                found.add(squeeze(number))
            else:
                count.broken.append(number)
            found.update(simple_acts(number))
        if title:
            found.update(simple_acts(title))
    count.source_acts = len(wanted)
    count.lost = [act for act in wanted if act not in found]
    count.kept = len(wanted) - len(count.lost)
    return count
