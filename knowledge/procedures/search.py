"""Procedure search: diacritic-insensitive BM25 over names and aliases, re-ranked on how well the
question and a procedure's name or alias cover each other, with exact-code matches, typo
correction, and a penalty for variants the question did not ask for.

The index is a small inverted index written here rather than rank-bm25, whose scorer visits
every document for every query term; the catalogue has thousands of procedures and a query must
stay within a few milliseconds. So the BM25 weights are computed once, at build time, and the
costlier re-ranking features only for the best few dozen BM25 candidates.

A question is read up to ``max_message_chars`` characters (the longest message a channel accepts)
and every step is linear in its length, so no caller can make a search slow by sending a long
text (issue 12: a 320 KB Zalo message kept the action server busy for minutes).
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.vntext import fold, has_diacritics, normalize
from core.db import database_key
from core.settings import get_settings
from knowledge.procedures.models import Procedure, ProcedureVersion
from knowledge.procedures.service import list_published

CODE_RE = re.compile(r"\b\d\.\d{6}(?:\.[0-9A-Za-z.]+)?\b")


def _alternation(phrases: Iterable[str]) -> str:
    # Longest first, so "mat bao lau" goes before "bao lau" can leave "mat" (lost) behind.
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))


# What the question asks about the procedure (documents, fee, time, place, channel) and how it is
# asked, rather than which procedure (folded). Removed before BM25; names and aliases are still
# matched against the whole question, so the alias "sao y giấy tờ" keeps its "giấy tờ".
_ASPECT_PHRASES = "|".join(
    (
        # asking
        "cho em hoi|cho toi hoi|cho minh hoi|cho chau hoi|cho con hoi|cho hoi|xin hoi|em hoi|lam on|cam on",
        "xin chao|chao ban|chao em|chao ad|chao admin|alo|hello",
        "nhu the nao|the nao|ra sao|lam sao|lam the nao|cach nao|can lam gi|phai lam gi|co bi phat|bi phat",
        "thu tuc gi|thu tuc hanh chinh|thu tuc|trinh tu",
        # documents
        "giay to gi|giay to nao|nhung giay to|cac giay to|giay to can thiet|can giay to|can nhung gi",
        "can nhung|nhung gi|can gi|can mang theo|can mang|mang theo|mang gi",
        "ho so gi|ho so gom|can ho so|nop ho so|bo ho so|thanh phan ho so",
        # fee
        "le phi|phi la bao nhieu|bao nhieu tien|het bao nhieu|mat bao nhieu|ton bao nhieu|co mat phi|mat phi",
        "mien phi|bao nhieu",
        # time
        "mat bao lau|bao lau|mat may ngay|may ngay|bao nhieu ngay|thoi gian|thoi han|khi nao co|bao gio co",
        # place
        "nop o dau|lam o dau|o dau|cho nao|co quan nao|noi nao",
        # channel
        "lam online|nop online|online|truc tuyen|qua mang|tren mang|dich vu cong|duoc khong|co duoc|duoc ko|dc ko",
    )
).split("|")
# Where the asker means to go ("ở ủy ban xã"): every commune does it, so it names no procedure.
# Not "ở xã hội" (nhà ở xã hội).
_PLACE = r"(?:o|tai|len|ra|den)\s+(?:(?:ubnd|cong an)(?:\s+(?:xa|phuong))?|xa|phuong)\b(?!\s+hoi)"
# A duration ("quá hạn 60 ngày") is about the asker's case, not which procedure.
_DURATION = r"\d+\s+(?:ngay|thang|nam)"
_ASPECTS = re.compile(rf"\b(?:{_alternation(_ASPECT_PHRASES)})\b|\b{_PLACE}\b|\b{_DURATION}\b")

# Question words that name nothing. Matched as written when the question has diacritics, so
# "từ" (from) is dropped and "tử" (khai tử) kept; without diacritics only the words that fold to
# nothing meaningful ("ban" may be "bản sao", "di" may be "di chúc", "ma" may be "mã số thuế").
_STOPWORDS = frozenset(
    "à ạ ạh ah anh bạn bác chị chú cho có còn của đã đang để đến đi được em gì giúp hả hay hỏi khi không là làm "
    "lên lúc mà mình muốn nào nè nhé nhỉ như nhờ ơi ở phải ra rồi sao sẽ thì tôi từ và vậy với vui xin ấy kia "
    "này thôi luôn ad admin ơ ko k j dc đc".split()
)
_AMBIGUOUS_FOLDED = frozenset("ban bac chi chu co con da dang de den di hoi ma nao nhu o phai ra tu vay".split())
_FOLDED_STOPWORDS = frozenset(fold(w) for w in _STOPWORDS) - _AMBIGUOUS_FOLDED
# A well-formed Vietnamese syllable, folded: a word the catalogue lacks but that is spelled like
# one ("cưới", "tiệm", "chip") is a real word, not a typo, and is left alone; "sinnh" is a typo.
_SYLLABLE_RE = re.compile(r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?")
# Words of the question itself, never "corrected" into a procedure's words: in a small catalogue
# "phí" or "được" would otherwise become the nearest indexed word.
_QUESTION_WORDS = frozenset(w for phrase in _ASPECT_PHRASES for w in phrase.split()) | {fold(w) for w in _STOPWORDS}

# One spelling for what the catalogue and citizens write two ways, applied to names, aliases and
# questions alike (folded). The short form, so that "trách nhiệm hữu hạn" or "bảo hiểm xã hội"
# weighs as one word, not four, against the other words of a question.
_SYNONYMS = {
    "bao hiem xa hoi": "bhxh",
    "bao hiem y te": "bhyt",
    "bao hiem that nghiep": "bhtn",
    "giay phep lai xe": "gplx",
    "bang lai xe": "gplx",
    "bang lai": "gplx",
    "trach nhiem huu han": "tnhh",
    "ma so thue": "mst",
    "uy ban nhan dan": "ubnd",
    "uy ban": "ubnd",
    "passport": "ho chieu",
    "so hong": "so do",
    "bia do": "so do",
    "ca vet": "chung nhan dang ky xe",
    "cavet": "chung nhan dang ky xe",
    "giay dang ky xe": "chung nhan dang ky xe",
}
_SYNONYM_RE = re.compile(rf"\b(?:{_alternation(_SYNONYMS)})\b")
# Official words added to a question that uses everyday ones, at a lower weight: only for the
# question, since the seed aliases already hold the everyday words of the procedures they name.
_EXPANSIONS = {
    "so do": "giay chung nhan",
    "cong chung": "chung thuc",
    "lam lai": "cap lai",
    "cong ty": "doanh nghiep",
    "sua thong tin": "dieu chinh",
    "sua lai": "dieu chinh",
    "mst": "dang ky thue",
    "mo cong ty": "thanh lap",
    "mo doanh nghiep": "thanh lap",
    "mo ho kinh doanh": "thanh lap",
}
# "ký"/"kí", "lý"/"lí", "mỹ"/"mĩ", "sỹ"/"sĩ" are both correct spellings; "01" is "1".
_FINAL_Y_RE = re.compile(r"\b(h|k|l|m|s|t|qu)y\b")
_LEADING_ZERO_RE = re.compile(r"\b0+(\d)")

# Where the procedure is done ("(thực hiện tại cấp tỉnh)", "(cấp TW)"): `levels` says it; as words
# it only makes the name longer. Folded, matched on fold(name), which keeps the name's offsets.
_LEVEL = r"(?:cap\s+)?(?:tinh|bo|xa|huyen|trung uong|tw)"
_LEVEL_NOTE_RE = re.compile(
    rf"\(\s*(?:thuc hien\s+)?(?:tai\s+|o\s+)?cap\s+{_LEVEL}\s*\)|\bthuc hien (?:tai|o) cap {_LEVEL}(?:\s*,\s*{_LEVEL})*"
)
_PARENTHESIS_RE = re.compile(r"\(([^()]*)\)")
_CLAUSE_RE = re.compile(r"[,;:]")
_MIN_CLAUSE = 3  # words; "Cấp lại, đổi, …" starts with a verb, not a clause that names anything

# Qualifiers that make a variant of a procedure ("nước ngoài" also covers "có yếu tố nước ngoài"):
# ranked down unless the question mentions them, and ranked up when it does.
_VARIANT_MARKERS = ("luu dong", "nuoc ngoai", "khu vuc bien gioi", "ket hop", "giay to ca nhan", "lai")
_MARKER_RES = {m: re.compile(rf"\b{m}\b") for m in _VARIANT_MARKERS if m != "lai"}
# A foreign country or an overseas Vietnamese says "nước ngoài" without the words (folded, after
# the i/y spelling is made one: "mỹ" is "mi").
_MARKER_RES["nuoc ngoai"] = re.compile(
    r"\b(?:nuoc ngoai|ngoai quoc|viet kieu|han quoc|nhat ban|trung quoc|dai loan|hong kong|thai lan|campuchia"
    r"|singapore|malaysia|philippines|indonesia|canada|chau au|nguoi (?:mi|nhat|uc|phap|duc|nga|hoa))\b"
)
# "lại" asks for a redo ("cấp lại", "làm lại") only after a verb: "ở lại qua đêm" does not; and
# without diacritics, "lai" may be "lái" (drive).
_AGAIN_RE = re.compile(r"\b(?:cap|cap doi|lam|dang ki|xin|in|khai sinh|khai tu|ket hon)\s+lai\b")

_CODE_MATCH = 100.0  # the question names the procedure by its code
_K1 = 1.2
_B = 0.5
_NAME_WEIGHT = 2.0  # the name says what the procedure is
_ALIAS_WEIGHT = 1.0  # per alias (or bracketed part of the name) that holds the term, at most
_ALIAS_CAP = 3  # _ALIAS_CAP of them: a procedure with many aliases must not outweigh a precise name
_FIELD_WEIGHT = 0.5  # the field only hints
_EXPANSION_WEIGHT = 0.4  # a hint, not what was said
_BIGRAM_WEIGHT = 1.0  # two words in a row say more than each alone: "sổ BHXH", "đăng ký xe"
_UNSURE_WEIGHT = 0.5  # a word that, without diacritics, may be a question word
_CANDIDATES = 40  # re-ranked after BM25
_PHRASE_WEIGHT = 1.0  # per unit of IDF in the longest name or alias said in the question
_GAPPED_PHRASE = 0.6  # the same, said with up to _MAX_GAP other words in between
_MAX_GAP = 2
_QUERY_COVERAGE = 0.6  # per unit of IDF of the question's words the procedure has
_ACCENT_MISMATCH = 0.5  # share kept when the words differ in diacritics ("chứng tử"/"chứng từ")
_ALTERNATIVE = 0.8  # share of an everyday word's IDF credited to the official words for it
_NAME_COVERAGE = 0.6  # per unit of IDF of the best name or alias said, less half of what was not
_UNASKED_VARIANT = 0.7  # score kept by a variant whose qualifier the question does not say
_MISSING_VARIANT = 0.5  # score kept by a procedure without the qualifier the question says
_CURATED_PRIOR = 0.5
_COMMUNE_PRIOR = 0.3  # citizens mostly ask about commune-level procedures


def _canonical(folded: str) -> str:
    folded = _SYNONYM_RE.sub(lambda m: _SYNONYMS[m.group(0)], folded)
    folded = _LEADING_ZERO_RE.sub(r"\1", folded)
    return _FINAL_Y_RE.sub(r"\1i", folded)


# Matched on canonical questions, so written canonical too ("công ty" is "cong ti" by then).
_CANONICAL_EXPANSIONS = {_canonical(k): tuple(_canonical(v).split()) for k, v in _EXPANSIONS.items()}
_EXPANSION_RE = re.compile(rf"\b(?:{_alternation(_CANONICAL_EXPANSIONS)})\b")


def _key(written: str) -> list[str]:
    """The words to index for a normalized text."""
    return _canonical(fold(written)).split()


def _name_parts(name: str) -> tuple[str, list[str], str]:
    """The name without its level notes and bracketed parts; the bracketed parts, which qualify
    the name ("(trừ xe mô tô, xe gắn máy)") or say it in everyday words ("(đổi sổ đỏ)") and so
    are indexed like aliases; and the name's first clause ("Tạm ngừng kinh doanh" of "Tạm ngừng
    kinh doanh, tiếp tục kinh doanh trước thời hạn…"), which says what a long name is about.
    All normalized."""
    folded = fold(name)  # same length as name, so spans found here cut name
    for match in reversed(list(_LEVEL_NOTE_RE.finditer(folded))):
        name = name[: match.start()] + " " + name[match.end() :]
    main = _PARENTHESIS_RE.sub(" ", name)
    if fold(main).lstrip().startswith("thu tuc "):
        main = main.lstrip()[len("thủ tục ") :]
    brackets = [b for b in (normalize(part) for part in _PARENTHESIS_RE.findall(name)) if b]
    return normalize(main), brackets, normalize(_CLAUSE_RE.split(main, maxsplit=1)[0])


def _bigrams(words: list[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in itertools.pairwise(words)]


def _markers(folded: str, text: str) -> frozenset[str]:
    """The variant markers in a text, given folded and as normalized (with its diacritics)."""
    found = {m for m, pattern in _MARKER_RES.items() if pattern.search(folded)}
    if _AGAIN_RE.search(folded) and (not has_diacritics(text) or "lại" in text.split()):
        found.add("lai")
    return frozenset(found)


@dataclass
class _Doc:
    code: str
    name: str
    levels: list[str]
    field: str | None
    curated: bool
    name_words: frozenset[str]  # folded, without level notes and bracketed parts
    phrases: list[tuple[str, ...]]  # name, bracketed parts, aliases, first clause; folded words
    words: frozenset[str]  # every name, alias and field word, folded
    written: frozenset[str]  # the same words with their diacritics
    variant_markers: frozenset[str]
    length: float = 0.0
    varied_by: frozenset[str] = frozenset()  # the markers of this procedure's variants


@dataclass
class _Query:
    whole: list[str]  # every word, folded and corrected: names and aliases are matched on it
    positions: dict[str, list[int]]  # word of whole -> where it occurs, in order
    padded: str  # " ".join(whole) between spaces, for whole-phrase matches
    terms: dict[str, float]  # BM25 terms and their weights
    content: dict[str, float]  # the words that name the procedure -> IDF
    alternatives: list[tuple[tuple[str, ...], tuple[str, ...]]]  # everyday words, official words
    said: set[str]  # content words and expansions
    written: dict[str, str]  # folded word -> as written, for words written with diacritics
    asked: frozenset[str]  # variant markers


@dataclass(frozen=True)
class SearchHit:
    code: str
    name: str
    levels: list[str]
    field: str | None
    score: float


@dataclass
class ProcedureIndex:
    docs: list[_Doc] = field(default_factory=list)
    # term -> [(doc id, BM25 weight without the IDF)]: the weight depends only on the document.
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    avg_length: float = 1.0
    vocabulary: list[str] = field(default_factory=list)
    code_index: dict[str, int] = field(default_factory=dict)
    word_df: dict[str, int] = field(default_factory=dict)
    corrections: dict[str, str | None] = field(default_factory=dict)  # typo -> indexed word

    @classmethod
    def build(cls, procedures: Iterable[Procedure]) -> ProcedureIndex:
        index = cls()
        term_counts: list[dict[str, float]] = []
        fields: dict[str, str] = {}  # a few dozen fields for thousands of procedures
        for doc_id, proc in enumerate(procedures):
            written_name, brackets, clause = _name_parts(proc.name)
            written_aliases = brackets + [normalize(a.alias) for a in proc.aliases]
            written_field = fields.get(proc.field or "")
            if written_field is None:
                written_field = fields[proc.field or ""] = normalize(proc.field or "")
            name = _key(written_name)
            aliases = [_key(alias) for alias in written_aliases]
            first_clause = _key(clause)
            field_words = _key(written_field)
            terms: dict[str, float] = defaultdict(float)  # weights are fractional
            for term in name + _bigrams(name):
                terms[term] += _NAME_WEIGHT
            per_alias = Counter(t for alias in aliases for t in set(alias + _bigrams(alias)))
            for term, count in per_alias.items():
                terms[term] += _ALIAS_WEIGHT * min(count, _ALIAS_CAP)
            for term in field_words:
                terms[term] += _FIELD_WEIGHT
            doc = _Doc(
                code=proc.code,
                name=proc.name,
                levels=list(proc.levels or []),
                field=proc.field,
                curated=proc.origin != "import",
                name_words=frozenset(name),
                phrases=[tuple(p) for p in [name, *aliases] if p]
                + ([tuple(first_clause)] if _MIN_CLAUSE <= len(first_clause) < len(name) else []),
                words=frozenset(name + field_words + [w for alias in aliases for w in alias]),
                written=frozenset(" ".join([written_name, *written_aliases, written_field]).split()),
                variant_markers=_markers(" ".join(name), " ".join([written_name, *brackets])),
                length=len(name) + _FIELD_WEIGHT * len(field_words),  # aliases do not lengthen it
            )
            index.docs.append(doc)
            term_counts.append(terms)
            index.code_index.setdefault(proc.code, doc_id)
            index.code_index.setdefault(".".join(proc.code.split(".")[:2]), doc_id)
        n = max(len(index.docs), 1)
        index.avg_length = sum(d.length for d in index.docs) / n or 1.0
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc_id, terms in enumerate(term_counts):
            norm = _K1 * (1 - _B + _B * index.docs[doc_id].length / index.avg_length)
            for term, tf in terms.items():
                postings[term].append((doc_id, tf * (_K1 + 1) / (tf + norm)))
        index.postings = dict(postings)
        index.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in postings.items()}
        index.word_df = {t: len(p) for t, p in postings.items() if "_" not in t}
        index.vocabulary = sorted(t for t in index.word_df if len(t) >= 3)
        index._link_variants()
        return index

    def _link_variants(self) -> None:
        """Mark each procedure that has a variant: the same name words and more, among them a
        qualifier ("Đăng ký khai sinh" -> "… có yếu tố nước ngoài", "… lưu động"). Only those are
        ranked down when the question asks for the qualifier: "xác nhận tình trạng hôn nhân để
        kết hôn với người nước ngoài" is still about the one procedure that has no such variant."""
        names = [doc.name_words for doc in self.docs]
        # A name that is a subset of another holds that one's words, its rarest included.
        by_rarest: dict[str, list[int]] = defaultdict(list)
        for doc_id, words in enumerate(names):
            if words:
                by_rarest[min(words, key=lambda w: (self.word_df.get(w, 0), w))].append(doc_id)
        for doc_id, doc in enumerate(self.docs):
            if not doc.variant_markers:
                continue
            for word in names[doc_id]:
                for base_id in by_rarest.get(word, ()):
                    base = self.docs[base_id]
                    if base_id != doc_id and names[base_id] < names[doc_id]:
                        base.varied_by |= doc.variant_markers - base.variant_markers

    def _correct(self, word: str) -> str | None:
        """The indexed word a typo stands for: the most common one within one edit (two for long
        words); None when there is none. Numbers and well-spelled words are kept as they are."""
        if word in self.word_df or word in _QUESTION_WORDS or len(word) < 4 or not word.isalpha():
            return word
        if _SYLLABLE_RE.fullmatch(word):
            return word
        if word not in self.corrections:
            if len(self.corrections) > 10_000:  # typos are unbounded; the cache must not be
                self.corrections.clear()
            cutoff = 1 if len(word) < 7 else 2
            found = process.extract(word, self.vocabulary, scorer=Levenshtein.distance, score_cutoff=cutoff, limit=None)
            best = min((distance for _, distance, _ in found), default=None)
            self.corrections[word] = max(
                (w for w, distance, _ in found if distance == best), key=self.word_df.__getitem__, default=None
            )
        return self.corrections[word]

    def _query(self, query: str) -> _Query:
        text = normalize(query)
        folded = fold(text)  # same words as text, one for one
        written = {f: w for w, f in zip(text.split(), folded.split(), strict=True) if w != f}
        if has_diacritics(text):
            stop = frozenset({fold(w) for w in text.split() if w in _STOPWORDS}) - {
                fold(w) for w in text.split() if w not in _STOPWORDS
            }
            unsure: frozenset[str] = frozenset()
        else:
            stop, unsure = _FOLDED_STOPWORDS, _AMBIGUOUS_FOLDED
        whole = [w for w in (self._correct(w) for w in _canonical(folded).split()) if w]
        core = _ASPECTS.sub(" ", " ".join(whole)).split()
        content = [w for w in core if w not in stop]
        # The everyday words and the official ones they stand for, e.g. ("so", "do") -> ("giay",
        # "chung", "nhan"): a procedure with the official words has said the everyday ones too.
        alternatives = [
            (tuple(m.group(0).split()), _CANONICAL_EXPANSIONS[m.group(0)])
            for m in _EXPANSION_RE.finditer(" ".join(core))
        ]
        asked = _markers(" ".join(whole), text)
        for marker in asked - {"lai"}:  # "Hàn Quốc" says "nước ngoài": the variant's own words
            said = _MARKER_RES[marker].search(" ".join(whole))
            if said is not None and said.group(0) != marker:
                alternatives.append((tuple(said.group(0).split()), tuple(marker.split())))
        extra = [w for _, official in alternatives for w in official]
        # Bigrams over the words as written and without the stopwords: "nhà ở", "sao y" keep their
        # "ở", "y"; "khai sinh cho con" also gives "sinh_con".
        terms = dict.fromkeys(extra + _bigrams(extra), _EXPANSION_WEIGHT)
        terms.update(dict.fromkeys(_bigrams(core) + _bigrams(content), _BIGRAM_WEIGHT))
        # "con" without diacritics may be "con" (child) or "còn" (still): half the evidence.
        weights = {w: _UNSURE_WEIGHT if w in unsure else 1.0 for w in content}
        terms.update(weights)
        positions: dict[str, list[int]] = defaultdict(list)
        for position, word in enumerate(whole):
            positions[word].append(position)
        return _Query(
            whole=whole,
            positions=dict(positions),
            padded=f" {' '.join(whole)} ",
            terms=terms,
            content={w: self.idf.get(w, 0.0) * weight for w, weight in weights.items()},
            alternatives=alternatives,
            said=set(content) | set(extra),
            written=written,
            asked=asked,
        )

    def search(self, query: str, limit: int = 5) -> list[SearchHit]:
        query = bounded_query(query)
        if not self.docs or not query.strip():
            return []
        q = self._query(query)
        scores: dict[int, float] = defaultdict(float)
        for term, weight in q.terms.items():
            postings = self.postings.get(term)
            if postings:
                idf = self.idf[term] * weight
                for doc_id, doc_weight in postings:
                    scores[doc_id] += idf * doc_weight
        candidates = dict(heapq.nlargest(_CANDIDATES, scores.items(), key=lambda item: item[1]))
        codes = {self.code_index[c] for c in CODE_RE.findall(query) if c in self.code_index}
        scored = (
            (self._score(self.docs[i], candidates.get(i, 0.0), q) + _CODE_MATCH * (i in codes), i)
            for i in candidates.keys() | codes
        )
        ranked = sorted(scored, key=lambda item: (-item[0], item[1]))[:limit]  # ties: catalogue order
        return [
            SearchHit(
                code=self.docs[i].code,
                name=self.docs[i].name,
                levels=self.docs[i].levels,
                field=self.docs[i].field,
                score=round(score, 3),
            )
            for score, i in ranked
            if score > 0
        ]

    def features(self, doc: _Doc, q: _Query) -> dict[str, float]:
        """What is added to a candidate's BM25 score, by reason (for tuning and debugging)."""
        return {
            "phrase": _PHRASE_WEIGHT * self._phrase_mass(doc, q),
            "query_coverage": _QUERY_COVERAGE * self._covered(doc, q),
            "name_coverage": _NAME_COVERAGE * self._name_coverage(doc, q.said),
            "priors": _CURATED_PRIOR * doc.curated + _COMMUNE_PRIOR * ("xa" in doc.levels),
        }

    def _score(self, doc: _Doc, bm25: float, q: _Query) -> float:
        # A factor, not a penalty: a variant is as wrong for a long question as for a short one.
        factor = _UNASKED_VARIANT ** len(doc.variant_markers - q.asked)
        factor *= _MISSING_VARIANT ** len((q.asked - doc.variant_markers) & doc.varied_by)
        return (bm25 + sum(self.features(doc, q).values())) * factor

    def _covered(self, doc: _Doc, q: _Query) -> float:
        """IDF of the question's words the procedure has: half when the question wrote the word
        with other diacritics ("chứng tử", "chứng từ"), and the everyday words whose official
        words it has."""
        covered = 0.0
        for word, idf in q.content.items():
            if word in doc.words:
                as_written = q.written.get(word)
                covered += idf if as_written is None or as_written in doc.written else _ACCENT_MISMATCH * idf
        for everyday, official in q.alternatives:
            if doc.words.issuperset(official):
                covered += _ALTERNATIVE * sum(q.content.get(w, 0.0) for w in everyday if w not in doc.words)
        return covered

    def _mass(self, words: Iterable[str]) -> float:
        return sum(self.idf.get(w, 0.0) for w in words)

    def _phrase_mass(self, doc: _Doc, q: _Query) -> float:
        """IDF of the longest name or alias said in the question, whole or with a few words
        between its words ("bản sao trích lục [đăng ký] kết hôn")."""
        best = 0.0
        for phrase in doc.phrases:
            if f" {' '.join(phrase)} " in q.padded:
                best = max(best, self._mass(phrase))
            elif len(phrase) > 1 and _in_order(phrase, q.whole, q.positions, _MAX_GAP):
                best = max(best, _GAPPED_PHRASE * self._mass(phrase))
        return best

    def _name_coverage(self, doc: _Doc, said: set[str]) -> float:
        """For the best-covered name or alias: IDF of its words the question says, less half the
        IDF of those it leaves out, so a short name said in full beats a long one said in part."""
        best = 0.0
        for phrase in doc.phrases:
            words = set(phrase)
            best = max(best, self._mass(words & said) - 0.5 * self._mass(words - said))
        return best


