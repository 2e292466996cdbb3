"""spaCy ``PhraseMatcher`` over the procedure and unit gazetteers, measured against the dict matcher.

Issue 13 asked whether spaCy (pinned in requirements/rasa.in, imported by nothing) should take
over the gazetteer half of the entity extractor. This module is the prototype and the measurement
behind the answer in docs/nlu.md ("spaCy: measured and removed"):

    PYTHONPATH=.:/tmp/spacy-eval $RASA_VENV/bin/python -m evaluation spacy-matcher

(spaCy is no longer in the Rasa environment: ``SPACY_HINT`` below, printed when it is missing, and
docs/nlu.md say how to install the measured pins beside it in /tmp/spacy-eval.)

The prototype matches over exactly the words the dict matcher uses (``bot/gazetteer.py``: ``\\w+``
tokens, abbreviations expanded, folded), as a ``Doc`` built with ``Doc(vocab, words=...)``: spaCy
3.4's ``blank("vi")`` needs pyvi (not installed) unless ``use_pyvi`` is off, and its tokenizer
would not expand abbreviations nor keep the folded offsets anyway. A ``PhraseMatcher`` returns
every match, overlapping ones included, so the dict matcher's rules are applied on top: a
phrase starts and ends on a token boundary (one token may stand for several words, "đk" →
"đăng ký"), and from left to right the longest phrase wins. Where one phrase is listed twice, the
first entry wins (procedure.tsv is read before unit.tsv), as ``dict.setdefault`` does.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The dict matcher's own word pattern, so both matchers see the same words.
from bot.gazetteer import (
    GAZETTEER_DIR,
    MAX_PHRASE_WORDS,
    Gazetteer,
    Mention,
    load_gazetteer,
    message_words,
    phrase_words,
)

if TYPE_CHECKING:
    from spacy.matcher import PhraseMatcher
    from spacy.vocab import Vocab

ROOT = Path(__file__).resolve().parent.parent
_KEY_SEPARATOR = "\x1f"  # between entity and value in a match key: in neither of them


def gazetteer_entries(directory: Path = GAZETTEER_DIR) -> Iterator[tuple[str, str, str]]:
    """(entity, phrase, value) in the order ``load_gazetteer`` reads them."""
    for path in sorted(directory.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            phrase, _, value = line.partition("\t")
            yield path.stem, phrase, value or phrase


# The same words the dict matcher uses (bot/gazetteer.py), so only the matching differs.
text_words = message_words


class SpacyGazetteer:
    """The gazetteer as a spaCy ``PhraseMatcher`` keyed by (entity, value)."""

    def __init__(self, directory: Path = GAZETTEER_DIR) -> None:
        # Deferred: spaCy is the heavy optional dependency under measurement.
        from spacy.matcher import PhraseMatcher
        from spacy.tokens import Doc
        from spacy.vocab import Vocab

        self._doc = Doc
        self.vocab: Vocab = Vocab()
        # The words are already the folded norms, so they are matched as they are (ORTH). A bare
        # ``Vocab()`` has no lexical attribute getters: with attr="LOWER" or "NORM" every word's
        # attribute would be empty and any phrase would match any run of as many words.
        self.matcher: PhraseMatcher = PhraseMatcher(self.vocab, attr="ORTH")
        seen: set[str] = set()
        by_key: dict[str, list[Any]] = defaultdict(list)
        for entity, phrase, value in gazetteer_entries(directory):
            words = phrase_words(phrase)
            joined = " ".join(words)
            if not words or len(words) > MAX_PHRASE_WORDS or joined in seen:
                continue
            seen.add(joined)
            by_key[f"{entity}{_KEY_SEPARATOR}{value}"].append(Doc(self.vocab, words=words))
        for key, docs in by_key.items():
            self.matcher.add(key, docs)
        self.phrases = len(seen)

    def find(self, text: str) -> list[Mention]:
        words, owner, spans = text_words(text)
        if not words:
            return []
        matches = self.matcher(self._doc(self.vocab, words=words))
        # Longest phrase starting at each word, kept only if it starts and ends on token boundaries.
        longest: dict[int, tuple[int, int]] = {}
        for match_id, start, end in matches:
            if start > 0 and owner[start - 1] == owner[start]:
                continue
            if end < len(words) and owner[end] == owner[end - 1]:
                continue
            if end > longest.get(start, (0, 0))[0]:
                longest[start] = (end, match_id)
        mentions: list[Mention] = []
        cursor = 0
        for start in sorted(longest):
            if start < cursor:
                continue
            end, match_id = longest[start]
            entity, _, value = self.vocab.strings[match_id].partition(_KEY_SEPARATOR)
            first, last = spans[owner[start]][0], spans[owner[end - 1]][1]
            mentions.append(Mention(entity, first, last, text[first:last], value))
            cursor = end
        return mentions


# --- measurement -------------------------------------------------------------------------------


@dataclass
class Corpus:
    name: str
    texts: list[str]


def _corpora() -> list[Corpus]:
    from rasa.shared.nlu.training_data.loading import load_data  # the Rasa env's YAML reader

    def texts(path: Path) -> list[str]:
        return [m.get("text") for m in load_data(str(path)).intent_examples if m.get("text")]

    phrases = [phrase for _, phrase, _ in gazetteer_entries()]
    return [
        Corpus("training data (data/nlu)", texts(ROOT / "data" / "nlu")),
        Corpus("held-out (tests/nlu/heldout.yml)", texts(ROOT / "tests" / "nlu" / "heldout.yml")),
        Corpus("every gazetteer phrase as a message", phrases),
    ]


def _trim_heap() -> None:
    """Return freed heap pages to the system (glibc), so RSS deltas count what a build keeps, not
    the transient allocations of building it."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class BuildCost:
    seconds: float  # wall time of one build, without tracemalloc (which slows allocation down)
    rss_mib: float  # resident memory the build keeps (C allocations included; heap trimmed)
    traced_mib: float  # Python-allocator memory still held after a second build under tracemalloc


