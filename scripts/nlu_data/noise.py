"""Text noise that imitates how citizens actually type Vietnamese.

Every function takes an explicit ``random.Random`` so the output depends only on the seed.
An example is a list of segments ``[text, entity]`` (``entity`` is None for plain text);
noise is applied per segment so entity spans always annotate exactly the surface text.
"""

from __future__ import annotations

import random
import re
import unicodedata

Segment = list  # [text: str, entity: str | None]

# ---------------------------------------------------------------------------
# Diacritics
# ---------------------------------------------------------------------------


def strip_diacritics(text: str) -> str:
    """Remove every Vietnamese diacritic: "Đăng ký" -> "Dang ky"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def has_diacritics(text: str) -> bool:
    return strip_diacritics(text) != text


_TONE_TELEX = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_VOWEL_TELEX = {"\u0306": "w", "\u031b": "w"}  # breve (ă), horn (ơ, ư); circumflex handled below


def telex(word: str, full: bool) -> str:
    """Render a word as raw Telex keystrokes, as when the input method is switched off.

    full=True:  "giấy" -> "giaays", "được" -> "dduwowcj"
    full=False: only the tone key is left over: "ký" -> "kys", "giấy" -> "giays"
    """
    tone = ""
    out = []
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TONE_TELEX:
            tone = _TONE_TELEX[ch]
        elif ch == "\u0302":  # circumflex: â ê ô -> aa ee oo
            if full and out:
                out.append(out[-1].lower())
        elif ch in _VOWEL_TELEX:
            if full:
                out.append("w")
        elif ch in "đĐ":
            out.append("dd" if full else "d")
        else:
            out.append(ch)
    return strip_diacritics("".join(out)) + tone


# Old-style tone placement ("hoà", "uỷ") is common in real input.
_OLD_TONE = [
    (re.compile(r"(?<=[hHtTxXlLkKgG])òa\b"), "oà"),
    (re.compile(r"(?<=[hHtTxXlLkKgG])óa\b"), "oá"),
    (re.compile(r"(?<=[hHtTxXlLkKgG])ỏa\b"), "oả"),
    (re.compile(r"(?<=[hHtTxXlLkKgG])ọa\b"), "oạ"),
    (re.compile(r"ủy\b"), "uỷ"),
    (re.compile(r"úy\b"), "uý"),
    (re.compile(r"\bký\b"), "kí"),
]


def old_tone_style(text: str) -> str:
    for pattern, repl in _OLD_TONE:
        text = pattern.sub(repl, text)
    return text


# ---------------------------------------------------------------------------
# Abbreviations / teencode (applied to plain-text segments, with diacritics still present)
# ---------------------------------------------------------------------------

W = r"(?<![\w])"  # left word boundary that also works for Vietnamese letters
E = r"(?![\w])"

ABBREVIATIONS: list[tuple[re.Pattern[str], list[str]]] = [
    (re.compile(W + p + E, re.IGNORECASE), repl)
    for p, repl in [
        ("thủ tục hành chính", ["tthc", "TTHC"]),
        ("ủy ban nhân dân", ["ubnd", "UBND", "ủy ban"]),
        ("hành chính công", ["hcc", "HCC", "hc công"]),
        ("số điện thoại", ["sđt", "sdt", "số đt", "sđt"]),
        ("điện thoại", ["đt", "dt"]),
        ("giấy khai sinh", ["gks", "giấy ks"]),
        ("căn cước công dân", ["cccd", "CCCD"]),
        ("như thế nào", ["ntn", "như nào", "thế nào"]),
        ("bao nhiêu", ["bn", "bnhiu", "bao nhiu", "nhiêu"]),
        ("không", ["ko", "k", "hok", "kg", "khum", "kh", "hông", "ko"]),
        ("được", ["dc", "đc", "đươc", "dc"]),
        ("gì", ["j", "gi", "zì"]),
        ("mình", ["mk", "mik", "mh"]),
        ("em", ["e"]),
        ("anh chị", ["a/c", "ac", "anh/chị"]),
        ("trước", ["trc", "trướt"]),
        ("với", ["vs", "vớ"]),
        ("đăng ký", ["đk", "dk", "đăng kí", "đky"]),
        ("hồ sơ", ["hs", "hồ sơ"]),
        ("hộ khẩu", ["hk", "hộ khẩu"]),
        ("biết", ["bít", "bik", "bit"]),
        ("rồi", ["r", "rùi", "ròi"]),
        ("vậy", ["v", "z", "zậy", "dzậy", "vại"]),
        ("cảm ơn", ["cám ơn", "cmon", "camon", "cảm ơn"]),
        ("bây giờ", ["bh", "bjo", "bi giờ"]),
        ("ạ", ["a", "ah", "ạ"]),
        ("nhé", ["nhe", "nha", "nhá", "nhen"]),
        ("muốn", ["mún", "muốn"]),
        ("người", ["ng", "ngừoi"]),
        ("online", ["onl", "onlai", "ol"]),
        ("hướng dẫn", ["hd", "hdan", "hướng dẫn"]),
        ("làm", ["lm", "làm"]),
        ("trung tâm", ["tt", "trung tâm"]),
        ("cán bộ", ["cb", "cán bộ"]),
        ("chồng", ["ck"]),
        ("vợ", ["vk"]),
        ("gia đình", ["gđ", "gia đình"]),
        ("tôi", ["tui", "tui", "t"]),
        ("cho em hỏi", ["cho e hỏi", "cho em hoi", "cho e hoi", "ce hỏi"]),
        ("chị ơi", ["c ơi", "chị ơiii"]),
        ("anh ơi", ["a ơi", "anh ơiii"]),
        ("ad ơi", ["ad oi", "ad ơiii", "add ơi"]),
    ]
]

# Entity spans only get the abbreviations people really use inside names.
ENTITY_ABBREVIATIONS: list[tuple[re.Pattern[str], list[str]]] = [
    (re.compile(W + p + E, re.IGNORECASE), repl)
    for p, repl in [
        ("đăng ký", ["đk", "dk", "đăng kí"]),
        ("giấy khai sinh", ["gks", "giấy ks"]),
        ("hộ khẩu", ["hk"]),
        ("căn cước công dân", ["cccd", "CCCD"]),
        ("chứng minh nhân dân", ["cmnd", "CMND"]),
        ("giấy phép xây dựng", ["gpxd", "GPXD"]),
        ("lý lịch tư pháp", ["lý lịch tp", "LLTP", "llTP"]),
    ]
]


def _apply_rules(text: str, rules, rng: random.Random, prob: float) -> str:
    for pattern, options in rules:
        if not pattern.search(text):
            continue

        def repl(m: re.Match[str], options: list[str] = options) -> str:
            if rng.random() < prob:
                return rng.choice(options)
            return m.group(0)

        text = pattern.sub(repl, text)
    return text


def abbreviate(segments: list[Segment], rng: random.Random, prob: float) -> None:
    for seg in segments:
        if seg[1] is None:
            seg[0] = _apply_rules(seg[0], ABBREVIATIONS, rng, prob)
        else:
            seg[0] = _apply_rules(seg[0], ENTITY_ABBREVIATIONS, rng, prob * 0.6)


# ---------------------------------------------------------------------------
# Typos
# ---------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def _typo_word(word: str, rng: random.Random, allow_telex: bool) -> str:
    if allow_telex and has_diacritics(word) and rng.random() < 0.5:
        return telex(word.lower(), full=rng.random() < 0.4)
    op = rng.random()
    i = rng.randrange(1, len(word))  # the first letter is rarely the mistyped one
    if op < 0.35 and len(word) > 3:  # dropped letter
        return word[:i] + word[i + 1 :]
    if op < 0.55:  # doubled letter
        return word[:i] + word[i] + word[i:]
    if op < 0.75 and i < len(word) - 1:  # swapped neighbours
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    # missing diacritic on one word only
    return strip_diacritics(word)


def add_typo(segments: list[Segment], rng: random.Random, allow_telex: bool) -> None:
    """Introduce one typo, usually in plain text, rarely inside an entity span."""
    candidates = []
    for idx, seg in enumerate(segments):
        weight = 1 if seg[1] is None else 0.15
        for m in _WORD.finditer(seg[0]):
            candidates.append((idx, m.start(), m.end(), weight))
    if not candidates:
        return
    total = sum(c[3] for c in candidates)
    pick = rng.random() * total
    for idx, start, end, weight in candidates:  # noqa: B007 - the candidate picked is used after the loop
        pick -= weight
        if pick <= 0:
            break
    text = segments[idx][0]
    segments[idx][0] = text[:start] + _typo_word(text[start:end], rng, allow_telex) + text[end:]


# ---------------------------------------------------------------------------
# Whole-example styles
# ---------------------------------------------------------------------------


def strip_some_words(segments: list[Segment], rng: random.Random, prob: float) -> None:
    """Half-typed diacritics: some words keep their marks, others lose them."""
    for seg in segments:
        seg[0] = re.sub(r"\w+", lambda m: strip_diacritics(m.group(0)) if rng.random() < prob else m.group(0), seg[0])


_UPPER_TOKENS = re.compile(r"\b(cccd|cmnd|ubnd|tthc|hcc|gks|vneid|sđt|sdt|ok|gpxd|tp)\b", re.IGNORECASE)


def apply_case(segments: list[Segment], rng: random.Random, mode: str) -> None:
    if mode == "lower":
        for seg in segments:
            seg[0] = seg[0].lower()
    elif mode == "upper":
        for seg in segments:
            seg[0] = seg[0].upper()
    elif mode == "sentence":
        for seg in segments:
            if seg[1] is None:
                seg[0] = _UPPER_TOKENS.sub(lambda m: m.group(0).upper() if rng.random() < 0.5 else m.group(0), seg[0])
        for seg in segments:
            if seg[0].strip():
                stripped = seg[0].lstrip()
                lead = seg[0][: len(seg[0]) - len(stripped)]
                seg[0] = lead + stripped[:1].upper() + stripped[1:]
                break
    # "keep": leave as written (proper names capitalised, rest lower case)
