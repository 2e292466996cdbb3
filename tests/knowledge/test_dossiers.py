"""Dossier lookup: hashing, verification, rate limits, the demo seed, and the provincial connector
against a fake one-stop system over real HTTP (tests/fakes/provincial_one_stop.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.settings import DEV_PEPPER, DossierSettings
from knowledge.seed.loader import SEED_DIR, read_procedure_file
from servicedesk.dossiers import hashing
from servicedesk.dossiers.connectors import (
    ConnectorAuthError,
    ConnectorProtocolError,
    ConnectorUnavailable,
    DossierConnector,
    HttpConnector,
    LocalConnector,
    SessionScope,
    get_connector,
    session_scope_for,
)
from servicedesk.dossiers.hashing import (
    mask_code,
    mask_phone,
    normalise_code,
    normalise_last4,
    normalise_phone,
    phone_hash,
    phone_hashes,
    verify_last4,
)
from servicedesk.dossiers.models import DOSSIER_STATUS_LABELS, DOSSIER_STATUSES, Dossier, DossierLookupAttempt
from servicedesk.dossiers.seed import SEED_PATH, DossierSeedError, read_demo_dossiers, seed_demo_dossiers
from servicedesk.dossiers.service import (
    ASK_LAST4,
    CODE_EXAMPLE,
    SYNTHETIC_NOTE,
    DossierLookupService,
    LookupOutcome,
)
from servicedesk.dossiers.views import DossierView
from tests.fakes.provincial_one_stop import DEFAULT_TOKEN, FakeOneStop, serve, synthetic_dossier

PEPPER = b"test-pepper"
VN = dt.timezone(dt.timedelta(hours=7))
PROCESSING = "000.00.01.DEMO-250714-0002"  # Đăng ký tạm trú, Phường Hoàn Kiếm, phone 0900000002
RETURNED = "000.00.01.DEMO-250710-0001"
UNKNOWN = "000.00.01.DEMO-250714-0999"


# --- fixtures ------------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


def make_settings(**changes: object) -> DossierSettings:
    values: dict[str, object] = {
        "pepper": PEPPER.decode(),
        "http_timeout_seconds": 2.0,
        "http_backoff_seconds": 0.01,
        "http_max_attempts": 3,
    }
    values.update(changes)
    return DossierSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings() -> DossierSettings:
    return make_settings()


@pytest.fixture
def scope(session: Session) -> SessionScope:
    """Sessions on the test database, as the action server would open them (one per unit of work)."""
    return session_scope_for(sessionmaker(bind=session.get_bind(), expire_on_commit=False))


@pytest.fixture
def seeded(session: Session, settings: DossierSettings) -> Session:
    seed_demo_dossiers(session, settings=settings)
    session.commit()
    return session


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2025, 7, 15, 10, 0, tzinfo=VN).astimezone(dt.UTC))


def make_service(
    settings: DossierSettings, scope: SessionScope, clock: Clock, connector: DossierConnector | None = None
) -> DossierLookupService:
    """A fresh service (as after an action-server restart, or on another replica)."""
    return DossierLookupService(
        connector or LocalConnector(settings, scope), settings=settings, session_scope=scope, clock=clock
    )


@pytest.fixture
def service(seeded: Session, settings: DossierSettings, scope: SessionScope, clock: Clock) -> DossierLookupService:
    return make_service(settings, scope, clock)


def attempts(session: Session) -> list[DossierLookupAttempt]:
    session.expire_all()
    return list(session.scalars(select(DossierLookupAttempt)))


# --- hashing and masking --------------------------------------------------------------------------


def test_phone_is_normalised_before_hashing() -> None:
    variants = ["0900000001", "+84 900 000 001", "84900000001", "090.000.0001", "090-000-0001", "(+84) 90 0000001"]
    assert {normalise_phone(v) for v in variants} == {"0900000001"}
    assert normalise_phone("02438250000") == "02438250000"  # an 11-digit landline
    for bad in ("12345", "", "1900000001", "+1 202 555 0100"):
        assert normalise_phone(bad) is None

    digest = phone_hash("+84 900 000 001", PEPPER)
    assert digest == phone_hash("0900000001", PEPPER)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    # HMAC-SHA256 keyed with the pepper, over purpose and normalised number.
    assert digest == hmac.new(PEPPER, b"phone\x000900000001", hashlib.sha256).hexdigest()
    assert digest != hashlib.sha256(b"0900000001").hexdigest()
    assert phone_hash("0900000001", b"another-pepper") != digest
    with pytest.raises(ValueError):
        phone_hash("not a phone", PEPPER)


def test_last_four_digits_hash_is_salted_and_checked_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    full, last4, salt = phone_hashes("0900000001", PEPPER)
    assert full == phone_hash("0900000001", PEPPER)
    assert verify_last4("0001", salt, last4, PEPPER)
    assert not verify_last4("0002", salt, last4, PEPPER)
    assert not verify_last4("0001", salt, last4, b"another-pepper")
    assert not verify_last4("0001", None, None, PEPPER)

    # The same last four digits on another dossier give another hash (per-dossier salt).
    _, other_last4, other_salt = phone_hashes("0911110001", PEPPER)
    assert other_salt != salt and other_last4 != last4

    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hashing.hmac, "compare_digest", spy)
    assert verify_last4("0001", salt, last4, PEPPER)
    assert calls and calls[-1][1] == last4


def test_last_four_digits_input() -> None:
    for typed in ("0001", " 00 01 ", "00-01", "0900000001", "+84 900 000 001"):
        assert normalise_last4(typed) == "0001", typed
    for typed in ("001", "00001", "abcd", "", "123456789"):
        assert normalise_last4(typed) is None, typed


def test_masks() -> None:
    assert mask_code("000.00.01.H29-250710-0012") == "000.00.01.H29-2507**-****"
    assert mask_code("G22.99-250801-0003") == "G22.99-2508**-****"
    assert mask_phone("0900000001") == "09******01"


@given(
    agency=st.sampled_from(["000.00.01.H29", "G22.99", "H29.114", "000.00.01.DEMO"]),
    date=st.from_regex(r"\d{6}", fullmatch=True),
    sequence=st.from_regex(r"\d{3,6}", fullmatch=True),
)
def test_masked_codes_hide_day_and_sequence(agency: str, date: str, sequence: str) -> None:
    code = f"{agency}-{date}-{sequence}"
    assert normalise_code(code) == code.upper()
    assert mask_code(code) == f"{agency}-{date[:4]}**-{'*' * len(sequence)}"


def test_code_shape_reuses_the_gazetteer_pattern() -> None:
    assert normalise_code(" 000.00.01.h29-250710-0012 ") == "000.00.01.H29-250710-0012"
    assert normalise_code("mã hồ sơ của em là G22.99-250801-0003 ạ") == "G22.99-250801-0003"
    assert normalise_code("000.00.01.H29-250710-0012 và G22.99-250801-0003") is None  # which one?
    for bad in ("12345", "000.00.01.H29-2507-0012", "000.00.01.H29_250710_0012", "H29-250710-0012"):
        assert normalise_code(bad) is None, bad


def test_dev_pepper_is_flagged() -> None:
    assert DossierSettings(pepper=DEV_PEPPER).uses_dev_pepper  # type: ignore[arg-type]
    assert not make_settings().uses_dev_pepper


# --- demo seed -----------------------------------------------------------------------------------


def test_demo_seed_file_is_synthetic_and_covers_every_status() -> None:
    text = SEED_PATH.read_text(encoding="utf-8")
    assert text.startswith("# SYNTHETIC DEMO DATA")
    records = read_demo_dossiers()
    assert 6 <= len(records) <= 12
    assert {r.status for r in records} == set(DOSSIER_STATUSES)
    for record in records:
        assert re.fullmatch(r"09000000\d\d", record.phone), record.code
        assert ".DEMO-" in record.code


def test_demo_seed_is_idempotent_and_stores_no_phone(session: Session, settings: DossierSettings) -> None:
    first = seed_demo_dossiers(session, settings=settings)
    session.commit()
    assert len(first.added) == len(read_demo_dossiers()) and not first.updated
    salts = dict(session.execute(select(Dossier.code, Dossier.phone_salt)).tuples().all())
    events = session.scalar(select(func.count()).select_from(Dossier).join(Dossier.events))

    second = seed_demo_dossiers(session, settings=settings)
    session.commit()
    assert not second.added and not second.updated and not second.removed
    assert sorted(second.unchanged) == sorted(first.added)
    assert dict(session.execute(select(Dossier.code, Dossier.phone_salt)).tuples().all()) == salts
    assert session.scalar(select(func.count()).select_from(Dossier).join(Dossier.events)) == events

    phones = {r.phone for r in read_demo_dossiers()}
    for dossier in session.scalars(select(Dossier)):
        assert dossier.is_synthetic
        assert dossier.status == dossier.events[-1].status
        stored = " ".join(str(getattr(dossier, c.key)) for c in Dossier.__table__.columns)
        assert not any(phone in stored or phone[1:] in stored for phone in phones)


def test_demo_seed_refreshes_and_removes_only_synthetic_dossiers(
    session: Session, settings: DossierSettings, tmp_path: Path
) -> None:
    seed_demo_dossiers(session, settings=settings)
    session.commit()
    text = SEED_PATH.read_text(encoding="utf-8")
    one = text.split("\n\n  - code:")[0].replace("Đăng ký khai sinh", "Đăng ký khai sinh (sửa)")
    path = tmp_path / "dossiers.yaml"
    path.write_text(one, encoding="utf-8")
    report = seed_demo_dossiers(session, path, settings=settings)
    session.commit()
    assert report.updated == [RETURNED] and len(report.removed) == len(read_demo_dossiers()) - 1
    assert session.scalar(select(Dossier.procedure_name)) == "Đăng ký khai sinh (sửa)"

    real = Dossier(
        code=RETURNED.replace("DEMO", "H29"),
        procedure_code="1.001193",
        procedure_name="Đăng ký khai sinh",
        received_at=dt.datetime(2025, 7, 10, 1, 15),
        status="received",
        is_synthetic=False,
    )
    session.add(real)
    session.commit()
    path.write_text(one.replace(RETURNED, real.code), encoding="utf-8")
    with pytest.raises(DossierSeedError, match="real dossier"):
        seed_demo_dossiers(session, path, settings=settings)


def test_demo_seed_rejects_invalid_files(tmp_path: Path) -> None:
    path = tmp_path / "dossiers.yaml"
    good = SEED_PATH.read_text(encoding="utf-8")
    for broken in (
        good.replace("0900000001", "12345"),
        good.replace('"2025-07-10T08:15:00+07:00"', '"2025-07-10T08:15:00"'),
        good.replace("000.00.01.DEMO-250710-0001", "HS-0001"),
        good.replace('- {status: received, at: "2025-07-10', '- {status: approved, at: "2025-07-10'),
    ):
        assert broken != good
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(DossierSeedError):
            read_demo_dossiers(path)


def _commune_codes(reference_dir: Path) -> dict[str, str]:
    text = (reference_dir / "admin-units" / "cong-van-1027-CTK-CSCL-commune-codes.md").read_text(encoding="utf-8")
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^\|\s*\d+\s*\|\s*(\d{5})\s*\|([^|]+)\|", text, re.M)}


def test_demo_seed_uses_real_procedures_and_current_communes(reference_dir: Path) -> None:
    communes = _commune_codes(reference_dir)
    assert len(communes) > 3000
    for record in read_demo_dossiers():
        procedure = read_procedure_file(SEED_DIR / "procedures" / f"{record.procedure_code}.yaml")
        assert procedure.name == record.procedure_name, record.code
        assert communes.get(record.receiving_unit_code) == record.receiving_unit_name, record.code


# --- the lookup rules ----------------------------------------------------------------------------


def test_malformed_code_gets_a_format_hint(service: DossierLookupService) -> None:
    check = service.check_code("12345")
    assert not check.ok and check.code is None
    assert CODE_EXAMPLE in check.message and "định dạng" in check.message

    check = service.check_code("mã của em là 000.00.01.demo-250714-0002")
    assert check.ok and check.code == PROCESSING and check.message == ASK_LAST4
    assert "4 chữ số cuối" in ASK_LAST4
    # Step 1 says the same for an unknown code: it reveals nothing.
    assert service.check_code(UNKNOWN).message == ASK_LAST4


@pytest.mark.asyncio
async def test_malformed_code_or_digits_are_not_attempts(service: DossierLookupService, seeded: Session) -> None:
    result = await service.lookup("sender-1", "000.00.01-250714", "0002")
    assert result.outcome is LookupOutcome.MALFORMED_CODE and CODE_EXAMPLE in result.message
    result = await service.lookup("sender-1", PROCESSING, "12")
    assert result.outcome is LookupOutcome.INVALID_LAST4 and result.report is None
    assert attempts(seeded) == []


@pytest.mark.asyncio
async def test_unknown_code_and_wrong_digits_are_indistinguishable(service: DossierLookupService) -> None:
    unknown = await service.lookup("sender-a", UNKNOWN, "0002")
    wrong = await service.lookup("sender-b", PROCESSING, "9999")
    assert unknown.outcome is wrong.outcome is LookupOutcome.NOT_FOUND_OR_UNVERIFIED
    assert unknown.report is None and wrong.report is None
    assert unknown.attempts_left == wrong.attempts_left == 4
    assert unknown.message.replace(UNKNOWN, "X") == wrong.message.replace(PROCESSING, "X")
    assert "Đang xử lý" not in wrong.message and "Hoàn Kiếm" not in wrong.message


@pytest.mark.asyncio
async def test_verified_lookup_shows_status_history_and_appointment(service: DossierLookupService) -> None:
    result = await service.lookup("sender-1", PROCESSING.lower(), "0002")
    assert result.ok and result.outcome is LookupOutcome.OK
    report = result.report
    assert report is not None
    assert report.status == "processing" and report.status_label == DOSSIER_STATUS_LABELS["processing"] == "Đang xử lý"
    assert report.procedure_name == "Đăng ký tạm trú" and report.receiving_unit_name == "Phường Hoàn Kiếm"
    assert report.received_at == "14/07/2025 09:30"  # stored in UTC, shown in Vietnam time
    assert report.appointment_date == "17/07/2025"
    assert [line.text for line in report.history] == [
        "14/07/2025 09:30 — Đã tiếp nhận: Tiếp nhận hồ sơ trực tuyến",
        "14/07/2025 10:05 — Đang xử lý: Chuyển Công an phường thẩm định",
    ]
    assert not report.past_appointment and report.is_synthetic
    assert result.message == report.text
    assert report.text.startswith(SYNTHETIC_NOTE)
    for expected in (PROCESSING, "Ngày hẹn trả kết quả: 17/07/2025", "Trạng thái hiện tại: Đang xử lý", "1.004194"):
        assert expected in report.text

    # The whole phone number is accepted too; only its last four digits are used.
    again = await service.lookup("sender-1", PROCESSING, "+84 900 000 002")
    assert again.ok


@pytest.mark.asyncio
async def test_status_specific_advice(service: DossierLookupService, clock: Clock) -> None:
    clock.now = dt.datetime(2025, 8, 20, 9, 0, tzinfo=VN)
    supplement = await service.lookup("s", "000.00.01.DEMO-250715-0003", "0003")
    assert supplement.report and supplement.report.status_label == "Cần bổ sung hồ sơ"
    assert "bổ sung" in supplement.report.text.split("Quá trình xử lý:")[1]
    overdue = await service.lookup("s", "000.00.01.DEMO-250716-0004", "0004")
    assert overdue.report and overdue.report.status_label == "Quá hạn"
    assert "hẹn lại" in overdue.report.text
    # Still "processing" after its appointment date: flagged, without changing the status.
    late = await service.lookup("s", PROCESSING, "0002")
    assert late.report and late.report.past_appointment and late.report.status == "processing"
    assert "quá ngày hẹn trả" in late.report.text
    returned = await service.lookup("s", RETURNED, "0001")
    assert returned.report and not returned.report.past_appointment
    assert returned.report.status_label == "Đã trả kết quả"


@pytest.mark.asyncio
async def test_failed_verifications_are_limited_across_restarts(
    service: DossierLookupService, settings: DossierSettings, scope: SessionScope, clock: Clock
) -> None:
    lefts = []
    for _ in range(settings.max_failed_verifications):
        result = await service.lookup("guesser", PROCESSING, "1111")
        assert result.outcome is LookupOutcome.NOT_FOUND_OR_UNVERIFIED
        lefts.append(result.attempts_left)
    assert lefts == [4, 3, 2, 1, 0]

    blocked = await service.lookup("guesser", PROCESSING, "0002")  # even with the right digits
    assert blocked.outcome is LookupOutcome.RATE_LIMITED and blocked.report is None
    assert blocked.retry_after_minutes == 15 and "15 phút" in blocked.message

    # A new service and connector (action server restarted, or another replica): still blocked.
    restarted = make_service(settings, scope, clock)
    assert (await restarted.lookup("guesser", PROCESSING, "0002")).outcome is LookupOutcome.RATE_LIMITED
    # Other senders are not affected.
    assert (await restarted.lookup("someone-else", PROCESSING, "0002")).ok

    clock.advance(minutes=10)
    limited = await restarted.lookup("guesser", PROCESSING, "0002")
    assert limited.outcome is LookupOutcome.RATE_LIMITED and limited.retry_after_minutes == 5
    clock.advance(minutes=5, seconds=1)
    assert (await restarted.lookup("guesser", PROCESSING, "0002")).ok


@pytest.mark.asyncio
async def test_lookups_are_limited_per_sender(seeded: Session, scope: SessionScope, clock: Clock) -> None:
    settings = make_settings(max_lookups=20, lookup_window_minutes=60)
    service = make_service(settings, scope, clock)
    for minute in range(20):
        clock.advance(minutes=1)
        assert (await service.lookup("busy", RETURNED, "0001")).ok, minute
    result = await service.lookup("busy", RETURNED, "0001")
    assert result.outcome is LookupOutcome.RATE_LIMITED and "20 lần" in result.message
    # Fixed windows (counters.py): the hour that started at 10:00 ends at 11:00, 40 minutes on.
    assert result.retry_after_minutes == 40
    assert (await make_service(settings, scope, clock).lookup("busy", RETURNED, "0001")).outcome is (
        LookupOutcome.RATE_LIMITED
    )
    clock.advance(minutes=41)
    assert (await service.lookup("busy", RETURNED, "0001")).ok


@pytest.mark.asyncio
async def test_a_code_is_slowed_down_after_failures_from_many_clients(
    service: DossierLookupService, settings: DossierSettings, clock: Clock
) -> None:
    # Without client metadata each sender stands for a client: many identities.
    for code in (PROCESSING, UNKNOWN):
        for i in range(settings.max_failed_per_code):
            result = await service.lookup(f"bot-{code}-{i}", code, f"{i:04d}9"[-4:])
            assert result.outcome is LookupOutcome.NOT_FOUND_OR_UNVERIFIED
    known = await service.lookup("fresh-sender", PROCESSING, "0002")
    unknown = await service.lookup("fresh-sender", UNKNOWN, "0002")
    # The lock looks the same for a code that does not exist: it reveals nothing either.
    assert known.outcome is unknown.outcome is LookupOutcome.CODE_LOCKED
    assert known.message == unknown.message and known.report is None
    assert (await service.lookup("fresh-sender", RETURNED, "0001")).ok
    # A slow-down, not a day-long lock: the next window lets the owner in.
    assert known.retry_after_minutes == settings.code_window_minutes
    clock.advance(minutes=settings.code_window_minutes)
    assert (await service.lookup("fresh-sender", PROCESSING, "0002")).ok


@pytest.mark.asyncio
async def test_attempts_store_hashes_and_logs_mask_codes(
    service: DossierLookupService, seeded: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="servicedesk.dossiers")
    sender = "rest-sender-9f2c1e"
    await service.lookup(sender, PROCESSING, "1111")
    await service.lookup(sender, PROCESSING, "0002")
    rows = attempts(seeded)
    assert [(r.success, r.failure_reason) for r in rows] == [(False, "mismatch"), (True, None)]
    for row in rows:
        stored = " ".join(str(getattr(row, c.key)) for c in DossierLookupAttempt.__table__.columns)
        assert sender not in stored and PROCESSING not in stored
    assert caplog.records, "the lookups are logged"
    assert PROCESSING not in caplog.text and sender not in caplog.text and "0900000002" not in caplog.text
    assert mask_code(PROCESSING) in caplog.text


class _BrokenConnector:
    def __init__(self) -> None:
        self.calls = 0

    async def lookup(self, code: str) -> DossierView | None:
        raise AssertionError("not reached")

    async def verify(self, code: str, last4: str) -> bool:
        self.calls += 1
        raise ConnectorUnavailable("timeout after 3 attempts")


@pytest.mark.asyncio
async def test_source_failure_is_reported_and_not_a_failed_verification(
    seeded: Session, settings: DossierSettings, scope: SessionScope, clock: Clock
) -> None:
    service = make_service(settings, scope, clock, _BrokenConnector())
    for _ in range(settings.max_failed_verifications + 1):
        result = await service.lookup("patient", PROCESSING, "0002")
        assert result.outcome is LookupOutcome.UNAVAILABLE
        assert "dichvucong.gov.vn" in result.message
    assert {r.failure_reason for r in attempts(seeded)} == {"error"}


def test_connector_is_chosen_by_configuration(monkeypatch: pytest.MonkeyPatch, scope: SessionScope) -> None:
    for name in ("CONNECTOR", "HTTP_BASE_URL", "HTTP_TOKEN"):
        monkeypatch.delenv(f"TTHC_DOSSIER_{name}", raising=False)
    assert isinstance(get_connector(make_settings(), scope), LocalConnector)
    with pytest.raises(ValueError, match="TTHC_DOSSIER_HTTP_BASE_URL"):
        get_connector(make_settings(connector="http"))
    monkeypatch.setenv("TTHC_DOSSIER_CONNECTOR", "http")
    monkeypatch.setenv("TTHC_DOSSIER_HTTP_BASE_URL", "https://motcua.example.invalid/")
    monkeypatch.setenv("TTHC_DOSSIER_HTTP_TOKEN", "secret")
    monkeypatch.setenv("TTHC_DOSSIER_MAX_FAILED_VERIFICATIONS", "3")
    configured = DossierSettings()
    assert configured.max_failed_verifications == 3 and "secret" not in repr(configured)
    assert isinstance(get_connector(configured), HttpConnector)
    assert isinstance(get_connector(configured), DossierConnector)


# --- the provincial one-stop system over HTTP ----------------------------------------------------


@pytest.fixture(scope="module")
def one_stop_server() -> Iterator[tuple[FakeOneStop, str]]:
    state = FakeOneStop()
    with serve(state) as base_url:
        yield state, base_url


@pytest.fixture
def one_stop(one_stop_server: tuple[FakeOneStop, str]) -> tuple[FakeOneStop, str]:
    state, base_url = one_stop_server
    state.reset()
    state.add(synthetic_dossier("000.00.01.H29-250710-0012", last4="1234"))
    return state, base_url


def http_connector(base_url: str, token: str = DEFAULT_TOKEN, **changes: float) -> HttpConnector:
    options = {"timeout_seconds": 2.0, "max_attempts": 3, "backoff_seconds": 0.01}
    options.update(changes)
    return HttpConnector(base_url + "/", token, **options)  # type: ignore[arg-type]


HTTP_CODE = "000.00.01.H29-250710-0012"


@pytest.mark.asyncio
async def test_http_lookup_maps_the_provincial_shape(one_stop: tuple[FakeOneStop, str]) -> None:
    state, base_url = one_stop
    view = await http_connector(base_url).lookup(HTTP_CODE.lower())
    assert view is not None
    assert state.requests == [("GET", f"/api/v1/hoso/{HTTP_CODE}")]
    assert (view.code, view.procedure_code, view.procedure_name) == (HTTP_CODE, "1.004194", "Đăng ký tạm trú")
    assert (view.receiving_unit_code, view.receiving_unit_name) == ("26743", "Phường Bến Thành")
    assert view.received_at == dt.datetime(2025, 7, 10, 1, 15, tzinfo=dt.UTC)
    assert view.appointment_date == dt.date(2025, 7, 17)
    assert view.status == "processing" and not view.is_synthetic
    assert [(e.status, e.at.astimezone(VN).strftime("%d/%m %H:%M")) for e in view.history] == [
        ("received", "10/07 08:15"),
        ("processing", "11/07 09:30"),  # "dd/mm/yyyy HH:MM" without offset is Vietnam time
    ]
    assert "1234" not in repr(view)  # phone fragments in the answer are dropped


@pytest.mark.asyncio
async def test_http_verify_and_unknown_codes(one_stop: tuple[FakeOneStop, str]) -> None:
    state, base_url = one_stop
    connector = http_connector(base_url)
    assert await connector.verify(HTTP_CODE, "1234") is True
    assert await connector.verify(HTTP_CODE, "4321") is False
    assert state.verify_bodies == [{"bon_so_cuoi": "1234"}, {"bon_so_cuoi": "4321"}]
    assert state.requests[0] == ("POST", f"/api/v1/hoso/{HTTP_CODE}/xac-thuc")
    assert await connector.lookup(UNKNOWN) is None  # 404
    assert await connector.verify(UNKNOWN, "1234") is False  # 404


@pytest.mark.asyncio
async def test_http_retries_server_errors(one_stop: tuple[FakeOneStop, str]) -> None:
    state, base_url = one_stop
    state.fail_next = 2
    assert await http_connector(base_url).lookup(HTTP_CODE) is not None
    assert len(state.requests) == 3

    state.requests.clear()
    state.fail_next = 10
    with pytest.raises(ConnectorUnavailable):
        await http_connector(base_url).verify(HTTP_CODE, "1234")
    assert len(state.requests) == 3


@pytest.mark.asyncio
async def test_http_timeout_is_retried_then_reported(one_stop: tuple[FakeOneStop, str]) -> None:
    state, base_url = one_stop
    state.delay_seconds = 1.0
    started = time.monotonic()
    with pytest.raises(ConnectorUnavailable, match="timeout"):
        await http_connector(base_url, timeout_seconds=0.2, max_attempts=2).lookup(HTTP_CODE)
    assert time.monotonic() - started < 1.5
    # The fake records a request in its own thread; on a busy machine the second one may be
    # logged a moment after the client has given up on it.
    deadline = time.monotonic() + 2.0
    while len(state.requests) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert len(state.requests) == 2


@pytest.mark.asyncio
async def test_http_client_errors_are_not_retried(one_stop: tuple[FakeOneStop, str]) -> None:
    state, base_url = one_stop
    with pytest.raises(ConnectorAuthError):
        await http_connector(base_url, token="wrong-token").lookup(HTTP_CODE)
    assert len(state.requests) == 1

    state.requests.clear()
    with pytest.raises(ConnectorProtocolError):
        await http_connector(base_url).verify(HTTP_CODE, "12a4")  # the fake answers 422
    assert len(state.requests) == 1


@pytest.mark.asyncio
async def test_service_over_http(
    one_stop: tuple[FakeOneStop, str],
    session: Session,
    settings: DossierSettings,
    scope: SessionScope,
    clock: Clock,
) -> None:
    state, base_url = one_stop
    unusual = synthetic_dossier("G22.99-250801-0003", last4="5678")
    unusual["TrangThai"] = "CHUYEN_LIEN_THONG"
    state.add(unusual)
    service = make_service(settings, scope, clock, http_connector(base_url))

    ok = await service.lookup("citizen", HTTP_CODE, "1234")
    assert ok.ok and ok.report is not None
    assert "Trạng thái hiện tại: Đang xử lý" in ok.report.text
    assert "11/07/2025 09:30 — Đang xử lý: Chuyển Công an phường thẩm định" in ok.report.text
    assert SYNTHETIC_NOTE not in ok.report.text

    other = await service.lookup("citizen", "G22.99-250801-0003", "5678")
    assert other.report and other.report.status_label == "Trạng thái khác (CHUYEN_LIEN_THONG)"

    wrong = await service.lookup("citizen", HTTP_CODE, "0000")
    unknown = await service.lookup("citizen", UNKNOWN, "1234")
    assert wrong.outcome is unknown.outcome is LookupOutcome.NOT_FOUND_OR_UNVERIFIED
    # Nothing is fetched before verification succeeds.
    assert ("GET", f"/api/v1/hoso/{UNKNOWN}") not in state.requests
    assert state.requests.count(("GET", f"/api/v1/hoso/{HTTP_CODE}")) == 1

    state.fail_next = 10
    down = await service.lookup("citizen", HTTP_CODE, "1234")
    assert down.outcome is LookupOutcome.UNAVAILABLE and "thử lại sau" in down.message
