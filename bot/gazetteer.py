"""Entity mentions found by pattern and by gazetteer, on folded text so diacritics do not matter.

Dependency-free: the Rasa component wraps it, and the application may use it too. Because
``fold`` and ``canonical_tones`` keep one character per character, offsets found on the folded
text are offsets in the citizen's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.vntext import canonical_tones, expand_token, fold, nfc

GAZETTEER_DIR = Path(__file__).resolve().parent / "gazetteers"

# 000.00.01.H29-250710-0012 (agency code, date, sequence) and shorter local shapes (G22.99-250801-0003).
DOSSIER_CODE_RE = re.compile(r"(?<![\w.])[A-Za-z0-9]{1,4}(?:\.[A-Za-z0-9]{1,4}){1,4}-\d{6}-\d{3,6}(?![\w-])")
# Vietnamese phone numbers: 0 or +84 then 9 digits, optionally grouped with spaces, dots or dashes.
PHONE_RE = re.compile(r"(?<![\w+])(?:\+84|0)(?:[ .\-]?\d){9}(?!\d)")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_PHRASE_WORDS = 10


@dataclass(frozen=True)
class Mention:
    entity: str
    start: int
    end: int
    text: str
    value: str


def _key(words: list[str]) -> str:
    return " ".join(words)


def phrase_words(phrase: str) -> list[str]:
    """The folded words of a gazetteer phrase (abbreviations expanded)."""
    return [w for token in _WORD_RE.findall(canonical_tones(phrase)) for w in fold(expand_token(token)).split()]


def message_words(text: str) -> tuple[list[str], list[int], list[tuple[int, int]]]:
    """The folded words of a message, the token each word comes from, and each token's span.

    Each token may stand for several words ("đk" → "đăng ký"); phrases are matched over words but
    must start and end on token boundaries, so offsets stay exact."""
    canonical = canonical_tones(text) if nfc(text) == text else text
    words: list[str] = []
    owner: list[int] = []
    spans: list[tuple[int, int]] = []
    for index, match in enumerate(_WORD_RE.finditer(canonical)):
        spans.append((match.start(), match.end()))
        for word in fold(expand_token(match.group(0))).split():
            words.append(word)
            owner.append(index)
    return words, owner, spans


class Gazetteer:
    """Longest-match phrase lookup over folded words (a dictionary of phrase → (entity, value))."""

    def __init__(self) -> None:
        self._phrases: dict[str, tuple[str, str]] = {}
        self._prefixes: set[str] = set()

    def add(self, entity: str, phrase: str, value: str | None = None) -> None:
        words = phrase_words(phrase)
        if not words or len(words) > MAX_PHRASE_WORDS:
            return
        key = _key(words)
        self._phrases.setdefault(key, (entity, value or phrase))
        for n in range(1, len(words)):
            self._prefixes.add(_key(words[:n]))

    def __len__(self) -> int:
        return len(self._phrases)

    def find(self, text: str) -> list[Mention]:
        words, owner, spans = message_words(text)
        mentions: list[Mention] = []
        i = 0
        while i < len(words):
            best: tuple[int, tuple[str, str]] | None = None
            if i == 0 or owner[i - 1] != owner[i]:
                for j in range(i, min(i + MAX_PHRASE_WORDS, len(words))):
                    key = _key(words[i : j + 1])
                    hit = self._phrases.get(key)
                    if hit is not None and (j + 1 == len(words) or owner[j + 1] != owner[j]):
                        best = (j, hit)
                    if key not in self._prefixes:
                        break
            if best is None:
                i += 1
                continue
            j, (entity, value) = best
            start, end = spans[owner[i]][0], spans[owner[j]][1]
            mentions.append(Mention(entity, start, end, text[start:end], value))
            i = j + 1
        return mentions


@lru_cache(maxsize=4)
def load_gazetteer(directory: Path = GAZETTEER_DIR) -> Gazetteer:
    """Reads ``ENTITY.tsv`` files: one ``phrase<TAB>value`` (or just ``phrase``) per line.

    Cached: the entity extractor and the intent classifier both need it in the same process."""
    gazetteer = Gazetteer()
    for path in sorted(directory.glob("*.tsv")):
        entity = path.stem
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            phrase, _, value = line.partition("\t")
            gazetteer.add(entity, phrase, value or None)
    return gazetteer


def find_patterns(text: str) -> list[Mention]:
    mentions = [
        Mention("dossier_code", m.start(), m.end(), m.group(0), m.group(0).upper())
        for m in DOSSIER_CODE_RE.finditer(text)
    ]
    taken = [(m.start, m.end) for m in mentions]
    for match in PHONE_RE.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        digits = re.sub(r"\D", "", match.group(0))
        value = "0" + digits[2:] if digits.startswith("84") else digits
        mentions.append(Mention("phone", match.start(), match.end(), match.group(0), value))
    return mentions


def find_mentions(text: str, gazetteer: Gazetteer) -> list[Mention]:
    """Pattern mentions first; gazetteer mentions only where no pattern matched."""
    patterns = find_patterns(text)
    found = list(patterns)
    for mention in gazetteer.find(text):
        if not any(p.start < mention.end and mention.start < p.end for p in patterns):
            found.append(mention)
    return sorted(found, key=lambda m: m.start)
