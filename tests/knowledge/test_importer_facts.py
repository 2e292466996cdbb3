"""Issue 15: the importer reads facts as the source means them (one test per class of error).

Each test quotes the few characters of a national-sample cell that show the trap (the record's
code is named); the last test runs the legal-basis benchmark over the whole sample.
"""

from __future__ import annotations

from pathlib import Path

from knowledge.importer import legal_basis as legal
from knowledge.importer.catalogue import catalogue_record, clean_agency, parse_channels, parse_legal_basis
from knowledge.importer.quality import QualitySummary
from knowledge.importer.service import parse_file
from knowledge.procedures.facts import QualityFlag
from knowledge.procedures.schemas import LegalBasisRecord

CH = "Hình thức nộpThời gianPhí, lệ phíMô tả"
DOC = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
LEGAL = "Tên văn bản pháp lýMã văn bản"


def numbers(text: str) -> list[str | None]:
    return [row.number for row in parse_legal_basis(LEGAL + text)]


def flag_kinds(flags: list[QualityFlag]) -> list[str]:
    return [flag.kind for flag in flags]


# --------------------------------------------------------------------------------------------
# Legal basis
# --------------------------------------------------------------------------------------------


def test_decimal_act_numbers_are_kept_whole() -> None:
    # 1.000656 (and ~180 other records): "66.7/2025/NQ-CP" was read as "7/2025/NQ-CP".
    text = (
        "Nghị quyết số 66.7/2025/NQ-CP của Chính phủ: Quy định cắt giảm, đơn giản hóa thủ tục hành chính dựa "
        "trên dữ liệu66.7/2025/NQ-CPLuật 60/2014/QH1360/2014/QH13"
    )
    assert parse_legal_basis(LEGAL + text) == [
        LegalBasisRecord(
            number="66.7/2025/NQ-CP",
            title="Nghị quyết số 66.7/2025/NQ-CP của Chính phủ: Quy định cắt giảm, đơn giản hóa thủ tục hành "
            "chính dựa trên dữ liệu",
        ),
        LegalBasisRecord(number="60/2014/QH13", title="Luật 60/2014/QH13"),
    ]
    # 1.002010: "66.16/2026/NQ-CP" followed by a space and the next title.
    assert numbers(
        "Nghị quyết của Chính phủ quy định cắt giảm66.16/2026/NQ-CP Thông tư 05/2021/TT-BTP05/2021/TT-BTP"
    ) == [
        "66.16/2026/NQ-CP",
        "05/2021/TT-BTP",
    ]


def test_spaced_act_number_is_joined() -> None:
    # 1.013259: "105/2025/NĐ- CP" (a space after the dash, a line break before it).
    text = "Luật Phòng cháy, chữa cháy và cứu nạn, cứu hộ.\n105/2025/NĐ- CPQuy định về Danh mục hàng hóa nguy hiểm22/2026/NĐ-CP"
    assert numbers(text) == ["105/2025/NĐ-CP", "22/2026/NĐ-CP"]


def test_a_period_glued_to_the_number_is_not_read_as_its_century() -> None:
    # 2.001428: "… giai đoạn 2026-2030" + "16/2026/QĐ-UBND" was read as "3016/2026/QĐ-UBND".
    text = "Quyết định về chính sách an sinh xã hội trên địa bàn tỉnh Hà Tĩnh giai đoạn 2026-203016/2026/QĐ-UBND"
    [row] = parse_legal_basis(LEGAL + text)
    assert row.number == "16/2026/QĐ-UBND"
    assert row.title is not None and row.title.endswith("giai đoạn 2026-2030")
    # 1.000178: "Luật Khiếu nại năm 2011" + "02/2011/QH13".
    assert numbers("Luật Khiếu nại  năm 201102/2011/QH13") == ["02/2011/QH13"]


