"""The learned-examples file: valid Rasa YAML, de-duplicated, never contradicting the training data
nor leaking the held-out test set."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from servicedesk.learning import training_file
from servicedesk.learning.training_file import ExampleError, add_example, read_examples, render


@pytest.fixture
def learned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path / "var"))
    from core.settings import get_settings

    get_settings.cache_clear()
    yield tmp_path / "learned.yml"
    get_settings.cache_clear()


def _heldout_example() -> tuple[str, str]:
    intent, texts = next(iter(read_examples(training_file.HELDOUT_FILE).items()))
    return intent, texts[0]


def _training_example(intent: str) -> str:
    return read_examples(training_file.TRAIN_DIR / f"{intent}.yml")[intent][0]


def test_empty_file_is_valid_rasa_yaml(learned: Path) -> None:
    training_file.ensure_file(learned)
    data = yaml.safe_load(learned.read_text(encoding="utf-8"))
    assert data == {"version": "3.1", "nlu": []}


def test_assigned_example_is_written_under_its_intent(learned: Path) -> None:
    result = add_example(learned, "ask_fee", "  làm lại   cccd bị mất\nthì tốn bao nhiêu  ")
    assert result.added and result.text == "làm lại cccd bị mất thì tốn bao nhiêu"
    add_example(learned, "ask_fee", "phí cấp đổi bằng lái xe quốc tế là bao nhiêu vậy ad")
    add_example(learned, "request_human", "cho tôi nói chuyện với tổng đài viên thật sự")
    data = yaml.safe_load(learned.read_text(encoding="utf-8"))
    assert data["version"] == "3.1"
    blocks = {b["intent"]: b["examples"] for b in data["nlu"]}
    assert blocks["ask_fee"] == (
        "- làm lại cccd bị mất thì tốn bao nhiêu\n- phí cấp đổi bằng lái xe quốc tế là bao nhiêu vậy ad\n"
    )
    assert read_examples(learned)["request_human"] == ["cho tôi nói chuyện với tổng đài viên thật sự"]


def test_duplicates_after_normalisation_are_not_added_twice(learned: Path) -> None:
    add_example(learned, "ask_fee", "Làm lại CCCD bị mất thì tốn bao nhiêu?")
    again = add_example(learned, "ask_fee", "lam lai cccd bi mat thi ton bao nhieu")
    assert not again.added
    assert read_examples(learned) == {"ask_fee": ["Làm lại CCCD bị mất thì tốn bao nhiêu?"]}


def test_an_example_of_the_training_data_is_not_repeated(learned: Path) -> None:
    existing = _training_example("ask_fee")
    assert not add_example(learned, "ask_fee", existing.upper()).added
    assert not learned.exists() or read_examples(learned) == {}


def test_a_contradicting_label_is_refused(learned: Path) -> None:
    add_example(learned, "ask_fee", "làm lại cccd bị mất thì tốn bao nhiêu")
    with pytest.raises(ExampleError, match="ý định “ask_fee”"):
        add_example(learned, "ask_documents", "Làm lại CCCD bị mất thì tốn bao nhiêu")
    with pytest.raises(ExampleError, match="ý định “greet”"):
        add_example(learned, "ask_fee", _training_example("greet"))


def test_held_out_examples_never_enter_training(learned: Path) -> None:
    intent, text = _heldout_example()
    with pytest.raises(ExampleError, match="bộ kiểm thử"):
        add_example(learned, intent, text)


def test_unknown_intent_and_empty_text_are_refused(learned: Path) -> None:
    with pytest.raises(ExampleError, match="domain.yml"):
        add_example(learned, "order_pizza", "cho một pizza")
    with pytest.raises(ExampleError, match="trống"):
        add_example(learned, "ask_fee", " ?! ")
    with pytest.raises(ExampleError, match="dài quá"):
        add_example(learned, "ask_fee", "phí " * 200)


def test_brackets_cannot_become_entity_markup(learned: Path) -> None:
    add_example(learned, "ask_fee", "phí [sổ đỏ](procedure) và {x} bao nhiêu")
    (text,) = read_examples(learned)["ask_fee"]
    assert "[" not in text and "{" not in text
    assert text == "phí sổ đỏ và (x) bao nhiêu"


def test_render_is_stable_and_sorted() -> None:
    text = render({"thank": ["cảm ơn nhiều nha"], "ask_fee": ["phí bao nhiêu"], "greet": []})
    assert text.index("- intent: ask_fee") < text.index("- intent: thank")
    assert "greet" not in text
    assert render(yaml.safe_load(text) and read_examples_from_text(text)) == text


def read_examples_from_text(text: str) -> dict[str, list[str]]:
    data = yaml.safe_load(text)
    return {b["intent"]: [line[2:] for line in b["examples"].splitlines()] for b in data["nlu"]}


def test_snapshot_copies_the_file_as_it_is(learned: Path, tmp_path: Path) -> None:
    add_example(learned, "ask_fee", "làm lại cccd bị mất thì tốn bao nhiêu")
    target = tmp_path / "job" / "learned.yml"
    assert training_file.snapshot(learned, target) == 1
    add_example(learned, "ask_fee", "phí cấp đổi bằng lái xe quốc tế là bao nhiêu vậy ad")
    assert read_examples(target) == {"ask_fee": ["làm lại cccd bị mất thì tốn bao nhiêu"]}


def test_the_repository_learned_file_is_valid() -> None:
    path = training_file.TRAIN_DIR / "learned.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert str(data["version"]) == "3.1" and isinstance(data["nlu"], list)
    intents = set(training_file.domain_intents())
    assert all(block["intent"] in intents for block in data["nlu"])