def bounded_query(text: str, max_chars: int | None = None) -> str:
    """The part of a question the search reads: at most ``max_chars`` characters (by default
    ``max_message_chars``, so a message any channel accepts is read whole), cut between words.

    A defence in depth: the channels refuse longer messages, but the search must stay fast for
    any caller, whatever it passes."""
    max_chars = get_settings().max_message_chars if max_chars is None else max_chars
    if len(text) <= max_chars:
        return text
    end = max_chars
    if not text[max_chars].isspace():  # the last word was cut through: leave it out
        while end and not text[end - 1].isspace():
            end -= 1
    return text[: end or max_chars]  # one word longer than the limit is cut through


def _in_order(phrase: tuple[str, ...], words: list[str], positions: dict[str, list[int]], max_gap: int) -> bool:
    """Whether the phrase's words occur in order among the words, with at most max_gap others
    in between in all; ``positions`` maps each word to where it occurs in ``words``.

    From each occurrence of the phrase's first word, the next word is the first of its kind
    after the previous one, and is looked for only as far as the gaps still allowed: a later
    occurrence could not fit either. Looking through the rest of the question instead made the
    search quadratic in the question's length (issue 12)."""
    if any(part not in positions for part in phrase):
        return False
    last = len(words) - 1
    for start in positions[phrase[0]]:
        gaps, position = 0, start
        for part in phrase[1:]:
            reach = min(last, position + 1 + max_gap - gaps)
            following = next((k for k in range(position + 1, reach + 1) if words[k] == part), None)
            if following is None:
                break
            gaps += following - position - 1
            position = following
        else:
            return True
    return False


