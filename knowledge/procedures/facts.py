"""What kind of fact a fee or a deadline is, derived from the source's own text.

The national portal's fee cell often says "Miễn phí" while its description names amounts, a
Circular or the provincial People's Council; its time cell sometimes loses its unit ("5"). A
citizen must never read such a fact as a certainty, so every channel says what kind of fact its
fee and its deadline are:

- fee: ``free`` (the source says free and nothing contradicts it), ``amount`` (one stated amount),
  ``by_regulation`` (the amount is set by a named instrument or by the People's Council),
  ``unclear`` (the source contradicts itself or is implausible), ``unknown`` (no information);
- deadline: ``working_days``, ``days`` (calendar days), ``same_day``, ``unclear`` (unit lost,
  contradictory), ``unknown``.

Pure functions over text (stdlib only): the importer derives the kinds of imported records, the
seed check proposes them for the reviewed files, and quality flags tell editors what to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, get_args

FeeKind = Literal["free", "amount", "by_regulation", "unclear", "unknown"]
FEE_KINDS: tuple[FeeKind, ...] = get_args(FeeKind)
FEE_KIND_LABELS: dict[str, str] = {
    "free": "Miễn phí",
    "amount": "Có mức thu cụ thể",
    "by_regulation": "Theo quy định (văn bản/HĐND tỉnh)",
    "unclear": "Chưa rõ — cần xác minh",
    "unknown": "Chưa có thông tin",
}

DeadlineKind = Literal["working_days", "days", "same_day", "unclear", "unknown"]
DEADLINE_KINDS: tuple[DeadlineKind, ...] = get_args(DeadlineKind)
DEADLINE_KIND_LABELS: dict[str, str] = {
    "working_days": "Ngày làm việc",
    "days": "Ngày (theo lịch)",
    "same_day": "Trong ngày",
    "unclear": "Chưa rõ — cần xác minh",
    "unknown": "Chưa có thông tin",
}

QUALITY_FLAG_KINDS: dict[str, str] = {
    "fee_free_contradicted": "Ô phí ghi “Miễn phí” nhưng mô tả nêu mức thu, văn bản hoặc HĐND",
    "fee_amount_implausible": "Mức phí khó tin (dưới 1.000 đồng)",
    "fee_amounts_disagree": "Mức phí ở ô phí khác mức trong mô tả",
    "deadline_unit_lost": "Thời hạn mất đơn vị (chỉ có con số)",
    "deadline_contradictory": "Thời hạn mâu thuẫn hoặc không dùng được",
    "legal_basis_suspect": "Số hiệu văn bản pháp lý không giống số hiệu thật",
    "legal_basis_rows_merged": "Các dòng căn cứ pháp lý bị dính vào nhau",
    "document_prose": "Dòng diễn giải trong bảng hồ sơ đã chuyển sang hướng dẫn",
    "agency_cleaned": "Đã bỏ ký tự thừa của nguồn trong tên cơ quan",
    "channel_duplicate_kind": "Hai cách nộp cùng loại mà không ghi điều kiện phân biệt",
}
QualityFlagKind = Literal[
    "fee_free_contradicted",
    "fee_amount_implausible",
    "fee_amounts_disagree",
    "deadline_unit_lost",
    "deadline_contradictory",
    "legal_basis_suspect",
    "legal_basis_rows_merged",
    "document_prose",
    "agency_cleaned",
    "channel_duplicate_kind",
]

# Amounts below this many đồng are not a real fee: the portal lost digits ("50 VNĐ").
PLAUSIBLE_MIN_VND = 1000
MISSING_TEXTS = ("không có thông tin", "không có", "không", "không quy định", "chưa có thông tin", "")


@dataclass(frozen=True)
class QualityFlag:
    kind: str  # a key of QUALITY_FLAG_KINDS
    detail: str  # Vietnamese, for the editor: what the source shows

    @property
    def label(self) -> str:
        return QUALITY_FLAG_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class FeeFact:
    kind: FeeKind
    fee_vnd: int | None = None
    unit: str | None = None  # what the amount is per: "hồ sơ", "bản", "trường hợp"…
    basis: str | None = None  # the instrument or body that sets the amount
    flags: list[QualityFlag] = field(default_factory=list)


@dataclass(frozen=True)
class DeadlineFact:
    kind: DeadlineKind
    days: float | None = None
    flags: list[QualityFlag] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Instruments: act numbers and People's Council mentions
# --------------------------------------------------------------------------------------------

# "244/2016/TT-BTC", "66.7/2025/NQ-CP" (decimal numbers), "105/2025/NĐ- CP" (a spaced dash),
# "31/2024/QH15", "16/2026/QĐ-UBND", "85/2019/TT-BTC".
_ACT = re.compile(
    r"(?<![\w./])(?P<num>\d{1,4}(?:\.\d{1,3})?)\s?/\s?(?P<year>(?:19|20)\d{2})\s?/\s?"
    r"(?P<type>[A-ZĐ]{1,6}(?:\d{1,2})?(?:\s?-\s?[A-ZĐ][A-ZĐ0-9]{0,14})*)(?![\w])"
)
_COUNCIL = re.compile(
    r"Hội đồng nhân dân(?:\s+(?P<where>cấp tỉnh|các tỉnh|tỉnh|thành phố)"
    r"(?:,?\s*thành phố trực thuộc (?:T|t)rung ương)?)?|\bHĐND(?:\s+(?:cấp\s+)?tỉnh)?",
)
COUNCIL_BASIS = "Nghị quyết của Hội đồng nhân dân cấp tỉnh"


def _act_number(m: re.Match[str]) -> str:
    kind = re.sub(r"\s+", "", m.group("type"))
    return f"{m.group('num')}/{m.group('year')}/{kind}"


def instruments_in(text: str | None) -> list[str]:
    """Act numbers ("244/2016/TT-BTC", "66.7/2025/NQ-CP", "105/2025/NĐ-CP" also when written
    "105/2025/NĐ- CP") and People's Council mentions ("Hội đồng nhân dân cấp tỉnh"), in order of
    appearance, each once."""
    if not text:
        return []
    found: list[tuple[int, str]] = [(m.start(), _act_number(m)) for m in _ACT.finditer(text)]
    council = _COUNCIL.search(text)
    if council:
        found.append((council.start(), _council_name(council)))
    unique: list[str] = []
    for _, name in sorted(found):
        if name not in unique:
            unique.append(name)
    return unique


def _council_name(m: re.Match[str]) -> str:
    where = m.groupdict().get("where")
    if m.group(0).startswith("HĐND"):
        return "Hội đồng nhân dân cấp tỉnh"
    if where == "thành phố":
        return "Hội đồng nhân dân tỉnh, thành phố"
    if where in ("tỉnh", "các tỉnh"):
        return "Hội đồng nhân dân tỉnh"
    return "Hội đồng nhân dân cấp tỉnh"


def is_council(name: str) -> bool:
    return name.startswith("Hội đồng nhân dân")


# --------------------------------------------------------------------------------------------
# Fees
# --------------------------------------------------------------------------------------------

_FREE = re.compile(r"^\s*miễn (?:phí|lệ phí|thu)\b", re.IGNORECASE)
_FREE_SAID = re.compile(r"\b(?:miễn phí|không (?:thu|mất|phải nộp) (?:phí|lệ phí)|không thu)\b", re.IGNORECASE)
_CELL_AMOUNT = re.compile(
    r"^\s*(?P<amount>\d{1,3}(?:[.,]\d{3})+|\d+)\s*(?P<cur>Việt Nam Đồng|VNĐ|VND|vnđ|Đồng|đồng|đ|USD)\b"
    r"(?:\s*/\s*(?P<unit>[^\s(),;.]+(?:\s[^\s(),;.0-9]+){0,2}))?",
)
# An amount of money in prose: "25.000 đồng", "20 triệu đồng", "10.000đ", "15000000/lần Đồng",
# "165 USD/thẻ". Group "unit" is what it is per ("hồ sơ", "bản").
_MONEY = re.compile(
    r"(?<![\d/.,])(?P<amount>\d{1,3}(?:[.,]\d{3})+|\d+)(?:\s*(?P<scale>triệu|nghìn|ngàn))?"
    r"(?:\s*(?P<cur>đồng|Đồng|VNĐ|vnđ|VND|đ\b|USD)(?:\s*/\s*(?P<unit>\d*\s*[^\s(),;:.0-9]+(?:\s[^\s(),;:.0-9\-+]+){0,2}))?"
    r"|\s*/\s*(?P<unit2>[^\s(),;:.0-9]+(?:\s[^\s(),;:.0-9\-+]+)?)\s*(?P<cur2>Đồng|đồng|VNĐ)"
    r"|(?<=\d[.,]\d{3})(?P<cur3>)\s*/\s*(?P<unit3>[^\s(),;:.0-9]+))"
)
# A leading "/hồ sơ" in a description continues the fee cell ("20,000 Việt Nam Đồng" + "/hồ sơ").
_LEADING_UNIT = re.compile(r"^\s*/\s*(?:0?1\s+)?(?P<unit>[^\s(),;:.0-9]+(?:\s[^\s(),;:.0-9\-+]+){0,2})")
# Units of two words; any other unit is its first word ("lần đăng ký" → "lần", "người/lần" stays).
_TWO_WORD_UNITS = (
    "hồ sơ",
    "trường hợp",
    "hộ chiếu",
    "giao dịch",
    "phương tiện",
    "giấy phép",
    "chứng chỉ",
    "văn bản",
    "giấy chứng",
    "bản sao",
    "bản chính",
)
_PERCENT = re.compile(r"\d\s*%")
# Regulation named without an act number.
_REGULATION_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Luật Phí và lệ phí", re.IGNORECASE), "Luật Phí và lệ phí và văn bản hướng dẫn"),
    (re.compile(r"pháp luật về phí(?:,| và)? lệ phí", re.IGNORECASE), "Luật Phí và lệ phí và văn bản hướng dẫn"),
    (re.compile(r"Ủy ban nhân dân (?:cấp )?tỉnh(?: quy định| quyết định)", re.IGNORECASE), "Ủy ban nhân dân cấp tỉnh"),
    (
        re.compile(r"(?:quy định|Thông tư) (?:thu phí )?của (?:Bộ trưởng )?Bộ Tài chính", re.IGNORECASE),
        "Thông tư của Bộ Tài chính",
    ),
    (re.compile(r"pháp luật về giá", re.IGNORECASE), "Pháp luật về giá"),
    (re.compile(r"quy định của chính quyền địa phương", re.IGNORECASE), "Quy định của chính quyền địa phương"),
)


def _money(text: str) -> list[tuple[int | None, str, str | None]]:
    """(amount in đồng or None for a foreign currency, the matched text, unit) for each amount."""
    found: list[tuple[int | None, str, str | None]] = []
    for m in _MONEY.finditer(text):
        cur = m.group("cur") or m.group("cur2") or ("đồng" if m.group("cur3") is not None else None)
        if cur is None:
            continue
        digits = int(re.sub(r"\D", "", m.group("amount")))
        scale = m.group("scale")
        if scale == "triệu":
            digits *= 1_000_000
        elif scale in ("nghìn", "ngàn"):
            digits *= 1000
        amount: int | None = None if cur == "USD" else digits
        found.append((amount, m.group(0), _clean_unit(m.group("unit") or m.group("unit2") or m.group("unit3"))))
    return found


def _clean_unit(unit: str | None) -> str | None:
    """ "01 lần cấp" → "lần", "Giấy chứng nhận" → "giấy chứng nhận", "trang" → "trang"."""
    if not unit:
        return None
    words = re.sub(r"^0?1\s+", "", unit.strip()).strip(" .;,:-").lower().split()
    if not words:
        return None
    if len(words) >= 2 and " ".join(words[:2]) in _TWO_WORD_UNITS:
        if words[:2] == ["giấy", "chứng"] and len(words) >= 3:
            return "giấy chứng nhận"
        return " ".join(words[:2])
    return words[0]


def _is_missing(text: str | None) -> bool:
    return text is None or text.strip().strip(".").strip().lower() in MISSING_TEXTS


def _regulations(text: str) -> list[str]:
    names = instruments_in(text)
    for pattern, name in _REGULATION_PHRASES:
        if pattern.search(text) and name not in names:
            names.append(name)
    return names


def _basis(names: list[str]) -> str | None:
    if not names:
        return None
    parts = []
    for name in names:
        if is_council(name):
            parts.append(COUNCIL_BASIS)
        elif re.match(r"\d", name):
            parts.append(_act_title(name))
        else:
            parts.append(name)
    unique: list[str] = []
    for part in parts:
        if part not in unique:
            unique.append(part)
    return "; ".join(unique)


_ACT_TITLES = {
    "TT": "Thông tư",
    "NĐ": "Nghị định",
    "NQ": "Nghị quyết",
    "QĐ": "Quyết định",
    "TTLT": "Thông tư liên tịch",
    "L": "Luật",
}


def _act_title(number: str) -> str:
    kind = number.split("/")[-1].split("-")[0]
    if kind.startswith("QH"):
        return f"Luật {number}"
    title = _ACT_TITLES.get(kind)
    return f"{title} {number}" if title else number


# A sentence about the fee of an optional copy ("Phí cấp bản sao Trích lục (nếu có yêu cầu) theo
# Thông tư 281/2016/TT-BTC") is not about the procedure's own fee.
_OPTIONAL_COPY = re.compile(r"bản sao[^.;\n]*nếu có yêu cầu|nếu có yêu cầu[^.;\n]*bản sao", re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.;])\s+|\n+|\s+-\s+")
# A fee that is paid although the cell says free ("Trả phí cho đơn vị cung cấp dịch vụ").
_PAID = re.compile(r"\b(?:trả|nộp|thu|tạm thu) (?:phí|lệ phí|cước)\b", re.IGNORECASE)
_FEE_LEVEL = re.compile(r"mức (?:thu|phí|lệ phí)|biểu phí", re.IGNORECASE)
# "Miễn lệ phí cho người thuộc hộ nghèo…", "Miễn phí đối với: …": free for some, so others pay.
_EXEMPTION = re.compile(r"\bmiễn (?:phí|lệ phí|thu)\b[^.;]*?\b(?:cho|đối với|trường hợp)\b", re.IGNORECASE)
_NO_FEE = re.compile(
    r"\b(?:miễn|không (?:có|thu|mất|phải nộp|phải trả))\s+(?:thu\s+)?(?:phí|lệ phí)(?:\s*,\s*lệ phí)?\b", re.IGNORECASE
)
# "Đối với tàu có dung tích …", "Tàu bay->Dưới 20 tấn": the cell is one case of a table of fees.
_ONE_CASE = re.compile(r"^\W*(?:đối với|trường hợp)\b|->", re.IGNORECASE)
# A fee named in the description ("Phí thẩm định", "Lệ phí cấp giấy chứng nhận", "chi phí dự thi").
_FEE_NAMED = re.compile(r"\b(?:phí|lệ phí|chi phí|cước)\b", re.IGNORECASE)


def _without_optional_copies(text: str) -> str:
    return " ".join(part for part in _SENTENCES.split(text) if part and not _OPTIONAL_COPY.search(part)).strip()


def derive_fee(fee_cell: str | None, description: str | None) -> FeeFact:
    """The kind of a channel's fee from the portal's fee cell ("Miễn phí", "20,000 Việt Nam
    Đồng", "Không có thông tin") and its description (the parenthesised text after it, or a
    seed note). Never more certain than the text: "Miễn phí" contradicted by its description is
    not ``free``; an amount below 1.000 đồng or one the description disagrees with is ``unclear``;
    an amount the description says the People's Council decides is ``by_regulation``.

    The fee of an optional copy ("Phí cấp bản sao … (nếu có yêu cầu) theo Thông tư 281/2016")
    is set aside: it is not the procedure's fee, and the note that states it stays with the channel."""
    cell = (fee_cell or "").strip()
    desc = (description or "").strip()
    # A seed text "Miễn phí (Cổng ghi thu theo …)": the parenthesis is description too.
    if cell and not _is_missing(cell):
        head = re.match(r"^(Miễn phí|[^()]*?)\s*\((?P<rest>.*)\)\s*$", cell, re.DOTALL)
        if head and head.group(1):
            cell = head.group(1).strip()
            desc = f"{head.group('rest')}\n{desc}".strip()
    desc = _without_optional_copies(desc)
    if _is_missing(desc):
        desc = ""
    flags: list[QualityFlag] = []
    regs = _regulations(desc)
    money = _money(desc)
    vnd_in_desc = [a for a, _, _ in money if a is not None and a >= PLAUSIBLE_MIN_VND]
    council = any(is_council(name) for name in regs)

    if _is_missing(cell):
        if not desc:
            return FeeFact("unknown")
        if regs:
            return FeeFact("by_regulation", basis=_basis(regs))
        if len(set(vnd_in_desc)) == 1 and len(money) == 1:
            return FeeFact("amount", fee_vnd=vnd_in_desc[0], unit=money[0][2])
        if money or _PERCENT.search(desc):
            return FeeFact(
                "unclear", flags=[QualityFlag("fee_amounts_disagree", f"Mô tả nêu nhiều mức: “{_short(desc)}”")]
            )
        if _FREE.search(desc):
            return FeeFact("free", fee_vnd=0)
        return FeeFact("unknown")

    if _FREE.match(cell) or _FREE_SAID.fullmatch(cell.strip(" .")):
        if not regs and not money and not _PERCENT.search(desc) and not _FEE_LEVEL.search(desc):
            rest = _NO_FEE.sub(" ", desc)
            if _PAID.search(rest) or _EXEMPTION.search(desc) or _ONE_CASE.search(desc) or _FEE_NAMED.search(rest):
                flags.append(QualityFlag("fee_free_contradicted", f"Ô phí “{cell}” nhưng mô tả: “{_short(desc)}”"))
                return FeeFact("unclear", flags=flags)
            return FeeFact("free", fee_vnd=0)
        what = "văn bản/HĐND" if regs else "mức thu"
        flags.append(QualityFlag("fee_free_contradicted", f"Ô phí “{cell}” nhưng mô tả nêu {what}: “{_short(desc)}”"))
        if regs:
            return FeeFact("by_regulation", basis=_basis(regs), flags=flags)
        return FeeFact("unclear", flags=flags)

    m = _CELL_AMOUNT.match(cell)
    if m is None:
        # Free text in the fee cell: read it like a description.
        sub = derive_fee(None, f"{cell}\n{desc}")
        if sub.kind == "unknown":
            return FeeFact("unclear", flags=[QualityFlag("fee_amounts_disagree", f"Ô phí không rõ: “{_short(cell)}”")])
        return sub
    amount = int(re.sub(r"\D", "", m.group("amount")))
    currency = m.group("cur")
    unit = _clean_unit(m.group("unit"))
    leading = _LEADING_UNIT.match(desc)
    if unit is None and leading:
        unit = _clean_unit(leading.group("unit"))
    if unit is None:
        units = {u for a, _, u in money if u and (a == amount or a is None)}
        if len(units) == 1:
            unit = units.pop()
    basis = _basis(regs)
    if council:
        # "Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định": the cell's amount is one
        # province's (or the portal's example), not the citizen's.
        return FeeFact("by_regulation", unit=unit, basis=basis)
    if currency == "USD":
        usd = {int(re.sub(r"\D", "", t.split("USD")[0])) for a, t, _ in money if a is None and "USD" in t}
        if usd - {amount}:
            flags.append(QualityFlag("fee_amounts_disagree", f"Ô phí {cell}; mô tả: “{_short(desc)}”"))
            return FeeFact("unclear", unit=unit, basis=basis, flags=flags)
        return FeeFact("amount", fee_vnd=None, unit=unit, basis=basis)
    if amount < PLAUSIBLE_MIN_VND:
        flags.append(QualityFlag("fee_amount_implausible", f"Ô phí ghi “{cell}”"))
        if vnd_in_desc and set(vnd_in_desc) != {amount}:
            flags.append(QualityFlag("fee_amounts_disagree", f"Ô phí {cell}; mô tả: “{_short(desc)}”"))
        return FeeFact("unclear", unit=unit, basis=basis, flags=flags)
    if set(vnd_in_desc) - {amount} or _PERCENT.search(desc):
        # Another amount, or a rate ("thu bằng 50% mức này"): the cell is not what is charged.
        flags.append(QualityFlag("fee_amounts_disagree", f"Ô phí {cell}; mô tả: “{_short(desc)}”"))
        return FeeFact("unclear", unit=unit, basis=basis, flags=flags)
    return FeeFact("amount", fee_vnd=amount, unit=unit, basis=basis)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------------------------
