"""The real NLU pipeline (config.yml), trained on the project's data, parsing real messages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.gazetteer import find_mentions, find_patterns, load_gazetteer
from evaluation.rasa_nlu import ROOT, TrainedModel, quiet, train


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedModel]:
    quiet()
    examples = [m for m in load_data(str(ROOT / "data" / "nlu")).intent_examples if m.get("text")]
    yield train(examples, Path(tmp_path_factory.mktemp("nlu")))


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("xin chào", "greet"),
        ("đăng ký khai sinh cần giấy tờ gì", "ask_documents"),
        ("dang ky khai sinh can giay to gi", "ask_documents"),
        ("lệ phí đăng ký tạm trú bao nhiêu tiền", "ask_fee"),
        ("le phi dk tam tru bn tien", "ask_fee"),
        ("làm sổ đỏ mất bao lâu", "ask_processing_time"),
        ("tra cứu hồ sơ 000.00.01.H29-250710-0012", "check_dossier_status"),
        ("xã Tân Phú huyện Đồng Phú cũ giờ thuộc xã nào", "ask_unit_change"),
        ("cho tôi gặp cán bộ", "request_human"),
        ("hôm nay thời tiết thế nào", "out_of_scope"),
    ],
)
def test_intents(model: TrainedModel, text: str, intent: str) -> None:
    (parsed,) = model.parse([text])
    assert parsed.intent == intent, (text, parsed)


def test_entities_have_exact_offsets(model: TrainedModel) -> None:
    text = "Tra cứu hồ sơ 000.00.01.H29-250710-0012, sđt 0912 345 678, đk tạm trú ở P.Bến Thành"
    (parsed,) = model.parse([text])
    found = {e["entity"]: e for e in parsed.entities if e.get("extractor") == "VietnameseEntityExtractor"}
    assert found["dossier_code"]["value"] == "000.00.01.H29-250710-0012"
    assert found["phone"]["value"] == "0912345678"
    assert found["procedure"]["value"] == "1.004194"
    assert text[found["unit"]["start"] : found["unit"]["end"]] == "P.Bến Thành"
    for entity in found.values():
        assert 0 <= entity["start"] < entity["end"] <= len(text)


def test_characters_that_trap_underthesea_do_not_break_parsing(model: TrainedModel) -> None:
    for text in ["Phường Hoà Bình", "Ðồng Tháp", "thuỷ lợi", "🙂", "!!!", "a" * 300]:
        (parsed,) = model.parse([text])
        assert parsed.intent


def test_gazetteer_extractor_on_its_own() -> None:
    gazetteer = load_gazetteer()
    mentions = find_mentions("nhap hk cho con o phuong 5 quan 3", gazetteer)
    assert [(m.entity, m.text) for m in mentions] == [
        ("procedure", "nhap hk cho con"),
        ("unit", "phuong 5"),
        ("unit", "quan 3"),
    ]
    assert [m.entity for m in find_patterns("gọi +84 912 345 678 hoặc G22.99-250801-0003")] == ["dossier_code", "phone"]
