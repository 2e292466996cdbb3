"""Sanity checks for data/nlu/*.yml and tests/nlu/heldout.yml (stdlib + PyYAML).

    python -m scripts.nlu_data.validate

Checks: YAML parses with the Rasa 3 layout; counts per intent (train / held-out); share of
examples without any diacritics; no duplicate examples within or across intents, nor between
training and held-out (compared after removing entity markup, case, diacritics and
punctuation); entity markup only uses the five known entity names.  Exit status 1 on failure.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TRAIN_DIR = ROOT / "data" / "nlu"
HELDOUT_FILE = ROOT / "tests" / "nlu" / "heldout.yml"
ENTITIES = {"procedure", "unit", "dossier_code", "phone", "rating"}
INTENTS = [
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "out_of_scope",
    "inform",
    "ask_procedure",
    "ask_documents",
    "ask_fee",
    "ask_processing_time",
    "ask_steps",
    "ask_submission_place",
    "ask_online_submission",
    "check_dossier_status",
    "find_office",
    "ask_unit_change",
    "request_human",
    "give_feedback",
    "rate_service",
    "ask_checklist",
    "subscribe_dossier_news",
    "unsubscribe_dossier_news",
    "request_callback",
]
MARKUP = re.compile(r"\[([^\]]+)\]\((\w+)\)")


def strip_diacritics(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", text)


def key(example: str) -> str:
    text = strip_diacritics(MARKUP.sub(r"\1", example).lower())
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def load(path: Path, errors: list[str]) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = defaultdict(list)
    layout_ok = isinstance(data, dict) and str(data.get("version")) == "3.1"
    if not layout_ok or not isinstance(data.get("nlu"), list):
        errors.append(f'{path}: expected version "3.1" and an nlu list')
        return out
    for block in data["nlu"]:
        if "intent" not in block:
            if "synonym" in block or "regex" in block or "lookup" in block:
                continue
            errors.append(f"{path}: block without intent: {block!r:.80}")
            continue
        raw = block.get("examples", "")
        for line in raw.splitlines():
            if not line.strip():
                continue
            if not line.startswith("- "):
                errors.append(f"{path}: example line must start with '- ': {line!r}")
                continue
            out[block["intent"]].append(line[2:].strip())
    return out


def main() -> int:
    errors: list[str] = []
    train: dict[str, list[str]] = defaultdict(list)
    for path in sorted(TRAIN_DIR.glob("*.yml")):
        for intent, examples in load(path, errors).items():
            train[intent].extend(examples)
    held = load(HELDOUT_FILE, errors)

    owner: dict[str, str] = {}
    for split, data in (("train", train), ("heldout", held)):
        for intent, examples in data.items():
            if intent not in INTENTS:
                errors.append(f"{split}: unknown intent {intent}")
            for ex in examples:
                k = key(ex)
                where = f"{split}:{intent}"
                if k in owner:
                    errors.append(f"duplicate {ex!r} in {where} and {owner[k]}")
                owner[k] = where
                for text, entity in MARKUP.findall(ex):
                    if entity not in ENTITIES:
                        errors.append(f"unknown entity {entity!r} in {ex!r}")
                    if text != text.strip():
                        errors.append(f"entity text has outer spaces in {ex!r}")
                rest = MARKUP.sub("", ex)
                if "[" in rest or "](" in rest:
                    errors.append(f"broken markup in {ex!r}")

    entity_counts: Counter[str] = Counter()
    print(f"{'intent':24} {'train':>6} {'held':>6} {'noDiac%':>8}")
    tot_t = tot_h = ascii_t = ascii_h = 0
    for intent in INTENTS:
        t, h = train.get(intent, []), held.get(intent, [])
        if not t or not h:
            errors.append(f"{intent}: missing from train or held-out")
        a = sum(MARKUP.sub(r"\1", ex).isascii() for ex in t + h)
        print(f"{intent:24} {len(t):6d} {len(h):6d} {100 * a / max(1, len(t) + len(h)):7.1f}%")
        tot_t += len(t)
        tot_h += len(h)
        ascii_t += sum(MARKUP.sub(r"\1", ex).isascii() for ex in t)
        ascii_h += sum(MARKUP.sub(r"\1", ex).isascii() for ex in h)
        for ex in t + h:
            entity_counts.update(e for _, e in MARKUP.findall(ex))
    print(f"{'TOTAL':24} {tot_t:6d} {tot_h:6d}")
    print(f"held-out share: {100 * tot_h / (tot_t + tot_h):.1f}%")
    print(f"no-diacritics share: train {100 * ascii_t / tot_t:.1f}%, held-out {100 * ascii_h / tot_h:.1f}%")
    print("entities:", dict(sorted(entity_counts.items())))
    for e in errors[:50]:
        print("ERROR:", e, file=sys.stderr)
    if errors:
        print(f"{len(errors)} error(s)", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
