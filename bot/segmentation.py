"""Vietnamese word segmentation with exact offsets into the original text.

underthesea segments text typed with diacritics well, but it rewrites characters ("Hoà"→"Hòa",
"Ð"→"Đ") and it segments text typed without diacritics badly ("can giay" as one word). So:

* spans are found on the original text first, and never move;
* underthesea only decides which neighbouring spans form one word, on normalised text;
* runs typed without diacritics are segmented by longest match over a folded lexicon of
  compound words learned from the diacritic training examples, so "dang ky tam tru" gets the
  same words as "đăng ký tạm trú".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.vntext import canonical_tones, expand_token, fold, has_diacritics

# Token shapes, tried in order: a dotted unit prefix ("P.", "TP."), an identifier with dots,
# dashes or slashes (dossier codes, "123/2015/NĐ-CP"), then a plain word or number.
_SPAN_RE = re.compile(
    r"(?P<prefix>(?i:tp|tx|tt|p|q|h)\.)(?=\w)"
    r"|(?P<ident>\w+(?:[./\-]\w+)+)"
    r"|(?P<word>\w+)",
    re.UNICODE,
)
_PREFIX_WORDS = {"p": "phường", "q": "quận", "tp": "thành phố", "tx": "thị xã", "tt": "thị trấn", "h": "huyện"}
MAX_COMPOUND = 4


@dataclass(frozen=True)
class Word:
    """One token of the segmentation: its exact span in the input and its normalised forms."""

    start: int
    end: int
    text: str  # exactly input[start:end]
    norm: str  # normalised words with diacritics, syllables joined by "_"
    folded: str  # norm without diacritics

    @property
    def syllables(self) -> int:
        return self.norm.count("_") + 1


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    text: str
    words: tuple[str, ...]  # normalised (expanded, lower-case) words it stands for
    alphabetic: bool


def _spans(text: str) -> list[_Span]:
    spans = []
    for match in _SPAN_RE.finditer(text):
        surface = match.group(0)
        if match.lastgroup == "prefix":
            words: tuple[str, ...] = tuple(_PREFIX_WORDS[surface[:-1].lower()].split())
            alphabetic = True
        elif match.lastgroup == "ident":
            words, alphabetic = (surface.lower(),), False
        else:
            words = tuple(expand_token(canonical_tones(surface)).split())
            alphabetic = surface.isalpha()
        spans.append(_Span(match.start(), match.end(), surface, words, alphabetic))
    return spans


def _underthesea_groups(words: list[str]) -> list[int] | None:
    """Sizes of the words underthesea makes of ``words``, or None if it does not add up."""
    from underthesea import word_tokenize  # imported lazily: heavy, and only the Rasa env has it

    sizes = [len(w.split()) for w in word_tokenize(" ".join(words))]
    return sizes if sum(sizes) == len(words) else None


def _longest_match_groups(words: list[str], lexicon: frozenset[str]) -> list[int]:
    sizes = []
    i = 0
    while i < len(words):
        size = 1
        for n in range(min(MAX_COMPOUND, len(words) - i), 1, -1):
            if "_".join(fold(w) for w in words[i : i + n]) in lexicon:
                size = n
                break
        sizes.append(size)
        i += size
    return sizes


# Share of syllables typed with diacritics above which a run counts as written with them.
_DIACRITIC_SHARE = 0.3


def _group_run(words: list[str], typed_marks: list[bool], lexicon: frozenset[str], use_underthesea: bool) -> list[int]:
    if use_underthesea and sum(typed_marks) >= _DIACRITIC_SHARE * len(typed_marks):
        sizes = _underthesea_groups(words)
        if sizes is not None:
            return _regroup_unmarked(sizes, words, typed_marks, lexicon)
    return _longest_match_groups(words, lexicon)


def _regroup_unmarked(
    sizes: list[int], words: list[str], typed_marks: list[bool], lexicon: frozenset[str]
) -> list[int]:
    """In mixed text ("dang ky tam tru ở phường Hoà Bình"), underthesea leaves the words typed
    without marks as single syllables; group stretches of those by the folded lexicon."""
    result: list[int] = []
    position = 0
    stretch: list[int] = []  # start positions of consecutive unmarked single syllables

    def flush() -> None:
        if stretch:
            result.extend(_longest_match_groups(words[stretch[0] : stretch[-1] + 1], lexicon))
            stretch.clear()

    for size in sizes:
        if size == 1 and not typed_marks[position]:
            stretch.append(position)
        else:
            flush()
            result.append(size)
        position += size
    flush()
    return result


def segment(text: str, lexicon: frozenset[str] = frozenset(), use_underthesea: bool = True) -> list[Word]:
    """Words of ``text`` with exact offsets; compounds joined when the segmenter says so."""
    spans = _spans(text)
    # Flatten spans into normalised words, remembering which span each word came from.
    words: list[str] = []
    owner: list[int] = []
    for index, span in enumerate(spans):
        for word in span.words:
            words.append(word)
            owner.append(index)

    groups: list[tuple[int, int]] = []  # (first word, last word) inclusive
    run_start = 0
    for i in range(len(words) + 1):
        at_break = i == len(words) or not spans[owner[i]].alphabetic
        if not at_break:
            continue
        if run_start < i:
            position = run_start
            marks = [has_diacritics(spans[owner[k]].text) for k in range(run_start, i)]
            for size in _group_run(words[run_start:i], marks, lexicon, use_underthesea):
                groups.append((position, position + size - 1))
                position += size
        if i < len(words):
            groups.append((i, i))
        run_start = i + 1

    # A span expanded into several words ("đk" → "đăng ký") must stay in one token, so merge
    # groups that share a span.
    merged: list[tuple[int, int]] = []
    for first, last in groups:
        if merged and owner[first] == owner[merged[-1][1]]:
            merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))

    result = []
    for first, last in merged:
        start, end = spans[owner[first]].start, spans[owner[last]].end
        norm = "_".join(words[first : last + 1])
        result.append(Word(start=start, end=end, text=text[start:end], norm=norm, folded=fold(norm)))
    return result


def learn_lexicon(texts: Iterable[str], extra_phrases: Iterable[str] = ()) -> frozenset[str]:
    """Folded compound words seen when segmenting ``texts`` that carry diacritics."""
    lexicon = set()
    for text in texts:
        if not has_diacritics(text):
            continue
        for word in segment(text):
            if 1 < word.syllables <= MAX_COMPOUND and "_" in word.folded:
                lexicon.add(word.folded)
    for phrase in extra_phrases:
        words = [fold(w) for w in phrase.lower().split()]
        if 1 < len(words) <= MAX_COMPOUND:
            lexicon.add("_".join(words))
    return frozenset(lexicon)