def test_rows_are_not_merged_when_the_next_title_follows_a_space() -> None:
    # 1.000656 (and ~40 of the 117 records citing it): "18/2026/NĐ-CP Nghị định…" lost its row.
    text = (
        "Nghị định sửa đổi, bổ sung một số nghị định để cắt giảm, đơn giản hóa thủ tục hành chính, điều kiện kinh "
        "doanh  thuộc phạm vi quản lý của Bộ Tư pháp18/2026/NĐ-CP Nghị định quy định về Cơ sở dữ liệu hộ tịch điện "
        "tử, đăng ký hộ tịch trực tuyến87/2020/NĐ-CP"
    )
    rows = parse_legal_basis(LEGAL + text)
    assert [r.number for r in rows] == ["18/2026/NĐ-CP", "87/2020/NĐ-CP"]
    assert rows[1].title == "Nghị định quy định về Cơ sở dữ liệu hộ tịch điện tử, đăng ký hộ tịch trực tuyến"
    # A tab between the cells (1.004089), a title that starts with an act number.
    assert numbers(
        "Pháp lệnh ưu đãi người có công31/2013/NĐ-CP\t05/2013/TT-BLĐTBXH - Hướng dẫn hồ sơ05/2013/TT-BLĐTBXH"
    ) == [
        "31/2013/NĐ-CP",
        "05/2013/TT-BLĐTBXH",
    ]
    # An act cited at the start of a title and followed by a capitalised word stays in the title.
    assert numbers("Nghị định 12/2007/NĐ-CP - Quy định về công dân phục vụ12/2007/NĐ-CP") == ["12/2007/NĐ-CP"]


def test_what_still_looks_wrong_is_flagged() -> None:
    flags: list[QualityFlag] = []
    # 1.012751: the portal's "118/2025/NĐ-C" (the P is missing) glued to the next title.
    parse_legal_basis(LEGAL + "tại Bộ phận Một cửa118/2025/NĐ-CLuật Đất đai31/2024/QH15", flags=flags)
    assert flag_kinds(flags) == ["legal_basis_suspect"] and "118/2025/NĐ-C" in flags[0].detail
    flags = []
    # 1.003474: a number glued to a title word, then a space and a lower-case word: two rows or one?
    parse_legal_basis(
        LEGAL + "quy định chi tiết Luật thú y35/2016/NĐ-CP sửa đổi bổ sung một số điều123/2018/NĐ-CP", flags=flags
    )
    assert "legal_basis_rows_merged" in flag_kinds(flags)


# --------------------------------------------------------------------------------------------
# Fees and deadlines
# --------------------------------------------------------------------------------------------


def test_free_but_amounts_in_the_description_is_unclear() -> None:
    # 3.000377: "Miễn phí" in the fee cell, "20.000.000 đồng/lần" in its description.
    flags: list[QualityFlag] = []
    [channel] = parse_channels(CH + "Trực tuyến20 NgàyMiễn phí(20.000.000 đồng/lần)", flags=flags)
    assert channel.fee == "Miễn phí" and channel.fee_kind != "free" and channel.fee_vnd is None
    assert "fee_free_contradicted" in flag_kinds(flags)
    assert channel.deadline_kind == "days" and channel.processing_days == 20


def test_free_but_regulation_is_by_regulation() -> None:
    # 3.000333 (lý lịch tư pháp): the amount is set by Circular 244/2016/TT-BTC.
    flags: list[QualityFlag] = []
    text = CH + (
        "Trực tuyến10 NgàyMiễn phí(Thực hiện theo Thông tư số 244/2016/TT-BTC ngày 11/11/2016 của Bộ Tài chính "
        "quy định mức thu, chế độ thu, nộp, quản lý và sử dụng phí cung cấp thông tin lý lịch tư pháp)"
    )
    [channel] = parse_channels(text, flags=flags)
    assert channel.fee_kind == "by_regulation" and channel.fee_vnd is None
    assert channel.fee_basis is not None and "244/2016/TT-BTC" in channel.fee_basis
    assert "fee_free_contradicted" in flag_kinds(flags)


def test_free_but_peoples_council_and_a_deadline_without_unit() -> None:
    # 2.000806: "5" (the unit lost) and "Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh … quyết định".
    flags: list[QualityFlag] = []
    text = CH + (
        "Trực tuyến5Miễn phí(Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh, thành phố trực thuộc Trung ương "
        "quyết định. Miễn lệ phí cho người thuộc hộ nghèo.)"
    )
    [channel] = parse_channels(text, flags=flags)
    assert channel.fee_kind == "by_regulation" and channel.fee_basis and "Hội đồng nhân dân" in channel.fee_basis
    assert channel.deadline_kind == "unclear" and channel.processing_days is None
    assert channel.processing_time == "5 (không rõ đơn vị)"
    assert {"fee_free_contradicted", "deadline_unit_lost"} <= set(flag_kinds(flags))


