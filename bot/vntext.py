"""Vietnamese text normalisation and folding, shared by the NLU pipeline and the knowledge search.

Dependency-free on purpose: the Rasa runtime and the application are separate environments, and
both must treat text alike ("hoà" and "hòa", "dang ky" and "đăng ký") so that what the NLU
recognises is what the search finds.

Every function that maps text to text character by character (``fold``, ``canonical_tones``)
preserves length, so offsets computed on the output are valid on the input.
"""

from __future__ import annotations

import re
import unicodedata

# Combining marks, as produced by NFD.
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng
_QUALITY_MARKS = {"\u0302", "\u0306", "\u031b"}  # circumflex (â ê ô), breve (ă), horn (ơ ư)
_VOWELS = set("aeiouy")

# The Icelandic eth looks like "Đ" and turns up in text pasted from old documents.
_ETH_TABLE = {ord("Ð"): "Đ", ord("ð"): "đ"}
_FOLD_TABLE = {ord("đ"): "d", ord("Đ"): "D", ord("Ð"): "D", ord("ð"): "d"}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fold_char(char: str) -> str:
    if char in "đĐÐð":
        return char.translate(_FOLD_TABLE)
    decomposed = unicodedata.normalize("NFD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Keep length: a character that folds to nothing or to several characters is left as it is.
    return base if len(base) == 1 else char


_fold_cache: dict[str, str] = {}


def fold(text: str) -> str:
    """Lower-case and strip every diacritic, one output character per input character.

    >>> fold("Đăng ký Khai sinh")
    'dang ky khai sinh'
    """
    out = []
    for char in text:
        folded = _fold_cache.get(char)
        if folded is None:
            folded = _fold_char(char).lower()
            if len(folded) != 1:  # e.g. "İ".lower() has two code points
                folded = char
            _fold_cache[char] = folded
        out.append(folded)
    return "".join(out)


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


def _place_tone(letters: list[str], marks: list[set[str]]) -> int | None:
    """Index of the vowel that carries the tone mark in the traditional ("hòa", "thủy") style."""
    lowered = [c.lower() for c in letters]
    start = 0
    word = "".join(lowered)
    # "qu" and "gi" (before another vowel) are consonants: "quý", "già".
    if word.startswith("qu") or (word.startswith("gi") and len(word) > 2 and word[2] in _VOWELS):
        start = 2
    vowel_idx = [i for i in range(start, len(lowered)) if lowered[i] in _VOWELS]
    if not vowel_idx:
        vowel_idx = [i for i in range(len(lowered)) if lowered[i] in _VOWELS]
    if not vowel_idx:
        return None
    # A vowel with a quality mark carries the tone; in "ươ" it is the second one.
    marked = [i for i in vowel_idx if marks[i] & _QUALITY_MARKS]
    if marked:
        return marked[-1]
    first, last = vowel_idx[0], vowel_idx[-1]
    has_final = last < len(lowered) - 1
    n = len(vowel_idx)
    if n == 1:
        return first
    if has_final:
        return last
    if n == 2:
        return first
    return vowel_idx[1]


_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)


def _canonical_syllable(match: re.Match[str]) -> str:
    syllable = match.group(0)
    decomposed = unicodedata.normalize("NFD", syllable)
    letters: list[str] = []
    marks: list[set[str]] = []
    tone: str | None = None
    for char in decomposed:
        if unicodedata.combining(char):
            if not letters:
                return syllable
            if char in _TONE_MARKS:
                if tone is not None:
                    return syllable  # two tones: not a Vietnamese syllable, leave it alone
                tone = char
            else:
                marks[-1].add(char)
        else:
            letters.append(char)
            marks.append(set())
    if tone is None or len(letters) > 7:
        return syllable
    target = _place_tone(letters, marks)
    if target is None:
        return syllable
    marks[target].add(tone)
    rebuilt = "".join(
        letter + "".join(sorted(m, key=lambda c: c in _TONE_MARKS)) for letter, m in zip(letters, marks, strict=False)
    )
    result = unicodedata.normalize("NFC", rebuilt)
    # Only accept a rewrite that keeps one character per original character (NFC input assumed).
    return result if len(result) == len(syllable) else syllable