# Deadlines
# --------------------------------------------------------------------------------------------

_DURATION = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>ngày làm việc|ngày làm viêc|ngày|giờ làm việc|giờ|tháng|tuần|năm|phút)",
    re.IGNORECASE,
)
_SAME_DAY = re.compile(r"^\s*(?:ngay\s+)?trong (?:ngày|ngày làm việc|buổi)\b|^\s*ngay (?:trong ngày|khi|sau khi)", re.I)
_BARE = re.compile(r"^\s*(?P<num>\d+(?:[.,]\d+)?)\s*(?:\(không rõ đơn vị\))?\s*$")


def derive_deadline(time_text: str | None, days: float | None) -> DeadlineFact:
    """The kind of a channel's deadline from the time text ("05 ngày làm việc", "Trong ngày",
    "15 ngày", "5" whose unit the portal lost) and the number of days stored beside it."""
    text = (time_text or "").strip()
    if _is_missing(text) or (text.lower().startswith("không") and not _DURATION.search(text)):
        if days is None:
            return DeadlineFact("unknown")
        return DeadlineFact(
            "unclear",
            flags=[QualityFlag("deadline_unit_lost", f"Có số ngày {_num(days)} nhưng không có thời hạn bằng chữ")],
        )
    if _SAME_DAY.search(text):
        if days not in (None, 0, 1):
            return DeadlineFact(
                "unclear",
                flags=[QualityFlag("deadline_contradictory", f"“{_short(text)}” nhưng số ngày là {_num(days)}")],
            )
        return DeadlineFact("same_day", days=days)
    bare = _BARE.match(text)
    if bare:
        return DeadlineFact(
            "unclear",
            flags=[QualityFlag("deadline_unit_lost", f"Nguồn chỉ ghi “{bare.group('num')}”, không có đơn vị")],
        )
    m = _DURATION.search(text)
    if m is None:
        return DeadlineFact("unclear" if days is not None else "unknown")
    number = float(m.group("num").replace(",", "."))
    unit = m.group("unit").lower()
    if number == 0:
        return DeadlineFact(
            "unclear", flags=[QualityFlag("deadline_contradictory", f"Nguồn ghi thời hạn “{_short(text)}”")]
        )
    if unit.startswith("ngày làm vi"):
        kind: DeadlineKind = "working_days"
    elif unit == "ngày":
        kind = "days"
    elif unit.startswith("giờ"):
        if number <= 8:
            return DeadlineFact("same_day", days=days if days in (None, 0, 1) else None)
        if number % 24 == 0:
            kind, number = "days", number / 24
        else:
            return DeadlineFact("unclear")
    else:
        # Weeks, months, years: a firm deadline, but not a number of days the store can hold.
        return DeadlineFact("unclear")
    if days is not None and abs(days - number) > 1e-9:
        return DeadlineFact(
            "unclear",
            flags=[QualityFlag("deadline_contradictory", f"“{_short(text)}” nhưng số ngày là {_num(days)}")],
        )
    return DeadlineFact(kind, days=number)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
