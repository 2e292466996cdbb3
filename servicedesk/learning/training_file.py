"""The learned-examples training file: Rasa YAML NLU (``version: "3.1"``), one block per intent.

Examples are compared after ``normalize_folded`` (case, diacritics, punctuation, abbreviations),
the same notion of "the same text" as the NLU itself, against all training data and against the
held-out test set: an example already there is not added twice, one labelled with another intent
is refused (it would teach the model a contradiction), and one from the held-out set is refused
(training on the test set would make the retrain gate meaningless).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.vntext import normalize_folded
from core.errors import InvalidError
from core.settings import PROJECT_ROOT, get_settings

TRAIN_DIR = PROJECT_ROOT / "data" / "nlu"
HELDOUT_FILE = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
MAX_EXAMPLE_CHARS = 500
HEADER = (
    "# Examples learned from real conversations (staff console, learning inbox: servicedesk/learning).\n"
    "# Reviewed and committed like the rest of data/nlu; texts were redacted before they were stored.\n"
)
# Rasa reads "[text](entity)", "[text]{...}" and "[text][...]" as entity markup; a citizen's
# brackets must stay plain text.
_MARKUP_CHARS = str.maketrans({"[": "(", "]": ")", "{": "(", "}": ")"})
_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")
_thread_lock = threading.Lock()


class ExampleError(InvalidError, ValueError):
    """The example cannot be added; the message is Vietnamese, for the editor."""


@dataclass(frozen=True)
class AddedExample:
    intent: str
    text: str  # as written to the file
    added: bool  # False when the same example was already there with this intent


def dedup_key(text: str) -> str:
    return " ".join(normalize_folded(_MARKUP.sub(r"\1", text)).split())


def clean_example(text: str) -> str:
    """One line, no entity markup (kept as its plain text), no bracket left, bounded length."""
    cleaned = " ".join(_MARKUP.sub(r"\1", text).translate(_MARKUP_CHARS).split())
    if not cleaned or not dedup_key(cleaned):
        raise ExampleError("Câu trống, không thể dùng làm ví dụ huấn luyện.")
    if len(cleaned) > MAX_EXAMPLE_CHARS:
        raise ExampleError(f"Câu dài quá {MAX_EXAMPLE_CHARS} ký tự, không phù hợp làm ví dụ huấn luyện.")
    return cleaned


def domain_intents(domain_file: Path = DOMAIN_FILE) -> list[str]:
    data = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    intents = []
    for item in data.get("intents") or []:
        intents.append(next(iter(item)) if isinstance(item, dict) else str(item))
    return intents


def read_examples(path: Path) -> dict[str, list[str]]:
    """Intent → example texts of one Rasa YAML NLU file (empty if the file does not exist)."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, list[str]] = {}
    for block in data.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        examples = out.setdefault(str(block["intent"]), [])
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append(line[2:].strip())
    return out


def render(examples: dict[str, list[str]]) -> str:
    lines = [HEADER.rstrip("\n"), 'version: "3.1"']
    blocks = [(intent, texts) for intent, texts in sorted(examples.items()) if texts]
    if not blocks:
        return "\n".join([*lines, "nlu: []"]) + "\n"
    lines.append("nlu:")
    for intent, texts in blocks:
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in texts]
    return "\n".join(lines) + "\n"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time, across threads and processes (the API and a CLI may both write)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not beside the file: everything under data/ feeds the model's content hash.
    locks = get_settings().data_dir / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    lock_path = locks / f"learned-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]}.lock"
    with _thread_lock, lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_file(path: Path) -> None:
    """Create an empty, valid learned file if there is none (``rasa train --data`` needs it)."""
    with _locked(path):
        if not path.exists():
            _write_atomically(path, render({}))


def _labelled_keys(learned: Path) -> dict[str, str]:
    """Normalised example → intent, over every training file (the learned one included)."""
    keys: dict[str, str] = {}
    files = sorted(TRAIN_DIR.glob("*.yml"))
    if learned.resolve() not in {f.resolve() for f in files}:
        files.append(learned)
    for path in files:
        for intent, texts in read_examples(path).items():
            for text in texts:
                keys.setdefault(dedup_key(text), intent)
    return keys


def _heldout_keys() -> set[str]:
    return {dedup_key(t) for texts in read_examples(HELDOUT_FILE).values() for t in texts}


def add_example(path: Path, intent: str, text: str) -> AddedExample:
    """Append ``text`` under ``intent`` unless it is already there; refuse contradictions."""
    if intent not in domain_intents():
        raise ExampleError(f"Ý định “{intent}” không có trong domain.yml.")
    cleaned = clean_example(text)
    key = dedup_key(cleaned)
    with _locked(path):
        if key in _heldout_keys():
            raise ExampleError(
                "Câu này (sau khi chuẩn hóa) đã có trong bộ kiểm thử tests/nlu/heldout.yml; "
                "không đưa vào dữ liệu huấn luyện để phép so sánh mô hình còn khách quan."
            )
        existing = _labelled_keys(path).get(key)
        if existing == intent:
            return AddedExample(intent, cleaned, added=False)
        if existing is not None:
            raise ExampleError(
                f"Câu này (sau khi chuẩn hóa) đã có trong dữ liệu huấn luyện với ý định “{existing}”; "
                "gán ý định khác sẽ làm mô hình học hai nhãn mâu thuẫn."
            )
        examples = read_examples(path)
        examples.setdefault(intent, []).append(cleaned)
        _write_atomically(path, render(examples))
    return AddedExample(intent, cleaned, added=True)


def snapshot(path: Path, target: Path) -> int:
    """Copy the learned file as it is now (the retrain trains on this copy, so assignments made
    while it runs wait for the next retrain). Returns the number of learned examples."""
    ensure_file(path)
    with _locked(path):
        text = path.read_text(encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return sum(len(v) for v in read_examples(target).values())