class ProcedureSearch:
    """Process-wide indexes, one per database, rebuilt when the catalogue changes, so the API and
    the action server (separate processes) both see an admin's edit.

    Every change to the catalogue, publishing included, writes a ProcedureVersion, so the newest
    version id is the catalogue's revision: one indexed lookup. It is checked at most every
    ``check_interval`` seconds, which keeps it off the hot path of every query.
    """

    def __init__(self, check_interval: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._check_interval = check_interval
        self._indexes: dict[str, tuple[ProcedureIndex, int, float]] = {}

    @staticmethod
    def _current_revision(session: Session) -> int:
        return session.scalar(select(func.max(ProcedureVersion.id))) or 0

    def index(self, session: Session) -> ProcedureIndex:
        key = database_key(session)
        now = time.monotonic()
        cached = self._indexes.get(key)
        if cached is not None and now - cached[2] < self._check_interval:
            return cached[0]
        revision = self._current_revision(session)
        if cached is not None and cached[1] == revision:
            self._indexes[key] = (cached[0], revision, now)
            return cached[0]
        with self._lock:
            index = ProcedureIndex.build(list_published(session))
            self._indexes[key] = (index, revision, now)
        return index

    def search(self, session: Session, query: str, limit: int = 5) -> list[SearchHit]:
        return self.index(session).search(query, limit)


procedure_search = ProcedureSearch()
