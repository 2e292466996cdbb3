"""Administrative units: loading the 2025 map and former units, and reading citizens' addresses."""

from __future__ import annotations

import csv
import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import database.models  # noqa: F401 - every table on Base.metadata
from benchmarks.units import DEFAULT_QUESTIONS, is_right, load_questions
from bot.vntext import canonical_tones, fold, normalize
from core.db import Base, make_engine
from knowledge.units.loader import LoadReport, load_units
from knowledge.units.models import UNIT_TYPES, AdministrativeUnit, UnitSuccession
from knowledge.units.service import get_current, get_former, predecessors_of, resolve, successors_of
from knowledge.units.sources import SourceData, legacy_data_dir, read_sources

HAS_LEGACY = legacy_data_dir() is not None
needs_legacy = pytest.mark.skipif(
    not HAS_LEGACY, reason="vietnamadminunits (former units and the official codes) is not installed"
)


@pytest.fixture(scope="module")
def sources() -> SourceData:
    return read_sources()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, sources: SourceData) -> Iterator[tuple[Session, LoadReport]]:
    path = tmp_path_factory.mktemp("units") / "units.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with sessionmaker(bind=engine, expire_on_commit=False)() as db:
        report = load_units(db, sources)
        db.commit()
        yield db, report
    engine.dispose()


@pytest.fixture
def db(loaded: tuple[Session, LoadReport]) -> Session:
    return loaded[0]


def _count(db: Session, **where: str) -> int:
    stmt = select(func.count()).select_from(AdministrativeUnit)
    for column, value in where.items():
        stmt = stmt.where(getattr(AdministrativeUnit, column) == value)
    return db.execute(stmt).scalar_one()


def read_1027(reference_dir: Path) -> dict[str, tuple[str, str]]:
    """code -> (name, province) from the markdown transcription of Official Letter 1027/CTK-CSCL."""
    text = (reference_dir / "admin-units" / "cong-van-1027-CTK-CSCL-commune-codes.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\|\s*\d+\s*\|\s*(\d{5})\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|?\s*$", line)
        if m:
            name = re.sub(r"\s+", " ", m.group(2).replace("<br>", " ")).strip()
            province = re.sub(r"\s+", " ", m.group(3).replace("<br>", " ")).strip()
            rows[m.group(1)] = (name, province)
    return rows


# --- loader ----------------------------------------------------------------------------------


def test_current_map_counts(db: Session, loaded: tuple[Session, LoadReport]) -> None:
    report = loaded[1]
    assert _count(db, status="current", level="province") == 34
    assert _count(db, status="current", level="commune") == 3321
    assert (report.current_provinces, report.current_communes) == (34, 3321)
    types = set(db.execute(select(AdministrativeUnit.type).distinct()).scalars())
    assert types <= set(UNIT_TYPES)
    assert {
        t
        for t in db.execute(
            select(AdministrativeUnit.type).where(AdministrativeUnit.status == "current").distinct()
        ).scalars()
    } == {"tinh", "thanh_pho", "xa", "phuong", "dac_khu"}


@needs_legacy
def test_former_map_counts(db: Session, loaded: tuple[Session, LoadReport]) -> None:
    report = loaded[1]
    assert _count(db, status="former", level="province") == 63
    assert _count(db, status="former", level="commune") == report.former_communes > 10_000
    # Every former unit has a successor and every current unit a predecessor.
    orphans = db.execute(
        select(func.count())
        .select_from(AdministrativeUnit)
        .where(
            AdministrativeUnit.status == "former",
            ~select(UnitSuccession.id).where(UnitSuccession.former_id == AdministrativeUnit.id).exists(),
        )
    ).scalar_one()
    assert orphans == 0
    barren = (
        db.execute(
            select(AdministrativeUnit.name).where(
                AdministrativeUnit.status == "current",
                ~select(UnitSuccession.id).where(UnitSuccession.current_id == AdministrativeUnit.id).exists(),
            )
        )
        .scalars()
        .all()
    )
    # Only the special zones that were island districts without communes have no former unit:
    # districts are not units here.
    assert sorted(barren) == [
        "Đặc khu Bạch Long Vĩ",
        "Đặc khu Côn Đảo",
        "Đặc khu Cồn Cỏ",
        "Đặc khu Hoàng Sa",
        "Đặc khu Lý Sơn",
    ]
    assert report.split_former_communes > 400
    assert not report.warnings
    former = db.execute(
        select(AdministrativeUnit).where(AdministrativeUnit.status == "former", AdministrativeUnit.code == "25363")
    ).scalar_one()
    assert (former.name, former.district_name, former.province_name) == (
        "Thị trấn Tân Phú",
        "Huyện Đồng Phú",
        "Tỉnh Bình Phước",
    )
    assert former.name_folded == "tan phu"