def test_implausible_amount_is_unclear() -> None:
    # 1.002010: the fee cell says "50 VNĐ", its description 25.000 đồng per dossier.
    flags: list[QualityFlag] = []
    text = CH + (
        "Trực tuyến7 Ngày làm việc50 VNĐ((áp dụng mức phí 25.000 đồng/hồ sơ kể từ ngày 01/7/2025 đến hết ngày "
        "31/12/2026 theo Thông tư số 64/2025/TT-BTC))"
    )
    [channel] = parse_channels(text, flags=flags)
    assert channel.fee == "50 VNĐ" and channel.fee_kind == "unclear" and channel.fee_vnd is None
    assert "fee_amount_implausible" in flag_kinds(flags)
    assert channel.deadline_kind == "working_days" and channel.processing_days == 7


def test_stated_amount_keeps_its_unit_and_free_stays_free() -> None:
    flags: list[QualityFlag] = []
    text = CH + "Trực tiếp7 Ngày làm việc20,000 Việt Nam Đồng(20.000 đồng/hồ sơ)Trực tuyến1 Ngày làm việcMiễn phí"
    paid, free = parse_channels(text, flags=flags)
    assert (paid.fee_kind, paid.fee_vnd, paid.fee_unit) == ("amount", 20000, "hồ sơ")
    assert (free.fee_kind, free.fee_vnd) == ("free", 0)
    assert flags == []


def test_two_channels_of_one_kind_are_flagged() -> None:
    # 2.000884: "10.000 đồng/trường hợp" and "10 USD/bản" (the latter only at embassies).
    flags: list[QualityFlag] = []
    text = CH + (
        "Trực tiếp1 Ngày làm việc10,000 Việt Nam Đồng(10.000 đồng/trường hợp)Trực tiếp1 Ngày làm việc10 USD(10 USD/bản)"
    )
    parse_channels(text, flags=flags)
    assert "channel_duplicate_kind" in flag_kinds(flags)


# --------------------------------------------------------------------------------------------
# Documents and agency
# --------------------------------------------------------------------------------------------


def catalogue_row(**fields: str) -> dict[str, str]:
    row = {
        "ma_thu_tuc": "1.000656",
        "ten_thu_tuc": "Thủ tục đăng ký khai tử",
        "cap_thuc_hien": "Cấp xã",
        "co_quan_thuc_hien": "Ủy ban nhân dân cấp xã",
        "cach_thuc_thuc_hien": CH + "Trực tiếp1 Ngày làm việcMiễn phí",
        "thanh_phan_ho_so": DOC + "Tờ khai1 bản chính",
        "detail_url": "https://dichvucong.gov.vn/p/1.000656",
    }
    row.update(fields)
    return row


def test_prose_rows_of_the_documents_table_become_guidance() -> None:
    # 1.000656: notes and "Trường hợp … thì …" sentences with "0 bản chính" among the documents.
    docs = (
        "* Giấy tờ phải nộp:" + DOC + "- Giấy báo tử hoặc giấy tờ thay Giấy báo tử.1 bản chính"
        "Trường hợp các thông tin cá nhân trong các giấy tờ này đã có trong Cơ sở dữ liệu quốc gia về dân cư "
        "thì không phải tải lên (theo hình thức trực tuyến)0 bản chính"
        "- Đối với giấy tờ gửi kèm theo nếu người yêu cầu nộp hồ sơ theo hình thức trực tuyến:0 bản chính"
        "* Lưu ý :" + DOC + "+ Người tiếp nhận có trách nhiệm tiếp nhận đúng, đủ hồ sơ.0 bản chính"
    )
    record = catalogue_record(catalogue_row(thanh_phan_ho_so=docs))
    assert [d.name for d in record.documents] == ["Giấy báo tử hoặc giấy tờ thay Giấy báo tử"]
    assert len(record.guidance) == 3
    assert record.guidance[0].startswith("Trường hợp các thông tin cá nhân")
    assert record.guidance[2] == "Người tiếp nhận có trách nhiệm tiếp nhận đúng, đủ hồ sơ."
    assert [f.kind for f in record.quality_flags] == ["document_prose"]


