"""Normalisation shared by the NLU and the search: properties on arbitrary Unicode, and examples."""

from __future__ import annotations

import doctest

from hypothesis import given
from hypothesis import strategies as st

import bot.vntext as vntext
from bot.vntext import canonical_tones, fold, has_diacritics, normalize, normalize_folded


def test_doctests() -> None:
    assert doctest.testmod(vntext).failed == 0


@given(st.text())
def test_fold_preserves_length(text: str) -> None:
    assert len(fold(text)) == len(text)


@given(st.text())
def test_canonical_tones_preserves_length_of_nfc_text(text: str) -> None:
    nfc = vntext.nfc(text).translate(vntext._ETH_TABLE)
    assert len(canonical_tones(nfc)) == len(nfc)


@given(st.text())
def test_canonical_tones_is_idempotent(text: str) -> None:
    once = canonical_tones(text)
    assert canonical_tones(once) == once


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert normalize_folded(text) == fold(once)


def test_old_and_new_tone_placement_compare_equal() -> None:
    assert canonical_tones("Hoà Bình") == canonical_tones("Hòa Bình") == "Hòa Bình"
    assert canonical_tones("thuỷ") == "thủy"
    assert canonical_tones("Khánh Hoà") == "Khánh Hòa"
    # Tone placement after "qu" and "gi" and with a final consonant stays as it is.
    for word in ["quý", "già", "hoàng", "thuyền", "người", "khuỷu"]:
        assert canonical_tones(word) == word


def test_fold_and_eth() -> None:
    assert fold("Đăng Ký Tạm Trú") == "dang ky tam tru"
    assert normalize("Ðồng Tháp") == "đồng tháp"


def test_abbreviations_expand_only_when_typed_without_marks() -> None:
    assert normalize("đk gks cho con ko") == "đăng ký giấy khai sinh cho con không"
    assert normalize("sdt cua ubnd p.Bến Thành") == "số điện thoại cua ủy ban nhân dân phường bến thành"
    # "hồng" is a word, never the teencode "hong" (không).
    assert normalize("phường Hồng Hà") == "phường hồng hà"


def test_has_diacritics() -> None:
    assert has_diacritics("đăng ký")
    assert not has_diacritics("dang ky")
