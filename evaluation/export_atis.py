"""Writes the project's own annotated NLU data in the ATIS layout (train from data/nlu, test from
tests/nlu/heldout.yml), so `python -m evaluation atis` scores our slots like any ATIS dataset.

    python -m evaluation.export_atis OUT_DIR
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

from evaluation.rasa_nlu import ROOT

_TOKEN_RE = re.compile(r"\w+(?:[./\-]\w+)*|[^\w\s]", re.UNICODE)


def _tokens_and_tags(text: str, entities: list[dict]) -> tuple[list[str], list[str]]:
    tokens, tags = [], []
    for match in _TOKEN_RE.finditer(text):
        tag = "O"
        for entity in entities:
            if entity["start"] <= match.start() and match.end() <= entity["end"]:
                tag = (
                    "B-"
                    if not tags or not tags[-1].endswith(entity["entity"]) or match.start() == entity["start"]
                    else "I-"
                )
                tag += entity["entity"]
                break
        tokens.append(match.group(0))
        tags.append(tag)
    return tokens, tags


def export(source: Path, target: Path) -> int:
    target.mkdir(parents=True, exist_ok=True)
    rows = []
    for message in load_data(str(source)).intent_examples:
        tokens, tags = _tokens_and_tags(message.get("text"), message.get("entities") or [])
        if tokens:
            rows.append((" ".join(tokens), " ".join(tags), message.get("intent")))
    (target / "seq.in").write_text("\n".join(r[0] for r in rows) + "\n", encoding="utf-8")
    (target / "seq.out").write_text("\n".join(r[1] for r in rows) + "\n", encoding="utf-8")
    (target / "label").write_text("\n".join(r[2] for r in rows) + "\n", encoding="utf-8")
    return len(rows)


def main() -> None:
    out = Path(sys.argv[1])
    print("train", export(ROOT / "data" / "nlu", out / "train"))
    print("test", export(ROOT / "tests" / "nlu" / "heldout.yml", out / "test"))


if __name__ == "__main__":
    main()