def canonical_tones(text: str) -> str:
    """NFC with tone marks in one placement, so "hoà"/"hòa" and "thuỷ"/"thủy" compare equal.

    >>> canonical_tones("Hoà Bình, thuỷ lợi, khoẻ")
    'Hòa Bình, thủy lợi, khỏe'
    """
    return _WORD_RE.sub(_canonical_syllable, nfc(text).translate(_ETH_TABLE))


# Abbreviations and teencode citizens write, mapped to the words they stand for. A key without
# diacritics matches only a token typed without diacritics, so "hồng" is never read as "hong".
ABBREVIATIONS: dict[str, str] = {
    "dk": "đăng ký",
    "đk": "đăng ký",
    "dky": "đăng ký",
    "đky": "đăng ký",
    "gks": "giấy khai sinh",
    "gkh": "giấy kết hôn",
    "cccd": "căn cước công dân",
    "cmnd": "chứng minh nhân dân",
    "cmt": "chứng minh thư",
    "sdt": "số điện thoại",
    "tthc": "thủ tục hành chính",
    "hk": "hộ khẩu",
    "hs": "hồ sơ",
    "ubnd": "ủy ban nhân dân",
    "hcc": "hành chính công",
    "dvc": "dịch vụ công",
    "gcn": "giấy chứng nhận",
    "qsdd": "quyền sử dụng đất",
    "gpxd": "giấy phép xây dựng",
    "hkd": "hộ kinh doanh",
    "lltp": "lý lịch tư pháp",
    "tp": "thành phố",
    "ko": "không",
    "k": "không",
    "kg": "không",
    "kh": "không",
    "hok": "không",
    "dc": "được",
    "đc": "được",
    "j": "gì",
    "gi": "gì",
    "bn": "bao nhiêu",
    "bnhieu": "bao nhiêu",
    "ntn": "như thế nào",
    "mk": "mình",
    "mik": "mình",
    "vs": "với",
    "trc": "trước",
    "ng": "người",
    "nc": "nước",
    "r": "rồi",
    "zậy": "vậy",
    "dzậy": "vậy",
    "z": "vậy",
}

# Unit prefixes written with a dot ("P.5", "Q.3", "TP.HCM"): expanded before tokenising.
_UNIT_PREFIX_RE = re.compile(r"(?i)\b(p|q|tp|tx|tt|h)\.\s*(?=\w)")
_UNIT_PREFIXES = {"p": "phường ", "q": "quận ", "tp": "thành phố ", "tx": "thị xã ", "tt": "thị trấn ", "h": "huyện "}


def expand_token(token: str) -> str:
    """The words an abbreviated token stands for, or the token itself (lower-cased)."""
    lowered = token.lower()
    return ABBREVIATIONS.get(lowered, lowered)


_SPACE_RE = re.compile(r"\s+")
_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """The canonical form used for matching and search: NFC, one tone placement, lower case,
    abbreviations and dotted unit prefixes expanded, punctuation reduced to spaces.

    >>> normalize("Cho e hỏi đk tạm trú ở P.5 Q.3 cần j ạ?")
    'cho e hỏi đăng ký tạm trú ở phường 5 quận 3 cần gì ạ'
    """
    text = canonical_tones(text)
    text = _UNIT_PREFIX_RE.sub(lambda m: _UNIT_PREFIXES[m.group(1).lower()], text)
    words = [expand_token(token) for token in _TOKEN_RE.findall(text)]
    return _SPACE_RE.sub(" ", " ".join(words)).strip()


def normalize_folded(text: str) -> str:
    """``normalize`` then ``fold``: the diacritic-insensitive key."""
    return fold(normalize(text))
