"""Datasets in the common ATIS layout: ``{train,dev,test}/seq.in`` (one utterance per line,
tokens separated by spaces), ``seq.out`` (one BIO tag per token) and ``label`` (one intent)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class AtisFormatError(ValueError):
    pass


@dataclass(frozen=True)
class AtisExample:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    intent: str

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def token_offsets(self) -> list[tuple[int, int]]:
        offsets, position = [], 0
        for token in self.tokens:
            offsets.append((position, position + len(token)))
            position += len(token) + 1
        return offsets

    def entities(self) -> list[dict[str, object]]:
        """Character-level entities (start, end, entity, value) for the BIO chunks."""
        from evaluation.metrics import bio_spans

        offsets = self.token_offsets()
        found = []
        for start, end, kind in sorted(bio_spans(self.tags)):
            char_start, char_end = offsets[start][0], offsets[end - 1][1]
            found.append(
                {"start": char_start, "end": char_end, "entity": kind, "value": self.text[char_start:char_end]}
            )
        return found


def tags_from_entities(example: AtisExample, entities: list[dict]) -> list[str]:
    """BIO tags for the example's tokens from predicted character spans. A token belongs to an
    entity when it lies inside the span; the first such token gets B-."""
    tags = ["O"] * len(example.tokens)
    for entity in sorted(entities, key=lambda e: e["start"]):
        inside = [
            i
            for i, (s, e) in enumerate(example.token_offsets())
            if s >= entity["start"] and e <= entity["end"] and tags[i] == "O"
        ]
        for n, i in enumerate(inside):
            tags[i] = ("B-" if n == 0 else "I-") + str(entity["entity"])
    return tags


def read_split(directory: Path) -> list[AtisExample]:
    files = {name: directory / name for name in ("seq.in", "seq.out", "label")}
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        raise AtisFormatError(f"missing file(s): {', '.join(missing)}")
    lines = {name: path.read_text(encoding="utf-8").splitlines() for name, path in files.items()}
    counts = {name: len(v) for name, v in lines.items()}
    if len(set(counts.values())) != 1:
        raise AtisFormatError(f"{directory}: line counts differ {counts}")
    examples = []
    for number, (text, tags, intent) in enumerate(
        zip(lines["seq.in"], lines["seq.out"], lines["label"], strict=False), start=1
    ):
        tokens, tag_list = tuple(text.split()), tuple(tags.split())
        if len(tokens) != len(tag_list):
            raise AtisFormatError(f"{directory} line {number}: {len(tokens)} tokens but {len(tag_list)} tags")
        bad = [t for t in tag_list if t != "O" and not (t[:2] in ("B-", "I-") and len(t) > 2)]
        if bad:
            raise AtisFormatError(f"{directory} line {number}: not a BIO tag: {bad[0]}")
        if not tokens or not intent.strip():
            raise AtisFormatError(f"{directory} line {number}: empty utterance or intent")
        examples.append(AtisExample(tokens, tag_list, intent.strip()))
    return examples


def read_dataset(root: Path) -> dict[str, list[AtisExample]]:
    """train and test are required; dev is read when present."""
    splits = {"train": read_split(root / "train"), "test": read_split(root / "test")}
    if (root / "dev").exists():
        splits["dev"] = read_split(root / "dev")
    return splits