def test_load_is_fast_and_idempotent(db: Session, loaded: tuple[Session, LoadReport], sources: SourceData) -> None:
    assert loaded[1].seconds < 10
    before = db.execute(select(AdministrativeUnit.id, AdministrativeUnit.code).order_by(AdministrativeUnit.id)).all()
    successions = db.execute(select(func.count()).select_from(UnitSuccession)).scalar_one()
    again = load_units(db, sources)
    assert not again.changed
    assert (
        db.execute(select(AdministrativeUnit.id, AdministrativeUnit.code).order_by(AdministrativeUnit.id)).all()
        == before
    )
    assert db.execute(select(func.count()).select_from(UnitSuccession)).scalar_one() == successions


def test_reload_repairs_drift(session: Session, sources: SourceData) -> None:
    load_units(session, sources)
    session.commit()
    unit = session.execute(
        select(AdministrativeUnit).where(AdministrativeUnit.status == "current", AdministrativeUnit.code == "26740")
    ).scalar_one()
    kept_id = unit.id
    unit.name = "Phường Sai Tên"
    session.add(
        AdministrativeUnit(
            code="99999",
            name="Xã Thừa",
            type="xa",
            level="commune",
            status="current",
            province_code="79",
            name_folded="thua",
        )
    )
    session.commit()
    report = load_units(session, sources)
    session.commit()
    assert (report.updated, report.deleted, report.inserted) == (1, 1, 0)
    session.expire_all()
    repaired = session.get(AdministrativeUnit, kept_id)
    assert repaired is not None and repaired.name == "Phường Sài Gòn"
    assert get_current(session, "99999") is None


@needs_legacy
def test_codes_and_names_agree_with_official_letter_1027(db: Session, reference_dir: Path) -> None:
    official = read_1027(reference_dir)
    assert len(official) == 3321
    ours = {
        u.code: u
        for u in db.execute(
            select(AdministrativeUnit).where(
                AdministrativeUnit.status == "current", AdministrativeUnit.level == "commune"
            )
        ).scalars()
    }
    # Xã Ia Mơ (Gia Lai) is the one code the sources disagree on: 23737 in 1027/CTK-CSCL, 23938 in
    # the GSO's later data. The loader keeps the official letter's code (sources.OFFICIAL_CODE_OVERRIDES).
    assert "23938" not in ours and ours["23737"].name == "Xã Ia Mơ"
    assert set(ours) == set(official)
    for code, (name, province) in official.items():
        assert canonical_tones(ours[code].name) == canonical_tones(name), code
        assert normalize(ours[code].province_name) == normalize(province), code  # the letter writes "Tp" at times


def test_province_codes_agree_with_official_letter_915(db: Session, reference_dir: Path) -> None:
    with (reference_dir / "admin-units" / "cong-van-915-CTK-CSCL-province-codes.csv").open(encoding="utf-8") as f:
        official = {row["Mã số"]: row["Tên 34 tỉnh sau sáp nhập"] for row in csv.DictReader(f)}
    ours = {
        u.code: u.name
        for u in db.execute(
            select(AdministrativeUnit).where(
                AdministrativeUnit.status == "current", AdministrativeUnit.level == "province"
            )
        ).scalars()
    }
    assert set(ours) == set(official)
    for code, name in official.items():
        assert canonical_tones(ours[code]).removeprefix("Tỉnh ") == canonical_tones(name)


# --- resolution ------------------------------------------------------------------------------


def _top(db: Session, text: str):
    matches = resolve(db, text)
    assert matches, text
    return matches[0]


@needs_legacy
@pytest.mark.parametrize(
    "text",
    [
        "phường 5 quận 3",
        "phuong 5 quan 3 sau sap nhap la phuong gi",
        "P.5 Q.3 TP.HCM",
        "p5 q3",
        "P.05, Q.3",
        "Phường 05 Quận 3",
        "quận 3 phường 5",
        "F5 Q3 Sài Gòn",
    ],
)
def test_numbered_ward_in_its_district(db: Session, text: str) -> None:
    top = _top(db, text)
    assert (top.status, top.code, top.name, top.district_name) == ("former", "27151", "Phường 5", "Quận 3")
    assert [(s.code, s.name) for s in top.successors] == [("27154", "Phường Bàn Cờ")]
    assert top.province.code == "79"