def _build(factory: Callable[[], Any]) -> tuple[Any, BuildCost]:
    gc.collect()
    _trim_heap()
    rss = _rss_kib()
    started = time.perf_counter()
    built = factory()
    seconds = time.perf_counter() - started
    gc.collect()
    _trim_heap()
    rss_mib = (_rss_kib() - rss) / 1024
    tracemalloc.start()
    again = factory()
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del again
    gc.collect()
    return built, BuildCost(seconds, rss_mib, traced / 2**20)


def _spacy_import_cost() -> dict[str, float]:
    """What ``import spacy`` adds to a process that has already loaded what ``rasa run`` loads
    (measured in a fresh interpreter, so this process's imports do not hide it)."""
    probe = (
        "import json, time, sys\n"
        "from pathlib import Path\n"
        "def rss():\n"
        "    return next(int(l.split()[1]) for l in Path('/proc/self/status').read_text().splitlines()"
        " if l.startswith('VmRSS:'))\n"
        "import rasa.core.agent, rasa.core.run, rasa.model_training\n"
        "before, rss0 = 'spacy' in sys.modules, rss()\n"
        "t = time.perf_counter()\n"
        "import spacy, spacy.matcher, spacy.tokens, spacy.vocab\n"
        "print(json.dumps({'seconds': time.perf_counter() - t, 'rss_mib': (rss() - rss0) / 1024,"
        " 'already_loaded_by_rasa': before}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT, env=_quiet_env()
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _quiet_env() -> dict[str, str]:
    import os

    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false"}


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _key(mentions: list[Mention]) -> list[tuple[str, int, int, str]]:
    return [(m.entity, m.start, m.end, m.value) for m in mentions]


# The Rasa environment no longer installs spaCy (docs/nlu.md); these are the pins it was measured
# with, installed beside the environment rather than into it.
SPACY_PINS = (
    "spacy==3.4.4 spacy-legacy==3.0.12 spacy-loggers==1.0.5 thinc==8.1.12 blis==0.7.11 catalogue==2.0.10 "
    "confection==0.1.5 cymem==2.0.16 murmurhash==1.0.16 preshed==3.0.15 srsly==2.5.6 wasabi==0.10.1 "
    "langcodes==3.5.1 pathy==0.14.2 pathlib_abc==0.5.2 smart-open==6.4.0 typer==0.7.0 Jinja2==3.1.6"
)
SPACY_HINT = (
    "spaCy is not installed in this environment (removed after this measurement, see docs/nlu.md).\n"
    "To reproduce it without touching the environment:\n"
    f'  "$RASA_VENV/bin/pip" install --no-deps --target /tmp/spacy-eval {SPACY_PINS}\n'
    '  PYTHONPATH=.:/tmp/spacy-eval "$RASA_VENV/bin/python" -m evaluation spacy-matcher'
)


def measure(out: Path, rounds: int = 5) -> dict[str, Any]:
    if importlib.util.find_spec("spacy") is None:
        raise SystemExit(SPACY_HINT)
    corpora = _corpora()
    import_cost = _spacy_import_cost()
    # The dict matcher's loader is cached; build it uncached so both builds are timed alike.
    dict_matcher, dict_cost = _build(lambda: load_gazetteer.__wrapped__(GAZETTEER_DIR))
    # Deferred: imported here, after the dict build, so that the import is not counted as build
    # time or memory (it is measured on its own above).
    import spacy
    import spacy.matcher
    import spacy.tokens
    import spacy.vocab  # noqa: F401

    spacy_matcher, spacy_cost = _build(SpacyGazetteer)
    assert isinstance(dict_matcher, Gazetteer)

    result: dict[str, Any] = {
        "spacy_version": spacy.__version__,
        "phrases": {"dict": len(dict_matcher), "spacy": spacy_matcher.phrases},
        "spacy_import": import_cost,
        "build": {"dict": vars(dict_cost), "spacy": vars(spacy_cost)},
        "corpora": [],
    }
    all_texts: list[str] = []
    for corpus in corpora:
        differences = []
        mentions = 0
        for text in corpus.texts:
            expected, got = _key(dict_matcher.find(text)), _key(spacy_matcher.find(text))
            mentions += len(expected)
            if expected != got:
                differences.append({"text": text, "dict": expected, "spacy": got})
        result["corpora"].append(
            {
                "name": corpus.name,
                "messages": len(corpus.texts),
                "mentions": mentions,
                "differing_messages": len(differences),
                "examples": differences[:5],
            }
        )
        if not corpus.name.startswith("every gazetteer phrase"):
            all_texts += corpus.texts

    # Latency: same process, both warm, interleaved per message so drift hits both alike.
    # "words" is the step both share (tokens, abbreviations expanded, folded): what is left of
    # each matcher's time is the matching itself.
    timings: dict[str, list[float]] = {"words": [], "dict": [], "spacy": []}
    finders = {"words": text_words, "dict": dict_matcher.find, "spacy": spacy_matcher.find}
    for text in all_texts:  # warm-up
        for find in finders.values():
            find(text)
    clock = time.perf_counter
    for _ in range(rounds):
        for text in all_texts:
            for name, find in finders.items():
                started = clock()
                find(text)
                timings[name].append(clock() - started)
    result["latency_ms"] = {
        name: {
            "messages": len(all_texts),
            "rounds": rounds,
            "p50": round(1000 * _percentile(values, 0.50), 4),
            "p95": round(1000 * _percentile(values, 0.95), 4),
            "mean": round(1000 * statistics.fmean(values), 4),
        }
        for name, values in timings.items()
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "spacy-matcher.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    _print(result)
    return result


def _print(result: dict[str, Any]) -> None:
    print(f"spaCy {result['spacy_version']}; phrases: {result['phrases']}")
    for corpus in result["corpora"]:
        print(
            f"  {corpus['name']}: {corpus['messages']} messages, {corpus['mentions']} gazetteer mentions, "
            f"{corpus['differing_messages']} messages with different entities"
        )
        for example in corpus["examples"]:
            print(f"     {example}")
    imp = result["spacy_import"]
    print(
        f"  import spacy after rasa: {imp['seconds']:.2f} s, +{imp['rss_mib']:.1f} MiB RSS"
        f" (already loaded by rasa: {imp['already_loaded_by_rasa']})"
    )
    print(f"  {'matcher':8s} {'build s':>8s} {'RSS MiB':>8s} {'traced MiB':>11s} {'p50 ms':>8s} {'p95 ms':>8s}")
    for name in ("dict", "spacy"):
        build, latency = result["build"][name], result["latency_ms"][name]
        print(
            f"  {name:8s} {build['seconds']:8.3f} {build['rss_mib']:8.1f} {build['traced_mib']:11.1f}"
            f" {latency['p50']:8.4f} {latency['p95']:8.4f}"
        )
    shared = result["latency_ms"]["words"]
    print(f"  (shared words step alone: p50 {shared['p50']:.4f} ms, p95 {shared['p95']:.4f} ms)")
