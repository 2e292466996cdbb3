"""What kind of fact a fee or a deadline is, derived from the portal's own strings (the cells and
descriptions below are as they appear in the national catalogue sample)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from knowledge.procedures.facts import (
    COUNCIL_BASIS,
    DEADLINE_KIND_LABELS,
    DEADLINE_KINDS,
    FEE_KIND_LABELS,
    FEE_KINDS,
    QUALITY_FLAG_KINDS,
    derive_deadline,
    derive_fee,
    instruments_in,
)
from knowledge.procedures.schemas import ChannelRecord


def _flags(fact: object) -> list[str]:
    return [flag.kind for flag in fact.flags]  # type: ignore[attr-defined]


def test_vocabulary_has_a_vietnamese_label_for_every_kind() -> None:
    assert set(FEE_KIND_LABELS) == set(FEE_KINDS) == {"free", "amount", "by_regulation", "unclear", "unknown"}
    assert set(DEADLINE_KIND_LABELS) == set(DEADLINE_KINDS)
    assert {"fee_free_contradicted", "fee_amount_implausible", "deadline_unit_lost"} <= set(QUALITY_FLAG_KINDS)
    assert all(label and label[0].isupper() for label in QUALITY_FLAG_KINDS.values())


# --- fees ------------------------------------------------------------------------------------


@pytest.mark.parametrize("description", [None, "", "Không", "Không có thông tin", "Không quy định."])
def test_free_when_nothing_contradicts_it(description: str | None) -> None:
    fact = derive_fee("Miễn phí", description)
    assert (fact.kind, fact.fee_vnd, fact.flags) == ("free", 0, [])


def test_free_contradicted_by_amounts_is_not_free() -> None:
    fact = derive_fee(
        "Miễn phí",
        "- Dưới 5 tấn: 50.000 đồng/giấy; - Từ 5 tấn đến 15 tấn: 100.000 đồng/giấy; - Trên 15 tấn: 150.000 đồng/giấy.",
    )
    assert fact.kind == "unclear" and fact.fee_vnd is None
    assert _flags(fact) == ["fee_free_contradicted"]


def test_free_by_circular_244_2016_is_by_regulation() -> None:
    fact = derive_fee(
        "Miễn phí",
        "Thực hiện theo Thông tư số 244/2016/TT-BTC ngày 11/11/2016 của Bộ Tài chính quy định mức thu, chế độ thu,"
        " nộp, quản lý và sử dụng phí cung cấp thông tin lý lịch tư pháp",
    )
    assert fact.kind == "by_regulation"
    assert fact.basis == "Thông tư 244/2016/TT-BTC"
    assert _flags(fact) == ["fee_free_contradicted"]


def test_free_by_provincial_council_is_by_regulation() -> None:
    fact = derive_fee(
        "Miễn phí",
        "Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh, thành phố trực thuộc Trung ương quyết định. Miễn lệ phí cho"
        " người thuộc gia đình có công với cách mạng; người thuộc hộ nghèo; người khuyết tật.",
    )
    assert fact.kind == "by_regulation" and fact.basis == COUNCIL_BASIS and fact.fee_vnd is None
    assert derive_fee("Miễn phí", "Theo quy định của Hội đồng nhân dân cấp tỉnh").basis == COUNCIL_BASIS


def test_free_by_the_law_on_fees_is_by_regulation() -> None:
    fact = derive_fee(
        "Miễn phí",
        "Theo quy định của Luật phí và lệ phí và các văn bản quy phạm pháp luật hướng dẫn Luật phí và lệ phí.",
    )
    assert fact.kind == "by_regulation" and fact.basis == "Luật Phí và lệ phí và văn bản hướng dẫn"
    # The seed's own wording ("Miễn phí (Cổng ghi thu theo …)") reads the same.
    seed = derive_fee("Miễn phí (Cổng ghi thu theo Luật Phí và lệ phí và văn bản hướng dẫn)", None)
    assert seed.kind == "by_regulation"


def test_a_fee_paid_to_someone_else_is_not_free() -> None:
    assert derive_fee("Miễn phí", "Trả phí cho đơn vị cung cấp dịch vụ.").kind == "unclear"


def test_an_optional_copy_fee_does_not_make_the_procedure_paid() -> None:
    fact = derive_fee(
        "Miễn phí",
        "Miễn lệ phí. Phí cấp bản sao Trích lục kết hôn (nếu có yêu cầu) thực hiện theo quy định tại Thông tư số"
        " 281/2016/TT-BTC ngày 14/11/2016 của Bộ Tài chính.",
    )
    assert fact.kind == "free"


def test_amount_with_its_unit_per_dossier() -> None:
    fact = derive_fee("20,000 Việt Nam Đồng", "/hồ sơ (Thông tư số 61/2023/TT-BTC)")
    assert (fact.kind, fact.fee_vnd, fact.unit) == ("amount", 20000, "hồ sơ")
    assert fact.basis == "Thông tư 61/2023/TT-BTC"
    assert derive_fee("25.000 đồng/hồ sơ", None).unit == "hồ sơ"
    assert derive_fee("150,000 Việt Nam Đồng", "150.000 đồng/1 giấy.").unit == "giấy"
    assert derive_fee("100,000 VNĐ", "100.000 đồng/01 lần cấp").unit == "lần"
    assert derive_fee("10.000 đồng/trường hợp", None).unit == "trường hợp"


def test_amount_in_millions_matches_the_cell() -> None:
    fact = derive_fee(
        "20,000,000 Việt Nam Đồng",
        "* Theo quy định tại Thông tư số 25/2022/TT-BTC: Công ty chứng khoán: Môi giới chứng khoán: 20 triệu đồng/giấy phép",
    )
    assert (fact.kind, fact.fee_vnd, fact.unit) == ("amount", 20_000_000, "giấy phép")


def test_amount_in_dollars_per_copy() -> None:
    fact = derive_fee("10 USD", "/bản")
    assert (fact.kind, fact.fee_vnd, fact.unit) == ("amount", None, "bản")
    assert derive_fee("10 USD/bản", None).unit == "bản"
    # The schema accepts an amount without fee_vnd only when it is stated in a foreign currency.
    ChannelRecord(kind="in_person", fee="10 USD/bản", fee_kind="amount", fee_unit="bản")
    with pytest.raises(ValueError, match="fee_vnd"):
        ChannelRecord(kind="in_person", fee="10.000 đồng", fee_kind="amount")


def test_implausible_50_vnd_is_unclear_and_says_why() -> None:
    fact = derive_fee("50 VNĐ", "25.000 đồng/hồ sơ")
    assert fact.kind == "unclear" and fact.fee_vnd is None
    assert _flags(fact) == ["fee_amount_implausible", "fee_amounts_disagree"]
    assert "50 VNĐ" in fact.flags[0].detail
    assert derive_fee("1 Việt Nam Đồng", None).kind == "unclear"


def test_cell_and_description_disagreeing_is_unclear() -> None:
    fact = derive_fee(
        "20,000,000 Việt Nam Đồng",
        "áp dụng mức phí 10.000.000 đồng/hồ sơ kể từ ngày 01/7/2025 đến hết ngày 31/12/2026 theo Thông tư số 64/2025/TT-BTC",
    )
    assert fact.kind == "unclear" and _flags(fact) == ["fee_amounts_disagree"]
    halved = derive_fee("50,000 Việt Nam Đồng", "đến hết ngày 31/12/2026 thu bằng 50% mức thu quy định")
    assert halved.kind == "unclear"


def test_an_amount_the_council_decides_is_by_regulation() -> None:
    fact = derive_fee(
        "150,000 Việt Nam Đồng",
        "- Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định (căn cứ quy định tại Thông tư số 85/2019/TT-BTC).",
    )
    assert fact.kind == "by_regulation" and fact.fee_vnd is None
    assert fact.basis == f"{COUNCIL_BASIS}; Thông tư 85/2019/TT-BTC"


@pytest.mark.parametrize("cell", [None, "", "Không có thông tin"])
def test_no_fee_information_is_unknown(cell: str | None) -> None:
    assert derive_fee(cell, None).kind == "unknown"


def test_missing_cell_with_a_regulation_in_the_description() -> None:
    assert derive_fee("Không có thông tin", "Theo Thông tư số 281/2016/TT-BTC").kind == "by_regulation"


# --- deadlines --------------------------------------------------------------------------------


def test_working_days() -> None:
    assert derive_deadline("05 ngày làm việc", 5) == derive_deadline("5 Ngày làm việc", None)
    fact = derive_deadline("05 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ", 5)
    assert (fact.kind, fact.days, fact.flags) == ("working_days", 5, [])


def test_same_day() -> None:
    assert derive_deadline("Trong ngày", None).kind == "same_day"
    text = "Trong ngày làm việc (nếu nhận hồ sơ sau 15 giờ thì trả kết quả trong ngày làm việc tiếp theo)"
    assert derive_deadline(text, 1).kind == "same_day"
    assert derive_deadline("1 Giờ", None).kind == "same_day"


def test_calendar_days() -> None:
    fact = derive_deadline("15 ngày", None)
    assert (fact.kind, fact.days) == ("days", 15)
    assert derive_deadline("15 Ngày", 15).kind == "days"


@pytest.mark.parametrize("text", ["5", "5 (không rõ đơn vị)", " 1 "])
def test_a_number_without_unit_is_unclear(text: str) -> None:
    fact = derive_deadline(text, None)
    assert fact.kind == "unclear" and fact.days is None
    assert _flags(fact) == ["deadline_unit_lost"]


def test_days_contradicting_the_text_are_unclear() -> None:
    fact = derive_deadline("05 ngày làm việc", 7)
    assert fact.kind == "unclear" and _flags(fact) == ["deadline_contradictory"]
    assert derive_deadline("0 Ngày làm việc", 0).kind == "unclear"


def test_no_deadline_information() -> None:
    assert derive_deadline(None, None).kind == "unknown"
    assert derive_deadline("Không có thông tin", None).kind == "unknown"
    assert derive_deadline("Không phải trả kết quả cho người nộp thuế", None).kind == "unknown"
    assert derive_deadline("Không quá 07 ngày làm việc", 7).kind == "working_days"
    assert _flags(derive_deadline(None, 5)) == ["deadline_unit_lost"]


def test_months_are_not_invented_into_days() -> None:
    fact = derive_deadline("3 Tháng", None)
    assert fact.kind == "unclear" and fact.days is None


# --- instruments ------------------------------------------------------------------------------


def test_instruments_keep_decimal_and_spaced_numbers() -> None:
    text = (
        "Nghị quyết số 66.7/2025/NQ-CP; Nghị định 105/2025/NĐ- CP; Thông tư số 244/2016/TT-BTC ngày 11/11/2016;"
        " Luật Đất đai 31/2024/QH15; Quyết định 16/2026/QĐ-UBND; mức thu do Hội đồng nhân dân cấp tỉnh quyết định"
    )
    assert instruments_in(text) == [
        "66.7/2025/NQ-CP",
        "105/2025/NĐ-CP",
        "244/2016/TT-BTC",
        "31/2024/QH15",
        "16/2026/QĐ-UBND",
        "Hội đồng nhân dân cấp tỉnh",
    ]


def test_instruments_ignore_dates_and_repeat_once() -> None:
    assert instruments_in("ngày 14/11/2016 của Bộ Tài chính") == []
    assert instruments_in("Thông tư 281/2016/TT-BTC và Thông tư số 281/2016/TT-BTC") == ["281/2016/TT-BTC"]
    assert instruments_in(None) == []
    assert instruments_in("do HĐND tỉnh quyết định") == ["Hội đồng nhân dân cấp tỉnh"]


# --- the national sample --------------------------------------------------------------------


def test_no_channel_of_the_sample_reads_free_when_its_description_names_a_council(reference_dir: Path) -> None:
    from knowledge.importer.catalogue import parse_channels

    kinds: Counter[str] = Counter()
    deadlines: Counter[str] = Counter()
    path = reference_dir / "procedures" / "national-catalogue-sample.jsonl"
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            data = json.loads(line)
            for channel in parse_channels(data.get("cach_thuc_thuc_hien"), []):
                fact = derive_fee(channel.fee, channel.note)
                kinds[fact.kind] += 1
                deadlines[derive_deadline(channel.processing_time, channel.processing_days).kind] += 1
                note = channel.note or ""
                if "Hội đồng nhân dân" in note and "nếu có yêu cầu" not in note:
                    assert fact.kind != "free", (data["ma_thu_tuc"], channel.fee, note[:120])
                if fact.kind == "amount":
                    assert fact.fee_vnd or "USD" in (channel.fee or "")
    assert sum(kinds.values()) > 6000
    # The portal's "Miễn phí" is contradicted often enough that free is far from all of them.
    assert kinds["by_regulation"] > 500 and kinds["free"] < 4701
    assert deadlines["unclear"] > 800  # "1Miễn phí": the unit lost on hundreds of rows


@pytest.mark.parametrize(
    "description",
    [
        "Phí thẩm định",
        "Lệ phí cấp giấy chứng nhận",
        "Miễn lệ phí cho người thuộc gia đình có công với cách mạng; người thuộc hộ nghèo; người khuyết tật.",
        "Cho một loại hình sản phẩm hoặc dịch vụ: 8.000.000/lần; thêm một loại hình sản phẩm hoặc dịch vụ: 2.000.000/lần",
        "Đối với tàu có dung tích đăng ký từ 3.000 GT trở lên",
        "Tàu bay->Dưới 20 tấn",
    ],
)
def test_free_for_one_case_or_beside_a_named_fee_is_not_free(description: str) -> None:
    fact = derive_fee("Miễn phí", description)
    assert fact.kind == "unclear" and _flags(fact) == ["fee_free_contradicted"]


@pytest.mark.parametrize("description", ["Miễn lệ phí", "Không thu phí", "Không có phí, lệ phí"])
def test_free_said_twice_is_free(description: str) -> None:
    assert derive_fee("Miễn phí", description).kind == "free"


def test_regulations_named_without_a_number() -> None:
    assert derive_fee("Miễn phí", "Theo quy định tại Thông tư của Bộ trưởng Bộ Tài chính.").kind == "by_regulation"
    assert derive_fee("Miễn phí", "Theo quy định của pháp luật về giá").basis == "Pháp luật về giá"