@needs_legacy
def test_district_context_disambiguates(db: Session) -> None:
    q3, q10 = _top(db, "phường 5 quận 3"), _top(db, "phường 5 quận 10")
    assert q3.district_name == "Quận 3" and q10.district_name == "Quận 10"
    assert q3.successors[0].code != q10.successors[0].code
    # Thành phố Cao Lãnh and Huyện Cao Lãnh share a name; the keyword decides.
    assert _top(db, "phường 4 thành phố Cao Lãnh").district_name == "Thành phố Cao Lãnh"


@needs_legacy
@pytest.mark.parametrize(
    "text",
    [
        "xã Tân Phú huyện Đồng Phú tỉnh Bình Phước",  # citizens often say xã for a thị trấn
        "xã Tân Phú huyện Đồng Phú cũ giờ thuộc xã nào",
        "thi tran Tan Phu, H. Dong Phu",
        "tt Tân Phú Đồng Phú Bình Phước",
        "TT. Tan Phu - Dong Phu - Dong Nai",  # the former place named with its new province
        "tt Đồng Phú",  # the town of huyện Đồng Phú
        "THI TRAN TAN PHU HUYEN DONG PHU",
    ],
)
def test_former_commune_with_district_and_province(db: Session, text: str) -> None:
    top = _top(db, text)
    assert (top.status, top.code, top.district_name) == ("former", "25363", "Huyện Đồng Phú")
    assert top.province.name == "Tỉnh Bình Phước"
    assert [(s.code, s.name, s.province.name, s.partial) for s in top.successors] == [
        ("25363", "Xã Đồng Phú", "Tỉnh Đồng Nai", False)
    ]


@needs_legacy
@pytest.mark.parametrize(
    ("text", "code", "successor"),
    [
        ("P.Bến Nghé Q.1", "26740", "26740"),
        ("phuong ben nghe quan 1", "26740", "26740"),
        ("Phường Hoà Khánh Bắc quận Liên Chiểu Đà Nẵng", "20197", "20197"),  # old tone placement
        ("phường Hòa Khánh Bắc, Liên Chiểu", "20197", "20197"),
        ("xa Hoa Phu huyen Chuong My Ha Noi", "10108", "10096"),
        ("phuong Linh Trung TP Thu Duc", "26800", "26800"),
        ("phường 7 quận 3", "27139", "27139"),  # merged into Võ Thị Sáu in 2020: an earlier name
        ("phường Nguyễn Trung Trực quận Ba Đình", "00004", "00004"),  # earlier name of Trúc Bạch
        ("xa Tan Phuu huyen Dong Phu", "25363", "25363"),  # typo
        ("phuong ben ngheee quan 1", "26740", "26740"),
    ],
)
def test_former_communes_in_citizens_spellings(db: Session, text: str, code: str, successor: str) -> None:
    top = _top(db, text)
    assert (top.status, top.code) == ("former", code)
    assert top.successors[0].code == successor


@needs_legacy
@pytest.mark.parametrize(
    ("text", "former", "current"),
    [
        ("Hà Giang giờ thuộc tỉnh nào", "02", "08"),
        ("tinh binh phuoc cu", "70", "75"),
        ("tỉnh Bà Rịa - Vũng Tàu", "77", "79"),
    ],
)
def test_former_provinces(db: Session, text: str, former: str, current: str) -> None:
    top = _top(db, text)
    assert (top.level, top.status, top.code) == ("province", "former", former)
    assert [s.code for s in top.successors] == [current]


def test_current_units(db: Session) -> None:
    top = _top(db, "xã Hoà An, Cao Bằng")  # old tone placement; the official name is Hòa An
    assert (top.status, top.code, top.name, top.successors) == ("current", "01654", "Xã Hòa An", [])
    for text in ("dac khu con dao", "huyện Côn Đảo cũ giờ là gì", "H. Con Dao"):
        top = _top(db, text)
        assert (top.status, top.type, top.name, top.province.code) == ("current", "dac_khu", "Đặc khu Côn Đảo", "79")
    assert _top(db, "thành phố Phú Quốc").name == "Đặc khu Phú Quốc"
    assert _top(db, "phường Sài Gòn").code == "26740"
    current = get_current(db, "25363")
    assert current is not None
    assert (current.name, current.level, current.province.code, current.province.name) == (
        "Xã Đồng Phú",
        "commune",
        "75",
        "Tỉnh Đồng Nai",
    )
    assert get_current(db, "75").name == "Tỉnh Đồng Nai"


