"""The reviewed seed states what kind of fact every fee and deadline is, and never says more than
its source (the national catalogue sample, read from shared/reference when it is there)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from knowledge.procedures.facts import derive_fee, instruments_in
from knowledge.procedures.schemas import ChannelRecord, ProcedureRecord
from knowledge.seed.loader import SEED_DIR, SeedError, fact_problems, read_procedure_file

FILES = sorted((SEED_DIR / "procedures").glob("*.yaml"))
RECORDS = {path.stem: read_procedure_file(path) for path in FILES}
_MONEY = re.compile(r"\d{1,3}(?:\.\d{3})+\s*đồng|\d+\s*USD")


def _channels() -> list[tuple[str, int, ChannelRecord]]:
    return [(code, i, c) for code, record in RECORDS.items() for i, c in enumerate(record.channels)]


def _meaningful(note: str | None) -> str:
    """The note without sentences about an optional copy's fee ("nếu có yêu cầu")."""
    sentences = re.split(r"(?<=[.;])\s+", note or "")
    return " ".join(s for s in sentences if "nếu có yêu cầu" not in s)


def test_every_channel_states_its_kinds_in_the_file() -> None:
    for path in FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for channel in data["channels"]:
            assert "fee_kind" in channel and "deadline_kind" in channel, path.name


def test_unknown_only_where_the_source_has_nothing() -> None:
    for code, i, channel in _channels():
        if channel.fee_kind == "unknown":
            assert channel.fee is None and channel.fee_vnd is None, (code, i)
        if channel.deadline_kind == "unknown":
            assert channel.processing_days is None, (code, i)
            text = channel.processing_time or ""
            assert not text or text.startswith("Cổng không ghi"), (code, i, text)


def test_no_free_channel_names_a_regulation_a_council_or_an_amount() -> None:
    for code, i, channel in _channels():
        if channel.fee_kind != "free":
            continue
        said = f"{channel.fee or ''} {_meaningful(channel.note)}"
        assert not instruments_in(said), (code, i, said)
        assert not _MONEY.search(said), (code, i, said)
        assert "Luật Phí" not in said and "lệ phí" not in said.replace("Miễn lệ phí", ""), (code, i, said)
        assert channel.fee_vnd in (None, 0)


def test_amount_has_its_number_and_regulation_its_basis() -> None:
    for code, i, channel in _channels():
        if channel.fee_kind == "amount":
            assert channel.fee_vnd or "USD" in (channel.fee or ""), (code, i)
        if channel.fee_kind in ("by_regulation", "unclear"):
            assert not channel.fee_vnd, (code, i)
        if channel.fee_kind == "by_regulation":
            assert channel.fee_basis, (code, i)
        if channel.deadline_kind in ("working_days", "days"):
            assert channel.processing_days is not None, (code, i)


def test_no_deadline_whose_unit_was_lost_is_firm() -> None:
    for code, i, channel in _channels():
        text = f"{channel.processing_time or ''} {channel.note or ''}"
        if re.search(r"không (?:ghi )?rõ đơn vị", text) and channel.deadline_kind != "unclear":
            # A note may say the table lost the unit while the steps state it ("lấy theo trình tự").
            assert "trình tự" in text, (code, i, text)


def test_channels_of_one_kind_are_told_apart() -> None:
    for code, record in RECORDS.items():
        seen = Counter((c.kind, c.condition) for c in record.channels)
        assert max(seen.values()) == 1, code


# --- the corrections of issue 15 ----------------------------------------------------------------


@pytest.mark.parametrize("code", ["1.012786", "1.013831", "3.000333"])
def test_free_that_is_by_regulation(code: str) -> None:
    for channel in RECORDS[code].channels:
        assert channel.fee_kind == "by_regulation"
        assert channel.fee_vnd is None
    basis = RECORDS[code].channels[0].fee_basis or ""
    assert "244/2016/TT-BTC" in basis if code == "3.000333" else "Luật Phí và lệ phí" in basis


def test_council_fee_of_2_000806() -> None:
    for channel in RECORDS["2.000806"].channels:
        assert channel.fee_kind == "by_regulation"
        assert "Hội đồng nhân dân" in (channel.fee_basis or "")
        assert channel.deadline_kind == "unclear"  # the portal gave "5" without a unit


def test_1_004194_rate_only_for_registration_by_list() -> None:
    in_person = next(c for c in RECORDS["1.004194"].channels if c.kind == "in_person")
    assert in_person.fee_kind == "amount" and in_person.fee_vnd == 10000
    assert in_person.condition and "theo danh sách" in in_person.condition


