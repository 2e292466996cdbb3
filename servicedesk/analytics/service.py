"""The analytics page's numbers: how much the assistant is used, what for, how often it fails or
hands over to an officer, how long callers wait and how satisfied they are, per day, channel and
unit, for a range of days.

Days are Vietnam days (UTC+7 all year) while the store keeps naive UTC. Bucketing timestamps by a
shifted day is written differently in SQLite and PostgreSQL, so SQL only selects the rows of the
range (an indexed range on the timestamp, plain SQLAlchemy) and the counting is done here in one
pass over a narrow projection, streamed in batches: a year of a busy province's messages is a few
hundred thousand small tuples.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.errors import InvalidError
from core.labels import CHAT_CHANNEL_LABELS, chat_channel_label, intent_label
from core.privacy import sender_hash
from knowledge.procedures.models import Procedure
from knowledge.units.models import AdministrativeUnit
from servicedesk.callbacks.models import CallbackRequest
from servicedesk.conversations.models import ConversationTurn
from servicedesk.feedback.models import Feedback
from servicedesk.handoff.models import HandoffRequest
from servicedesk.ratings.models import Rating

VIETNAM_OFFSET = dt.timedelta(hours=7)  # Vietnam has kept UTC+7, without daylight saving, since 1975
DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP = 10
# Units are official codes (servicedesk/conversations/units.py); messages without one are grouped
# under this key, which no code can equal.
UNKNOWN_UNIT = "Chưa rõ đơn vị"
_UNIT_CODE = re.compile(r"[0-9]{2,8}")
_BATCH = 5_000


class InvalidRange(InvalidError, ValueError):
    """A date range the page cannot show; the message is for the officer (Vietnamese)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, field=field_name)
        self.message = message


