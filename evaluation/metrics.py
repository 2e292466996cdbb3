"""Evaluation metrics, dependency-free: classification reports and conlleval span F1."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def classification_report(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, ClassScore]:
    """Per-label precision, recall, F1 and support (labels seen in gold)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g, p in zip(gold, predicted, strict=False):
        if g == p:
            tp[g] += 1
        else:
            fp[p] += 1
            fn[g] += 1
    support = Counter(gold)
    return {label: ClassScore(*_prf(tp[label], fp[label], fn[label]), support[label]) for label in sorted(support)}


def macro_f1(report: dict[str, ClassScore]) -> float:
    return sum(s.f1 for s in report.values()) / len(report) if report else 0.0


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, predicted, strict=False)) / len(gold) if gold else 0.0


def confusion_matrix(gold: Sequence[str], predicted: Sequence[str]) -> tuple[list[str], list[list[int]]]:
    labels = sorted(set(gold) | set(predicted))
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=False):
        matrix[index[g]][index[p]] += 1
    return labels, matrix


def bio_spans(tags: Sequence[str]) -> set[tuple[int, int, str]]:
    """Chunks of a BIO sequence as conlleval reads them: an I- tag after O or after another type
    starts a new chunk; returns (start, end exclusive, type)."""
    spans = set()
    start: int | None = None
    kind: str | None = None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        begins = prefix == "B" or (prefix == "I" and (kind != label or start is None))
        if start is not None and (prefix == "O" or begins):
            spans.add((start, i, kind or ""))
            start, kind = None, None
        if begins:
            start, kind = i, label
    return spans


@dataclass(frozen=True)
class SlotScore:
    precision: float
    recall: float
    f1: float
    gold_chunks: int
    predicted_chunks: int
    correct_chunks: int


def slot_f1(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> SlotScore:
    """Span-level (exact boundaries and type) micro F1 over sentences, as conlleval computes it."""
    correct = gold_total = predicted_total = 0
    for g, p in zip(gold, predicted, strict=False):
        gold_spans, predicted_spans = bio_spans(g), bio_spans(p)
        correct += len(gold_spans & predicted_spans)
        gold_total += len(gold_spans)
        predicted_total += len(predicted_spans)
    precision, recall, f1 = _prf(correct, predicted_total - correct, gold_total - correct)
    return SlotScore(precision, recall, f1, gold_total, predicted_total, correct)


def sentence_accuracy(
    gold_intents: Sequence[str],
    predicted_intents: Sequence[str],
    gold_tags: Sequence[Sequence[str]],
    predicted_tags: Sequence[Sequence[str]],
) -> float:
    """Share of sentences with the right intent and exactly the right slot chunks."""
    hits = sum(
        gi == pi and bio_spans(gt) == bio_spans(pt)
        for gi, pi, gt, pt in zip(gold_intents, predicted_intents, gold_tags, predicted_tags, strict=False)
    )
    return hits / len(gold_intents) if gold_intents else 0.0
