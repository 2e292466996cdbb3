"""Procedure search: diacritic-insensitive BM25 over names and aliases, with exact-code and
alias-phrase matches, typo correction, and a penalty for variants the question did not ask for.

The index is a small inverted index written here rather than rank-bm25, whose scorer visits
every document for every query term; the catalogue has thousands of procedures and a query must
stay within a few milliseconds.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.vntext import normalize_folded
from knowledge.procedures.models import Procedure, ProcedureVersion
from knowledge.procedures.service import list_published

CODE_RE = re.compile(r"\b\d\.\d{6}(?:\.[0-9A-Za-z.]+)?\b")

# Words that make up the question rather than name the procedure (folded).
_FILLER_PHRASES = [
    "cho em hoi", "cho toi hoi", "cho minh hoi", "cho chau hoi", "xin hoi", "lam on",
    "giay to", "ho so", "le phi", "bao lau", "bao nhieu", "mat bao", "thoi gian", "thu tuc",
    "can gi", "nhu the nao", "the nao", "o dau", "truc tuyen", "online", "can nhung", "mang theo",
    "can mang", "phai lam", "muon lam", "lam sao", "lam gi", "duoc khong", "co duoc",
]
_STOPWORDS = set(
    "a à ạ ad admin ah anh ban bac chi cho chu co con cua da dang de den di do duoc em gi giup ha hay "
    "hoi khi khong la lam len luc ma minh muon nao ne nhe nhi nhu nho oi o phai ra roi sao se thi toi "
    "tu va vay voi vui xin".split()
)
# Qualifiers that make a variant of a procedure: ranked down unless the question mentions them.
_VARIANT_MARKERS = ["luu dong", "yeu to nuoc ngoai", "nuoc ngoai", "ket hop", "lai"]

_K1 = 1.4
_B = 0.6
_PHRASE_BOOST = 6.0
_VARIANT_PENALTY = 2.5
_CURATED_PRIOR = 0.5


def _tokens(folded: str) -> list[str]:
    words = folded.split()
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:])]


def _strip_name(folded_name: str) -> str:
    return re.sub(r"^thu tuc\s+", "", folded_name)


@dataclass
class _Doc:
    code: str
    name: str
    levels: list[str]
    field: str | None
    curated: bool
    phrases: list[str]  # folded name and aliases, matched as whole phrases
    variant_markers: set[str]
    length: int = 0


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
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    avg_length: float = 1.0
    vocabulary: list[str] = field(default_factory=list)
    code_index: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, procedures: Iterable[Procedure]) -> ProcedureIndex:
        index = cls()
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc_id, proc in enumerate(procedures):
            name = _strip_name(normalize_folded(proc.name))
            aliases = [normalize_folded(a.alias) for a in proc.aliases]
            field_text = normalize_folded(proc.field or "")
            # Name and aliases count twice: they say what the procedure is; the field only hints.
            terms = Counter(_tokens(name) * 2)
            for alias in aliases:
                terms.update(_tokens(alias) * 2)
            terms.update(field_text.split())
            doc = _Doc(
                code=proc.code,
                name=proc.name,
                levels=list(proc.levels or []),
                field=proc.field,
                curated=proc.origin != "import",
                phrases=[p for p in [name, *aliases] if p],
                variant_markers={m for m in _VARIANT_MARKERS if re.search(rf"\b{m}\b", name)},
                length=sum(terms.values()),
            )
            index.docs.append(doc)
            index.code_index.setdefault(proc.code, doc_id)
            base_code = proc.code.split(".")[0] + "." + proc.code.split(".")[1] if "." in proc.code else proc.code
            index.code_index.setdefault(base_code, doc_id)
            for term, tf in terms.items():
                postings[term].append((doc_id, tf))
        n = max(len(index.docs), 1)
        index.postings = dict(postings)
        index.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in postings.items()}
        index.avg_length = sum(d.length for d in index.docs) / n
        index.vocabulary = sorted({t for t in postings if "_" not in t and len(t) >= 3})
        return index

    def _query_terms(self, folded: str) -> list[str]:
        for phrase in _FILLER_PHRASES:
            folded = re.sub(rf"\b{phrase}\b", " ", folded)
        words = [w for w in folded.split() if w not in _STOPWORDS]
        corrected = []
        for word in words:
            if word in self.postings or len(word) < 3:
                corrected.append(word)
                continue
            match = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=80)
            if match is not None:
                corrected.append(match[0])
        return _tokens(" ".join(corrected))

    def search(self, query: str, limit: int = 5) -> list[SearchHit]:
        if not self.docs or not query.strip():
            return []
        scores: dict[int, float] = defaultdict(float)
        for code in CODE_RE.findall(query):
            doc_id = self.code_index.get(code)
            if doc_id is not None:
                scores[doc_id] += 100.0
        folded = normalize_folded(query)
        padded = f" {folded} "
        for term in self._query_terms(folded):
            postings = self.postings.get(term)
            if not postings:
                continue
            idf = self.idf[term]
            for doc_id, tf in postings:
                norm = _K1 * (1 - _B + _B * self.docs[doc_id].length / self.avg_length)
                scores[doc_id] += idf * tf * (_K1 + 1) / (tf + norm)
        if not scores:
            return []
        asked_markers = {m for m in _VARIANT_MARKERS if re.search(rf"\b{m}\b", folded)}
        for doc_id in list(scores):
            doc = self.docs[doc_id]
            longest = max((len(p) for p in doc.phrases if f" {p} " in padded), default=0)
            if longest:
                scores[doc_id] += _PHRASE_BOOST * (1 + longest / 40)
            unasked = doc.variant_markers - asked_markers
            scores[doc_id] -= _VARIANT_PENALTY * len(unasked)
            scores[doc_id] += _VARIANT_PENALTY * len(doc.variant_markers & asked_markers)
            if doc.curated:
                scores[doc_id] += _CURATED_PRIOR
        ranked = sorted(scores.items(), key=lambda item: -item[1])[:limit]
        return [
            SearchHit(
                code=self.docs[i].code,
                name=self.docs[i].name,
                levels=self.docs[i].levels,
                field=self.docs[i].field,
                score=round(score, 3),
            )
            for i, score in ranked
            if score > 0
        ]


class ProcedureSearch:
    """A process-wide index, rebuilt when the catalogue changes (checked cheaply on each query),
    so the API and the action server, separate processes, both see an admin's edit at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index = ProcedureIndex()
        self._revision: tuple[int, int] | None = None

    @staticmethod
    def _current_revision(session: Session) -> tuple[int, int]:
        latest_version = session.scalar(select(func.max(ProcedureVersion.id))) or 0
        published = (
            session.scalar(select(func.count()).select_from(Procedure).where(Procedure.published.is_(True))) or 0
        )
        return latest_version, published

    def index(self, session: Session) -> ProcedureIndex:
        revision = self._current_revision(session)
        if revision != self._revision:
            with self._lock:
                if revision != self._revision:
                    self._index = ProcedureIndex.build(list_published(session))
                    self._revision = revision
        return self._index

    def search(self, session: Session, query: str, limit: int = 5) -> list[SearchHit]:
        return self.index(session).search(query, limit)


procedure_search = ProcedureSearch()
