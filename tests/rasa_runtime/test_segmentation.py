"""Word segmentation and the Rasa tokenizer: exact offsets for any input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.segmentation import learn_lexicon, segment

VIETNAMESE_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
vietnamish = st.text(
    alphabet=VIETNAMESE_ALPHABET + VIETNAMESE_ALPHABET.upper() + " .,-/?!0123456789Ð\u0301\u0300", max_size=80
)


def _assert_exact(text: str) -> None:
    words = segment(text)
    for word in words:
        assert 0 <= word.start < word.end <= len(text)
        assert text[word.start : word.end] == word.text
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(words, words[1:], strict=False))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_offsets_exact_for_arbitrary_unicode(text: str) -> None:
    _assert_exact(text)


@settings(max_examples=300, deadline=None)
@given(vietnamish)
def test_offsets_exact_for_vietnamese_like_text(text: str) -> None:
    _assert_exact(text)


def test_characters_underthesea_rewrites_keep_their_offsets() -> None:
    text = "Phường Hoà Bình, Ðồng Tháp, thuỷ lợi"
    words = segment(text)
    _assert_exact(text)
    assert [w.text for w in words][:2] == ["Phường", "Hoà Bình"]
    assert words[1].norm == "hòa_bình"


def test_diacritic_free_text_gets_the_same_words_through_the_lexicon() -> None:
    lexicon = learn_lexicon(["Đăng ký tạm trú cần giấy tờ gì", "đăng ký khai sinh"])
    with_marks = [w.folded for w in segment("đăng ký tạm trú cần giấy tờ gì", lexicon)]
    without = [w.folded for w in segment("dang ky tam tru can giay to gi", lexicon)]
    assert with_marks == without == ["dang_ky", "tam_tru", "can", "giay_to", "gi"]


def test_abbreviations_and_unit_prefixes() -> None:
    words = segment("đk tạm trú ở P.5 Q.3")
    assert [(w.text, w.folded) for w in words] == [
        ("đk", "dang_ky"),
        ("tạm trú", "tam_tru"),
        ("ở", "o"),
        ("P.", "phuong"),
        ("5", "5"),
        ("Q.", "quan"),
        ("3", "3"),
    ]


def test_dossier_codes_stay_one_token() -> None:
    words = segment("tra cứu hồ sơ 000.00.01.H29-250710-0012 giúp em")
    assert "000.00.01.H29-250710-0012" in [w.text for w in words]


def test_rasa_tokenizer_component_keeps_offsets_and_folds_lemmas() -> None:
    import tempfile
    from pathlib import Path

    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.components.tokenizer import VietnameseTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        storage = LocalModelStorage(Path(tmp))
        resource = Resource("tokenizer")
        context = ExecutionContext(GraphSchema({}), "test")
        config = {**VietnameseTokenizer.get_default_config()}
        tokenizer = VietnameseTokenizer.create(config, storage, resource, context)
        tokenizer.train(
            TrainingData([Message(data={"text": "đăng ký tạm trú cần giấy tờ gì", "intent": "ask_documents"})])
        )
        loaded = VietnameseTokenizer.load(config, storage, resource, context)
        text = "Dang ky tam tru o P.Hoà Bình cần j"
        tokens = loaded.tokenize(Message(data={"text": text}), "text")
        assert [text[t.start : t.end] for t in tokens] == [t.text for t in tokens]
        assert [t.lemma for t in tokens][:2] == ["dang_ky", "tam_tru"]
        assert "gi" in [t.lemma for t in tokens]