@needs_legacy
def test_split_communes_are_flagged_partial(db: Session) -> None:
    top = _top(db, "phường 15 quận Tân Bình")
    assert (top.status, top.code) == ("former", "27007")
    assert top.is_split and len(top.successors) >= 2
    assert all(s.partial for s in top.successors)
    assert [s.code for s in successors_of(db, "27007")] == [s.code for s in top.successors]
    # In the data: a former unit with several successors is split everywhere, and only then.
    rows = db.execute(select(UnitSuccession.former_id, UnitSuccession.partial)).all()
    by_former: dict[int, list[bool]] = {}
    for former_id, partial in rows:
        by_former.setdefault(former_id, []).append(partial)
    for flags in by_former.values():
        assert all(flags) if len(flags) > 1 else not any(flags)


@needs_legacy
def test_successors_and_predecessors(db: Session) -> None:
    assert [(s.code, s.partial) for s in successors_of(db, "25363")] == [("25363", False)]
    assert successors_of(db, "00000") == []
    former = get_former(db, "27151")
    assert former is not None and former.successors[0].name == "Phường Bàn Cờ"
    names = {m.name for m in predecessors_of(db, "27154")}
    assert "Phường 5" in names and len(names) >= 2


@pytest.mark.parametrize(
    "text",
    ["xã Hogwarts huyện Narnia", "", "   ", "thủ tục đăng ký khai sinh cần giấy tờ gì", "?!", "12345"],
)
def test_unknown_place_gives_nothing(db: Session, text: str) -> None:
    assert resolve(db, text) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80), st.integers(min_value=0, max_value=8))
def test_resolve_never_fails(db: Session, text: str, limit: int) -> None:
    matches = resolve(db, text, limit=limit)
    assert len(matches) <= limit
    assert all(m.status in ("current", "former") and m.level in ("province", "commune") for m in matches)


def test_unknown_codes(db: Session) -> None:
    assert get_current(db, "99999") is None
    assert get_former(db, "nope") is None
    assert successors_of(db, "") == []
    assert predecessors_of(db, "99999") == []


def test_index_follows_table_changes(session: Session) -> None:
    session.add(
        AdministrativeUnit(
            code="90001",
            name="Xã Thử Nghiệm",
            type="xa",
            level="commune",
            status="current",
            province_code="79",
            province_name="Thành phố Hồ Chí Minh",
            name_folded="thu nghiem",
        )
    )
    session.commit()
    assert resolve(session, "xa thu nghiem")[0].code == "90001"
    assert resolve(session, "xã Mới Thêm") == []
    session.add(
        AdministrativeUnit(
            code="90002",
            name="Xã Mới Thêm",
            type="xa",
            level="commune",
            status="current",
            province_code="79",
            province_name="Thành phố Hồ Chí Minh",
            name_folded="moi them",
        )
    )
    session.commit()
    assert resolve(session, "xã Mới Thêm")[0].code == "90002"


def test_match_serialises(db: Session) -> None:
    data = _top(db, "phường Sài Gòn").to_dict()
    assert set(data) >= {"code", "name", "type", "level", "status", "province", "successors"}
    assert set(data["province"]) == {"code", "name"}


# --- labelled questions ----------------------------------------------------------------------


def test_labelled_set_shape() -> None:
    questions = load_questions(DEFAULT_QUESTIONS)
    former = [q for q in questions if q["kind"] == "former"]
    current = [q for q in questions if q["kind"] == "current"]
    assert len(former) >= 120 and len(current) >= 20
    plain = [q for q in questions if fold(q["text"]) == q["text"].lower()]
    assert 0.4 <= len(plain) / len(questions) <= 0.6  # about half typed without diacritics
    assert any(q["split"] for q in former)
    assert "source:" in DEFAULT_QUESTIONS.read_text(encoding="utf-8").split("questions:")[0]


@needs_legacy
def test_labelled_set_accuracy(db: Session) -> None:
    questions = load_questions(DEFAULT_QUESTIONS)
    resolve(db, "warm up the index")
    misses, timings = [], []
    for item in questions:
        started = time.perf_counter()
        matches = resolve(db, item["text"])
        timings.append(time.perf_counter() - started)
        if not is_right(matches, item["expected"]):
            misses.append(item["text"])
    accuracy = 1 - len(misses) / len(questions)
    assert accuracy >= 0.97, misses
    assert statistics.median(timings) < 0.005  # about 0.15 ms here; generous for slow CI machines


def test_labelled_questions_are_yaml_with_codes() -> None:
    data = yaml.safe_load(DEFAULT_QUESTIONS.read_text(encoding="utf-8"))
    for item in data["questions"]:
        assert item["text"].strip()
        assert item["expected"] and all(re.fullmatch(r"\d{5}", c) for c in item["expected"])