@dataclass(frozen=True)
class Filters:
    start: dt.date  # Vietnam days, both included
    end: dt.date
    channel: str | None = None
    unit: str | None = None  # an official unit code, or UNKNOWN_UNIT

    @property
    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[from, to) in naive UTC, as the store keeps time."""
        first = dt.datetime.combine(self.start, dt.time()) - VIETNAM_OFFSET
        return first, dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()) - VIETNAM_OFFSET

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def vietnam_today(now: dt.datetime | None = None) -> dt.date:
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return (now + VIETNAM_OFFSET).date()


def vietnam_day(at: dt.datetime) -> dt.date:
    return (at + VIETNAM_OFFSET).date()


def parse_filters(
    start: str | None,
    end: str | None,
    channel: str | None = None,
    unit: str | None = None,
    *,
    today: dt.date | None = None,
) -> Filters:
    """Filters from the page's query string: ISO dates, the last 30 days by default; the unit
    by its official code."""
    today = today or vietnam_today()
    end_day = _parse_day("to", end) or today
    start_day = _parse_day("from", start) or end_day - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start_day > end_day:
        raise InvalidRange("from", "ngày bắt đầu phải trước hoặc bằng ngày kết thúc")
    if (end_day - start_day).days + 1 > MAX_DAYS:
        raise InvalidRange("from", f"khoảng thời gian dài tối đa {MAX_DAYS} ngày")
    unit_code = (unit or "").strip() or None
    if unit_code is not None and unit_code != UNKNOWN_UNIT and not _UNIT_CODE.fullmatch(unit_code):
        raise InvalidRange("unit", "đơn vị phải là mã đơn vị hành chính (chữ số, ví dụ 26743)")
    return Filters(start_day, end_day, (channel or "").strip() or None, unit_code)


def _parse_day(field_name: str, value: str | None) -> dt.date | None:
    if value is None or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidRange(field_name, "ngày không hợp lệ, cần dạng NNNN-TT-NN (ví dụ 2026-11-01)") from None


@dataclass
class DayStats:
    date: str
    conversations: int = 0
    messages: int = 0
    fallbacks: int = 0
    handoffs: int = 0


@dataclass
class Ranked:
    key: str
    label: str
    messages: int
    conversations: int


@dataclass
class GroupStats:
    """One channel's or one unit's figures."""

    key: str
    label: str
    conversations: int = 0
    messages: int = 0
    fallbacks: int = 0
    fallback_rate: float | None = None
    handoffs: int = 0
    handoff_rate: float | None = None
    ratings: int = 0
    rating_average: float | None = None
    callbacks: int = 0


@dataclass
class Totals:
    conversations: int = 0
    messages: int = 0
    agent_messages: int = 0
    fallbacks: int = 0
    fallback_rate: float | None = None
    handoffs: int = 0
    handoffs_taken: int = 0
    handoffs_waiting: int = 0
    handoff_rate: float | None = None
    wait_median_seconds: float | None = None
    wait_p90_seconds: float | None = None
    ratings: int = 0
    rating_average: float | None = None
    feedback: int = 0
    callbacks: int = 0  # call-backs requested in the range
    callbacks_done: int = 0  # of those, the ones an officer has marked done


@dataclass
class AnalyticsReport:
    start: str
    end: str
    channel: str | None
    unit: str | None  # the filter's unit code
    unit_label: str | None  # its official name
    totals: Totals
    days: list[DayStats]
    top_procedures: list[Ranked]
    top_intents: list[Ranked]
    rating_distribution: dict[str, int]
    channels: list[GroupStats]
    units: list[GroupStats]
    available_channels: list[str] = field(default_factory=list)
    available_units: list[str] = field(default_factory=list)  # codes, in the order of their names
    unit_labels: dict[str, str] = field(default_factory=dict)  # code -> official name, for every code shown


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _average(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile: a value that occurred, so "p90 = 12 min" is some caller's wait."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _stream(session: Session, stmt: Select) -> Iterable[tuple]:  # type: ignore[type-arg]
    return session.execute(stmt.execution_options(yield_per=_BATCH)).tuples()


@dataclass
class _Group:
    conversations: set[tuple[dt.date, str]] = field(default_factory=set)
    messages: int = 0
    fallbacks: int = 0
    handoffs: int = 0
    ratings: list[int] = field(default_factory=list)
    callbacks: int = 0

    def stats(self, key: str, label: str) -> GroupStats:
        conversations = len(self.conversations)
        return GroupStats(
            key=key,
            label=label,
            conversations=conversations,
            messages=self.messages,
            fallbacks=self.fallbacks,
            fallback_rate=_rate(self.fallbacks, self.messages),
            handoffs=self.handoffs,
            handoff_rate=_rate(self.handoffs, conversations),
            ratings=len(self.ratings),
            rating_average=_average(self.ratings),
            callbacks=self.callbacks,
        )


def report(session: Session, filters: Filters) -> AnalyticsReport:
    """Every figure of the page for the filters.

    A conversation is one citizen (sender: a channel's own conversation id, so one per channel) on
    one Vietnam day: the assistant has no session boundary, and "how many people asked that day"
    is what an office plans its staff for.
    Handoff requests and ratings carry no unit, so the unit filter and breakdown give them the
    unit of the sender's messages in the range. Units are grouped by code and shown by the
    official name the store gives that code.
    """
    since, until = filters.utc_bounds
    turn_stmt = select(
        ConversationTurn.at,
        ConversationTurn.sender_hash,
        ConversationTurn.channel,
        ConversationTurn.unit_code,
        ConversationTurn.intent,
        ConversationTurn.procedure_code,
        ConversationTurn.fallback,
        ConversationTurn.handled_by,
    ).where(ConversationTurn.at >= since, ConversationTurn.at < until)
    if filters.channel:
        turn_stmt = turn_stmt.where(ConversationTurn.channel == filters.channel)

    totals = Totals()
    days = {day: DayStats(day.isoformat()) for day in filters.days}
    day_senders: dict[dt.date, set[str]] = defaultdict(set)
    conversations: set[tuple[dt.date, str]] = set()
    procedures: Counter[str] = Counter()
    procedure_conversations: dict[str, set[tuple[dt.date, str]]] = defaultdict(set)
    intents: Counter[str] = Counter()
    intent_conversations: dict[str, set[tuple[dt.date, str]]] = defaultdict(set)
    by_channel: dict[str, _Group] = defaultdict(_Group)
    by_unit: dict[str, _Group] = defaultdict(_Group)
    sender_unit: dict[str, str] = {}  # the unit a sender last wrote from, in the range
    seen_channels: set[str] = set()
    seen_units: set[str] = set()

    for at, sender, channel, unit, intent, procedure_code, fallback, handled_by in _stream(session, turn_stmt):
        unit_key = unit or UNKNOWN_UNIT
        seen_channels.add(channel)
        seen_units.add(unit_key)
        sender_unit[sender] = unit_key
        if filters.unit and unit_key != filters.unit:
            continue
        day = vietnam_day(at)
        conversation = (day, sender)
        conversations.add(conversation)
        day_senders[day].add(sender)
        totals.messages += 1
        totals.agent_messages += handled_by == "agent"
        totals.fallbacks += bool(fallback)
        stats = days.get(day)
        if stats is not None:
            stats.messages += 1
            stats.fallbacks += bool(fallback)
        if procedure_code:
            procedures[procedure_code] += 1
            procedure_conversations[procedure_code].add(conversation)
        if intent:
            intents[intent] += 1
            intent_conversations[intent].add(conversation)
        for group in (by_channel[channel], by_unit[unit_key]):
            group.conversations.add(conversation)
            group.messages += 1
            group.fallbacks += bool(fallback)

    for day, senders in day_senders.items():
        if day in days:
            days[day].conversations = len(senders)
    totals.conversations = len(conversations)
    totals.fallback_rate = _rate(totals.fallbacks, totals.messages)

    _count_handoffs(session, filters, totals, days, by_channel, by_unit, sender_unit)
    distribution = _count_ratings(session, filters, totals, by_channel, by_unit, sender_unit)
    totals.handoff_rate = _rate(totals.handoffs, totals.conversations)
    totals.feedback = _count_feedback(session, filters, sender_unit)
    _count_callbacks(session, filters, totals, by_channel, by_unit, sender_unit)

    top_procedures = _top(procedures)
    names: dict[str, str] = {
        code: name
        for code, name in session.execute(
            select(Procedure.code, Procedure.name).where(Procedure.code.in_([code for code, _ in top_procedures]))
        )
    }
    unit_labels = unit_names(session, seen_units | set(by_unit) | ({filters.unit} if filters.unit else set()))
    return AnalyticsReport(
        start=filters.start.isoformat(),
        end=filters.end.isoformat(),
        channel=filters.channel,
        unit=filters.unit,
        unit_label=unit_labels.get(filters.unit) if filters.unit else None,
        totals=totals,
        days=list(days.values()),
        top_procedures=[
            Ranked(code, names.get(code, code), count, len(procedure_conversations[code]))
            for code, count in top_procedures
        ],
        top_intents=[
            Ranked(intent, intent_label(intent), count, len(intent_conversations[intent]))
            for intent, count in _top(intents)
        ],
        rating_distribution=distribution,
        channels=[g.stats(k, chat_channel_label(k)) for k, g in sorted(by_channel.items())],
        units=[g.stats(k, unit_labels[k]) for k, g in sorted(by_unit.items(), key=lambda kv: (-kv[1].messages, kv[0]))],
        available_channels=sorted(seen_channels | set(CHAT_CHANNEL_LABELS)),
        available_units=sorted(seen_units, key=lambda code: _unit_order(code, unit_labels)),
        unit_labels=unit_labels,
    )


def _unit_order(code: str, labels: dict[str, str]) -> tuple[bool, bool, str, str]:
    # Named units by name, then codes the store does not know, then messages without a unit.
    return (code == UNKNOWN_UNIT, labels[code] == code, labels[code], code)


def unit_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """The official name of each current unit code (the code itself if the store lost it)."""
    wanted = {code for code in codes if code != UNKNOWN_UNIT}
    found: dict[str, str] = {}
    if wanted:
        stmt = select(AdministrativeUnit.code, AdministrativeUnit.name).where(
            AdministrativeUnit.status == "current", AdministrativeUnit.code.in_(wanted)
        )
        found = dict(session.execute(stmt).tuples().all())
    labels = {code: found.get(code, code) for code in wanted}
    labels[UNKNOWN_UNIT] = UNKNOWN_UNIT
    return labels


def _top(counter: Counter[str]) -> list[tuple[str, int]]:
    # Ties by key, so the page and the CSV list them in the same order every time.
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:TOP]


def _unit_of(sender: str, sender_unit: dict[str, str]) -> str:
    return sender_unit.get(sender, UNKNOWN_UNIT)


def _count_handoffs(
    session: Session,
    filters: Filters,
    totals: Totals,
    days: dict[dt.date, DayStats],
    by_channel: dict[str, _Group],
    by_unit: dict[str, _Group],
    sender_unit: dict[str, str],
) -> None:
    since, until = filters.utc_bounds
    stmt = select(
        HandoffRequest.created_at,
        HandoffRequest.taken_at,
        HandoffRequest.status,
        HandoffRequest.channel,
        HandoffRequest.sender_id,
        HandoffRequest.unit_code,
    ).where(HandoffRequest.created_at >= since, HandoffRequest.created_at < until)
    if filters.channel:
        stmt = stmt.where(HandoffRequest.channel == filters.channel)
    waits: list[float] = []
    for created_at, taken_at, status, channel, sender_id, unit_code in _stream(session, stmt):
        # The unit the request was made from (widget data-unit), else the sender's in the range.
        unit = unit_code or _unit_of(sender_hash(sender_id), sender_unit)
        if filters.unit and unit != filters.unit:
            continue
        totals.handoffs += 1
        if taken_at is not None:
            totals.handoffs_taken += 1
            waits.append(max(0.0, (taken_at - created_at).total_seconds()))
        elif status in ("queued", "out_of_hours"):
            totals.handoffs_waiting += 1
        stats = days.get(vietnam_day(created_at))
        if stats is not None:
            stats.handoffs += 1
        by_channel[channel].handoffs += 1
        by_unit[unit].handoffs += 1
    totals.wait_median_seconds = round(statistics.median(waits), 1) if waits else None
    p90 = percentile(waits, 0.9)
    totals.wait_p90_seconds = round(p90, 1) if p90 is not None else None


def _count_ratings(
    session: Session,
    filters: Filters,
    totals: Totals,
    by_channel: dict[str, _Group],
    by_unit: dict[str, _Group],
    sender_unit: dict[str, str],
) -> dict[str, int]:
    since, until = filters.utc_bounds
    stmt = select(Rating.score, Rating.channel, Rating.sender_hash).where(
        Rating.created_at >= since, Rating.created_at < until
    )
    if filters.channel:
        stmt = stmt.where(Rating.channel == filters.channel)
    distribution = {str(score): 0 for score in range(1, 6)}
    scores: list[int] = []
    for score, channel, sender in _stream(session, stmt):
        unit = _unit_of(sender, sender_unit)
        if filters.unit and unit != filters.unit:
            continue
        scores.append(score)
        distribution[str(score)] = distribution.get(str(score), 0) + 1
        by_channel[channel].ratings.append(score)
        by_unit[unit].ratings.append(score)
    totals.ratings = len(scores)
    totals.rating_average = _average(scores)
    return distribution


def _count_feedback(session: Session, filters: Filters, sender_unit: dict[str, str]) -> int:
    since, until = filters.utc_bounds
    stmt = select(Feedback.sender_hash).where(Feedback.created_at >= since, Feedback.created_at < until)
    if filters.channel:
        stmt = stmt.where(Feedback.channel == filters.channel)
    return sum(
        1 for (sender,) in _stream(session, stmt) if not filters.unit or _unit_of(sender, sender_unit) == filters.unit
    )


def _count_callbacks(
    session: Session,
    filters: Filters,
    totals: Totals,
    by_channel: dict[str, _Group],
    by_unit: dict[str, _Group],
    sender_unit: dict[str, str],
) -> None:
    """Call-backs requested in the range, and how many of them an officer has marked done."""
    since, until = filters.utc_bounds
    stmt = select(
        CallbackRequest.status, CallbackRequest.channel, CallbackRequest.sender_id, CallbackRequest.unit_code
    ).where(CallbackRequest.created_at >= since, CallbackRequest.created_at < until)
    if filters.channel:
        stmt = stmt.where(CallbackRequest.channel == filters.channel)
    for status, channel, sender_id, unit_code in _stream(session, stmt):
        unit = unit_code or _unit_of(sender_hash(sender_id), sender_unit)
        if filters.unit and unit != filters.unit:
            continue
        totals.callbacks += 1
        totals.callbacks_done += status == "done"
        by_channel[channel].callbacks += 1
        by_unit[unit].callbacks += 1