def test_a_document_without_count_is_still_a_document() -> None:
    # 1.003519: a real document whose row says "0 bản chính" is not prose.
    docs = DOC + "Văn bản xác nhận phối hợp thực hiện dự án khuyến nông trung ương (Mẫu số 04)0 bản chính"
    record = catalogue_record(catalogue_row(thanh_phan_ho_so=docs))
    assert len(record.documents) == 1 and record.guidance == []


def test_agency_junk_is_removed_and_flagged() -> None:
    # 2.002798: "Tòa án nhân dân_old".
    assert clean_agency("Tòa án nhân dân_old") == "Tòa án nhân dân"
    assert clean_agency("Bộ Khoa học và Công nghệ ( Bộ TTTT cũ)") == "Bộ Khoa học và Công nghệ ( Bộ TTTT cũ)"
    record = catalogue_record(catalogue_row(co_quan_thuc_hien="Tòa án nhân dân_old"))
    assert record.agency == "Tòa án nhân dân"
    assert [f.kind for f in record.quality_flags] == ["agency_cleaned"]


def test_record_flags_and_fact_kinds() -> None:
    record = catalogue_record(
        catalogue_row(
            cach_thuc_thuc_hien=CH + "Trực tuyến5Miễn phí(Mức lệ phí do Hội đồng nhân dân tỉnh quyết định)",
            can_cu_phap_ly=LEGAL + "Luật Hộ tịch60/2014/QH13",
        )
    )
    [channel] = record.channels
    assert (channel.fee_kind, channel.deadline_kind) == ("by_regulation", "unclear")
    assert {f.kind for f in record.quality_flags} == {"fee_free_contradicted", "deadline_unit_lost"}
    assert all(f.detail.startswith("Trực tuyến: ") for f in record.quality_flags)


# --------------------------------------------------------------------------------------------
# The benchmark over the national sample
# --------------------------------------------------------------------------------------------


def test_measure_counts_intact_numbers_against_the_source() -> None:
    cell = LEGAL + "Nghị quyết số 66.7/2025/NQ-CP của Chính phủ66.7/2025/NQ-CPLuật 60/2014/QH1360/2014/QH13"
    good = legal.measure(cell, [("66.7/2025/NQ-CP", "Nghị quyết"), ("60/2014/QH13", "Luật")])
    assert (good.source_acts, good.intact, good.kept, good.differs) == (2, 2, 2, False)
    # What the old parser gave: the decimal number truncated, and a number's head only.
    bad = legal.measure(cell, [("7/2025/NQ-CP", "Nghị quyết"), ("60/2014/QH1", None)])
    assert bad.intact == 0 and bad.broken == ["7/2025/NQ-CP", "60/2014/QH1"]
    assert bad.kept == 0 and bad.lost == ["66.7/2025/NQ-CP", "60/2014/QH13"] and bad.differs


def test_every_act_number_of_the_national_sample_is_kept_intact(reference_dir: Path) -> None:
    path = reference_dir / "procedures" / "national-catalogue-sample.jsonl"
    summary = QualitySummary.of(parse_file(path).rows)
    counts = summary.legal
    print("\n" + "\n".join(summary.lines()))
    assert counts.records > 2500 and counts.numbers > 10_000
    assert counts.intact == counts.numbers, counts.examples  # no truncated or misread number
    # Every act the source names is in a parsed row, except those of the cells that are not a
    # table (3.000337–3.000345: the scraper put a fee description there; flagged, not parsed)
    # and 1.001963, where the plain regular expression reads "QĐ-NHNN792/2000/QĐ-NHNN7" as
    # "…792/2000/QĐ-NHNN" (the parser keeps "92/2000/QĐ-NHNN7", the number the title repeats).
    lost = counts.source_acts - counts.kept
    assert lost <= 10, counts.examples
    odd = [e for e in counts.examples if not e.startswith(("3.0003", "1.001963: mất 792/2000/QĐ-NHNN"))]
    assert odd == [], odd
    assert summary.flags["legal_basis_suspect"] > 0 and summary.fee_kinds["by_regulation"] > 0
