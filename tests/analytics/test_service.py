"""Analytics figures on a hand-built dataset whose every number is worked out below.

Times are stored in naive UTC; days are Vietnam days (UTC+7), so 2026-10-31 18:00 UTC is
1 November in Vietnam and 2026-11-03 17:00 UTC is already 4 November.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy.orm import Session

from core.privacy import sender_hash
from knowledge.units.models import AdministrativeUnit
from servicedesk.analytics import export
from servicedesk.analytics.service import (
    UNKNOWN_UNIT,
    AnalyticsReport,
    Filters,
    InvalidRange,
    parse_filters,
    percentile,
    report,
)
from servicedesk.conversations.models import ConversationTurn
from servicedesk.feedback.models import Feedback
from servicedesk.handoff.models import HandoffRequest
from servicedesk.ratings.models import Rating

# Turns keep the official code of their unit; the page shows the name the store gives it.
BEN_THANH, BEN_THANH_NAME = "26743", "Phường Bến Thành"
TAN_PHU, TAN_PHU_NAME = "26116", "Xã Tân Phú"
RANGE = Filters(dt.date(2026, 11, 1), dt.date(2026, 11, 3))


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute)


def _turn(
    at: dt.datetime,
    sender: str,
    channel: str,
    unit_code: str | None,
    intent: str | None,
    procedure: str | None,
    *,
    fallback: bool = False,
    handled_by: str = "bot",
) -> ConversationTurn:
    return ConversationTurn(
        at=at,
        sender_hash=sender_hash(sender),
        channel=channel,
        unit_code=unit_code,
        intent=intent,
        confidence=None if intent is None else 0.9,
        procedure_code=procedure,
        fallback=fallback,
        needs_review=fallback,
        handled_by=handled_by,
    )


@pytest.fixture
def data(session: Session) -> Session:
    session.add_all(
        [
            AdministrativeUnit(code=code, name=name, type=kind, level="commune", status="current", name_folded=folded)
            for code, name, kind, folded in (
                (BEN_THANH, BEN_THANH_NAME, "phuong", "ben thanh"),
                (TAN_PHU, TAN_PHU_NAME, "xa", "tan phu"),
            )
        ]
    )
    session.add_all(
        [
            # 1 November (Vietnam)
            _turn(utc(31, 18, month=10), "web-a", "web", BEN_THANH, "ask_fee", "1.001193"),
            _turn(utc(1, 2), "web-a", "web", BEN_THANH, "ask_documents", "1.001193"),
            _turn(utc(1, 3), "zalo-b", "zalo", TAN_PHU, "nlu_fallback", None, fallback=True),
            _turn(utc(1, 4), "zalo-b", "zalo", TAN_PHU, "request_human", None),
            # 2 November
            _turn(utc(1, 17, 30), "web-a", "web", BEN_THANH, "ask_procedure", "1.000894"),
            _turn(utc(2, 5), "web-c", "web", None, "ask_fee", "1.000894"),
            _turn(utc(2, 6), "web-c", "web", None, None, None, handled_by="agent"),
            # 3 November
            _turn(utc(3, 2), "web-e", "web", BEN_THANH, "ask_steps", "1.004222"),
            # outside the range: 31 October 23:59 and 4 November 00:00 in Vietnam
            _turn(utc(31, 16, 59, month=10), "web-z", "web", BEN_THANH, "ask_fee", "1.001193"),
            _turn(utc(3, 17), "web-z", "web", BEN_THANH, "ask_fee", "1.001193"),
        ]
    )
    session.add_all(
        [
            HandoffRequest(
                sender_id="zalo-b", channel="zalo", status="taken", created_at=utc(1, 4), taken_at=utc(1, 4, 2)
            ),
            HandoffRequest(
                sender_id="web-c", channel="web", status="closed", created_at=utc(2, 6), taken_at=utc(2, 6, 10)
            ),
            HandoffRequest(sender_id="web-c", channel="web", status="queued", created_at=utc(2, 7)),
            HandoffRequest(
                sender_id="web-d",
                channel="web",
                status="taken",
                created_at=utc(3, 1),
                taken_at=utc(3, 1) + dt.timedelta(seconds=30),
            ),
            HandoffRequest(sender_id="web-a", channel="web", status="queued", created_at=utc(30, 1, month=10)),
        ]
    )
    session.add_all(
        [
            Rating(score=5, channel="web", sender_hash=sender_hash("web-a"), created_at=utc(1, 5)),
            Rating(score=4, channel="web", sender_hash=sender_hash("web-c"), created_at=utc(2, 5, 30)),
            Rating(score=1, channel="zalo", sender_hash=sender_hash("zalo-b"), created_at=utc(1, 5)),
            Rating(score=5, channel="web", sender_hash=sender_hash("web-unknown"), created_at=utc(2, 8)),
            Rating(score=2, channel="web", sender_hash=sender_hash("web-a"), created_at=utc(5, 1)),
        ]
    )
    session.add_all(
        [
            Feedback(
                reference="PA-20261102-0001",
                kind="complaint",
                content="(thử nghiệm)",
                sender_hash=sender_hash("web-c"),
                channel="web",
                created_at=utc(2, 9),
            ),
            Feedback(
                reference="PA-20261110-0001",
                kind="suggestion",
                content="(thử nghiệm)",
                sender_hash=sender_hash("web-c"),
                channel="web",
                created_at=utc(10, 9),
            ),
        ]
    )
    session.commit()
    return session


def test_totals(data: Session) -> None:
    totals = report(data, RANGE).totals
    assert totals.conversations == 5  # (1/11: a, b) (2/11: a, c) (3/11: e)
    assert totals.messages == 8
    assert totals.agent_messages == 1
    assert totals.fallbacks == 1
    assert totals.fallback_rate == 0.125
    assert totals.handoffs == 4
    assert totals.handoffs_taken == 3
    assert totals.handoffs_waiting == 1
    assert totals.handoff_rate == 0.8
    assert totals.wait_median_seconds == 120.0  # waits 30 s, 120 s, 600 s
    assert totals.wait_p90_seconds == 600.0
    assert totals.ratings == 4
    assert totals.rating_average == 3.75
    assert totals.feedback == 1


def test_per_day_in_vietnam_time(data: Session) -> None:
    days = {d.date: d for d in report(data, RANGE).days}
    assert list(days) == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert (days["2026-11-01"].conversations, days["2026-11-01"].messages, days["2026-11-01"].fallbacks) == (2, 4, 1)
    assert (days["2026-11-02"].conversations, days["2026-11-02"].messages, days["2026-11-02"].handoffs) == (2, 3, 2)
    assert (days["2026-11-03"].conversations, days["2026-11-03"].messages, days["2026-11-03"].handoffs) == (1, 1, 1)
    assert days["2026-11-01"].handoffs == 1


def test_top_procedures_and_intents(data: Session) -> None:
    result = report(data, RANGE)
    assert [(p.key, p.messages, p.conversations) for p in result.top_procedures] == [
        ("1.000894", 2, 2),
        ("1.001193", 2, 1),
        ("1.004222", 1, 1),
    ]
    assert result.top_procedures[0].label == "1.000894"  # no catalogue in this store: the code stands in
    assert [(i.key, i.messages) for i in result.top_intents] == [
        ("ask_fee", 2),
        ("ask_documents", 1),
        ("ask_procedure", 1),
        ("ask_steps", 1),
        ("nlu_fallback", 1),
        ("request_human", 1),
    ]
    assert result.top_intents[0].label == "Hỏi phí, lệ phí"
    assert result.top_intents[0].conversations == 2


def test_satisfaction_distribution(data: Session) -> None:
    assert report(data, RANGE).rating_distribution == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 2}


def test_per_channel(data: Session) -> None:
    channels = {c.key: c for c in report(data, RANGE).channels}
    web, zalo = channels["web"], channels["zalo"]
    assert (web.label, web.conversations, web.messages, web.fallbacks, web.handoffs) == ("Trang web", 4, 6, 0, 3)
    assert web.handoff_rate == 0.75 and web.fallback_rate == 0.0
    assert (web.ratings, web.rating_average) == (3, 4.67)
    assert (zalo.label, zalo.conversations, zalo.messages, zalo.fallbacks, zalo.handoffs) == ("Zalo", 1, 2, 1, 1)
    assert (zalo.fallback_rate, zalo.handoff_rate, zalo.rating_average) == (0.5, 1.0, 1.0)


def test_per_unit(data: Session) -> None:
    units = {u.key: u for u in report(data, RANGE).units}
    assert set(units) == {BEN_THANH, TAN_PHU, UNKNOWN_UNIT}
    assert (units[BEN_THANH].label, units[TAN_PHU].label, units[UNKNOWN_UNIT].label) == (
        BEN_THANH_NAME,
        TAN_PHU_NAME,
        UNKNOWN_UNIT,
    )
    assert (units[BEN_THANH].conversations, units[BEN_THANH].messages, units[BEN_THANH].handoffs) == (3, 4, 0)
    assert units[BEN_THANH].rating_average == 5.0
    assert (units[TAN_PHU].conversations, units[TAN_PHU].messages, units[TAN_PHU].handoffs) == (1, 2, 1)
    # web-c wrote without a unit and web-d, who asked for an officer, never wrote in the range.
    assert (units[UNKNOWN_UNIT].conversations, units[UNKNOWN_UNIT].handoffs) == (1, 3)
    assert units[UNKNOWN_UNIT].rating_average == 4.5


def test_channel_filter(data: Session) -> None:
    result = report(data, Filters(RANGE.start, RANGE.end, channel="zalo"))
    totals = result.totals
    assert (totals.conversations, totals.messages, totals.fallbacks, totals.handoffs) == (1, 2, 1, 1)
    assert (totals.wait_median_seconds, totals.ratings, totals.rating_average, totals.feedback) == (120.0, 1, 1.0, 0)
    assert [c.key for c in result.channels] == ["zalo"]


def test_unit_filter(data: Session) -> None:
    result = report(data, Filters(RANGE.start, RANGE.end, unit=BEN_THANH))
    totals = result.totals
    assert (totals.conversations, totals.messages, totals.handoffs, totals.handoff_rate) == (3, 4, 0, 0.0)
    assert (totals.ratings, totals.rating_average, totals.feedback) == (1, 5.0, 0)
    assert [p.key for p in result.top_procedures] == ["1.001193", "1.000894", "1.004222"]
    assert set(result.available_units) == {BEN_THANH, TAN_PHU, UNKNOWN_UNIT}  # the filter list stays whole
    assert (result.unit, result.unit_label) == (BEN_THANH, BEN_THANH_NAME)
    assert result.unit_labels[TAN_PHU] == TAN_PHU_NAME


def test_units_are_listed_by_name_and_an_unknown_code_stands_for_itself(data: Session) -> None:
    data.add(_turn(utc(2, 1), "web-f", "web", "99999", "ask_fee", None))
    data.commit()
    result = report(data, RANGE)
    assert result.available_units == [BEN_THANH, TAN_PHU, "99999", UNKNOWN_UNIT]  # by name, then the rest
    assert result.unit_labels["99999"] == "99999"


def test_the_unit_filter_takes_a_code() -> None:
    today = dt.date(2026, 11, 22)
    assert parse_filters(None, None, unit=" 26743 ", today=today).unit == "26743"
    assert parse_filters(None, None, unit=UNKNOWN_UNIT, today=today).unit == UNKNOWN_UNIT
    with pytest.raises(InvalidRange) as problem:
        parse_filters(None, None, unit="Phường Bến Thành", today=today)
    assert problem.value.field == "unit" and "mã đơn vị" in problem.value.message


def test_empty_store_gives_zeroes_not_errors(session: Session) -> None:
    result = report(session, RANGE)
    assert result.totals.conversations == 0 and result.totals.fallback_rate is None
    assert result.totals.wait_median_seconds is None and result.totals.rating_average is None
    assert [d.messages for d in result.days] == [0, 0, 0]
    assert result.rating_distribution == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}


def test_parse_filters() -> None:
    today = dt.date(2026, 11, 22)
    default = parse_filters(None, None, today=today)
    assert (default.start, default.end) == (dt.date(2026, 10, 24), today)
    assert len(default.days) == 30
    assert parse_filters("2026-11-01", "2026-11-03", " web ", "", today=today) == Filters(
        dt.date(2026, 11, 1), dt.date(2026, 11, 3), "web", None
    )
    assert RANGE.utc_bounds == (utc(31, 17, month=10), utc(3, 17))


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        ("01/11/2026", None, "from", "ngày không hợp lệ"),
        (None, "2026-13-01", "to", "ngày không hợp lệ"),
        ("2026-11-05", "2026-11-01", "from", "ngày bắt đầu phải trước"),
        ("2024-01-01", "2026-11-01", "from", "tối đa 366 ngày"),
    ],
)
def test_bad_ranges_are_refused_in_vietnamese(start: str | None, end: str | None, field: str, words: str) -> None:
    with pytest.raises(InvalidRange) as problem:
        parse_filters(start, end, today=dt.date(2026, 11, 22))
    assert problem.value.field == field and words in problem.value.message


def test_percentile_is_a_value_that_occurred() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(v) for v in range(1, 11)], 0.9) == 9.0
    assert percentile([float(v) for v in range(1, 11)], 0.5) == 5.0


def _csv(result: AnalyticsReport) -> list[list[str]]:
    text = export.to_csv(result)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_holds_the_same_numbers(data: Session) -> None:
    result = report(data, RANGE)
    table = _csv(result)
    assert table[0] == ["Mục", "Khóa", "Tên", "Chỉ số", "Giá trị"]
    assert all(len(row) == 5 for row in table)
    by_key = {(row[0], row[1], row[3]): row[4] for row in table[1:]}
    assert by_key[("Tổng quan", "conversations", "Số cuộc trò chuyện")] == "5"
    assert by_key[("Tổng quan", "handoff_rate", "Tỷ lệ chuyển cán bộ")] == "0.8"
    assert by_key[("Tổng quan", "rating_average", "Điểm hài lòng trung bình")] == "3.75"
    assert by_key[("Theo ngày", "2026-11-01", "Số tin nhắn")] == "4"
    assert by_key[("Thủ tục được hỏi nhiều", "1.000894", "Số cuộc trò chuyện")] == "2"
    assert by_key[("Ý định", "ask_fee", "Số tin nhắn")] == "2"
    assert by_key[("Mức hài lòng", "5", "Số lượt đánh giá")] == "2"
    assert by_key[("Theo kênh", "zalo", "Tỷ lệ chưa hiểu")] == "0.5"
    assert by_key[("Theo đơn vị", BEN_THANH, "Số tin nhắn")] == "4"
    assert [BEN_THANH_NAME] == list({row[2] for row in table if row[:2] == ["Theo đơn vị", BEN_THANH]})
    assert ("Phạm vi", "from") in {(row[0], row[1]) for row in table}
    assert export.filename(result) == "thong-ke-tro-ly-2026-11-01-2026-11-03.csv"


def test_csv_of_an_empty_range_leaves_missing_rates_blank(session: Session) -> None:
    table = _csv(report(session, RANGE))
    rates = [row for row in table if row[1] == "fallback_rate" and row[0] == "Tổng quan"]
    assert rates == [["Tổng quan", "fallback_rate", "2026-11-01 – 2026-11-03", "Tỷ lệ chưa hiểu", ""]]
