"""Metric code (hand-checked examples) and the ATIS-layout reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation import metrics
from evaluation.atis import AtisExample, AtisFormatError, read_dataset, read_split, tags_from_entities


def test_bio_spans_follow_conlleval() -> None:
    tags = ["B-city", "I-city", "O", "I-date", "I-date", "B-city", "B-city", "I-time"]
    assert metrics.bio_spans(tags) == {(0, 2, "city"), (3, 5, "date"), (5, 6, "city"), (6, 7, "city"), (7, 8, "time")}


def test_slot_f1_hand_checked() -> None:
    gold = [["B-from", "I-from", "O", "B-to"], ["O", "B-date", "I-date"]]
    predicted = [["B-from", "O", "O", "B-to"], ["O", "B-date", "I-date"]]
    # gold chunks: from(0,2), to(3,4), date(1,3) = 3; predicted: from(0,1), to, date = 3; correct: to, date = 2
    score = metrics.slot_f1(gold, predicted)
    assert (score.gold_chunks, score.predicted_chunks, score.correct_chunks) == (3, 3, 2)
    assert score.precision == pytest.approx(2 / 3) and score.recall == pytest.approx(2 / 3)
    assert score.f1 == pytest.approx(2 / 3)


def test_slot_f1_with_no_chunks_is_zero_not_an_error() -> None:
    assert metrics.slot_f1([["O"]], [["O"]]).f1 == 0.0


def test_sentence_accuracy_needs_intent_and_all_slots() -> None:
    assert metrics.sentence_accuracy(
        ["a", "a", "b"],
        ["a", "b", "b"],
        [["B-x"], ["B-x"], ["O"]],
        [["B-x"], ["B-x"], ["B-x"]],
    ) == pytest.approx(1 / 3)


def test_classification_report_and_macro_f1() -> None:
    gold = ["a", "a", "b", "b"]
    predicted = ["a", "b", "b", "b"]
    report = metrics.classification_report(gold, predicted)
    assert report["a"].precision == 1.0 and report["a"].recall == 0.5
    assert report["b"].precision == pytest.approx(2 / 3) and report["b"].recall == 1.0
    assert metrics.macro_f1(report) == pytest.approx((2 / 3 + 0.8) / 2)
    labels, matrix = metrics.confusion_matrix(gold, predicted)
    assert labels == ["a", "b"] and matrix == [[1, 1], [0, 2]]


def _write(root: Path, split: str, lines: list[tuple[str, str, str]]) -> None:
    folder = root / split
    folder.mkdir(parents=True)
    (folder / "seq.in").write_text("\n".join(t for t, _, _ in lines) + "\n", encoding="utf-8")
    (folder / "seq.out").write_text("\n".join(s for _, s, _ in lines) + "\n", encoding="utf-8")
    (folder / "label").write_text("\n".join(i for _, _, i in lines) + "\n", encoding="utf-8")


def test_atis_reader_and_entity_round_trip(tmp_path: Path) -> None:
    _write(tmp_path, "train", [("chuyến bay từ hà_nội đến huế", "O O O B-from I-from B-to", "flight")])
    _write(tmp_path, "test", [("giá vé đi đà_nẵng", "O O O B-to", "airfare")])
    data = read_dataset(tmp_path)
    example = data["train"][0]
    assert example.intent == "flight" and "dev" not in data
    entities = example.entities()
    assert [(e["entity"], e["value"]) for e in entities] == [("from", "hà_nội đến"), ("to", "huế")]
    assert tags_from_entities(example, entities) == list(example.tags)


def test_atis_reader_rejects_misaligned_files(tmp_path: Path) -> None:
    _write(tmp_path, "test", [("a b", "O", "x")])
    with pytest.raises(AtisFormatError, match="1 tags"):
        read_split(tmp_path / "test")
    with pytest.raises(AtisFormatError, match="missing"):
        read_split(tmp_path / "nowhere")


def test_tags_from_partial_entity_overlap() -> None:
    example = AtisExample(("a", "b", "c"), ("O", "O", "O"), "x")
    assert tags_from_entities(example, [{"start": 2, "end": 5, "entity": "t"}]) == ["O", "B-t", "I-t"]