@pytest.mark.parametrize("code", ["2.000884", "2.000815"])
def test_channels_told_apart_by_condition(code: str) -> None:
    local, embassy = RECORDS[code].channels
    assert local.kind == embassy.kind == "in_person"
    assert local.condition and "Ủy ban nhân dân cấp xã" in local.condition
    assert embassy.condition and "cơ quan đại diện" in embassy.condition
    assert embassy.fee_kind == "amount" and embassy.fee_unit == "bản" and embassy.fee_vnd is None


def test_1_002010_is_not_in_the_seed() -> None:
    # "50 VNĐ" (1.002010) is an import-time case (tests/knowledge/test_facts.py); the seed has no file for it.
    assert "1.002010" not in RECORDS


def test_3_000347_driving_licence_copy_is_not_conditional() -> None:
    for code in ("3.000347", "3.000348"):
        copy = next(d for d in RECORDS[code].documents if d.name.startswith("Bản sao có chứng thực giấy phép lái xe"))
        assert copy.required and copy.condition is None, code


def test_2_000635_same_day_only_in_person() -> None:
    kinds = {c.kind: c.deadline_kind for c in RECORDS["2.000635"].channels}
    assert kinds == {"in_person": "same_day", "online": "unknown", "post": "unknown"}


# --- the loader refuses inconsistent records ------------------------------------------------------


def _write(tmp_path: Path, channel: dict[str, object]) -> Path:
    data = yaml.safe_load((SEED_DIR / "procedures" / "1.004873.yaml").read_text(encoding="utf-8"))
    data["channels"] = [channel]
    path = tmp_path / "1.004873.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_loader_refuses_free_beside_a_council_note(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "kind": "in_person",
            "fee": "Miễn phí",
            "fee_vnd": 0,
            "note": "Mức lệ phí cụ thể do Hội đồng nhân dân cấp tỉnh quyết định.",
            "fee_kind": "free",
            "deadline_kind": "unknown",
        },
    )
    with pytest.raises(SeedError, match=r"(?s)1\.004873\.yaml: .*free"):
        read_procedure_file(path)


def test_loader_refuses_unstated_kinds_and_schema_breaches(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match=r"(?s)1\.004873\.yaml: .*fee_kind"):
        read_procedure_file(_write(tmp_path, {"kind": "online", "fee": None}))
    amount_without_number = {"kind": "online", "fee": "8.000 đồng", "fee_kind": "amount", "deadline_kind": "unknown"}
    with pytest.raises(SeedError, match=r"(?s)1\.004873\.yaml: .*fee_vnd"):
        read_procedure_file(_write(tmp_path, amount_without_number))
    lost_unit = {
        "kind": "online",
        "processing_time": 'Cổng ghi "5", không ghi rõ đơn vị',
        "processing_days": 5,
        "fee_kind": "unknown",
        "deadline_kind": "working_days",
    }
    with pytest.raises(SeedError, match="mất đơn vị"):
        read_procedure_file(_write(tmp_path, lost_unit))


def test_fact_problems_names_duplicate_channels() -> None:
    record = ProcedureRecord.model_validate(
        {
            "code": "9.999999",
            "name": "Thủ tục thử",
            "levels": ["xa"],
            "channels": [{"kind": "in_person"}, {"kind": "in_person"}],
        }
    )
    assert any("trùng hình thức" in p for p in fact_problems(record))


# --- checked against the reference record of the same code ----------------------------------------


def test_seed_fee_kinds_agree_with_the_reference(reference_dir: Path) -> None:
    """Where the portal's own cell and description give a kind, the seed says the same or is more
    careful (an "amount" the seed reviewed may be "unclear"); never "free" against the source."""
    from knowledge.importer.catalogue import parse_channels

    path = reference_dir / "procedures" / "national-catalogue-sample.jsonl"
    source: dict[str, list[ChannelRecord]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            data = json.loads(line)
            if data["ma_thu_tuc"] in RECORDS:
                source[data["ma_thu_tuc"]] = parse_channels(data.get("cach_thuc_thuc_hien"), [])
    assert len(source) >= 40
    for code, channels in source.items():
        derived = {c.kind: derive_fee(c.fee, c.note).kind for c in channels}
        for i, channel in enumerate(RECORDS[code].channels):
            from_source = derived.get(channel.kind)
            if from_source in ("by_regulation", "unclear", "amount"):
                assert channel.fee_kind != "free", (code, i, from_source)
            if from_source == "unknown":
                assert channel.fee_kind in ("unknown", "unclear"), (code, i)
