"""The analytics report as CSV, for spreadsheets.

One long table (section, key, label, metric, value) rather than one file per table: it opens as a
single sheet, filters and pivots in Excel, and keeps its shape when sections grow. UTF-8 with a
byte-order mark, because Excel otherwise reads Vietnamese as Windows-1252. Numbers are plain
(dot decimal, rates as fractions) so they stay machine-readable.

Every cell is made safe for spreadsheets before it is written (OWASP "CSV injection"): a cell
that a spreadsheet would read as a formula (starting, after any spaces, with = + - @ or a tab or
carriage return) gets a leading apostrophe, so it is shown as text and never computed. Labels
come from the store, but some of them (unit names, procedure names) were typed by people.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict

from servicedesk.analytics.service import AnalyticsReport, GroupStats

BOM = "\ufeff"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER = ("Mục", "Khóa", "Tên", "Chỉ số", "Giá trị")

TOTAL_LABELS = {
    "conversations": "Số cuộc trò chuyện",
    "messages": "Số tin nhắn của người dân",
    "agent_messages": "Tin nhắn do cán bộ xử lý",
    "fallbacks": "Tin nhắn trợ lý chưa hiểu",
    "fallback_rate": "Tỷ lệ chưa hiểu",
    "handoffs": "Yêu cầu gặp cán bộ",
    "handoffs_taken": "Yêu cầu đã được tiếp nhận",
    "handoffs_waiting": "Yêu cầu đang chờ",
    "handoff_rate": "Tỷ lệ chuyển cán bộ",
    "wait_median_seconds": "Thời gian chờ trung vị (giây)",
    "wait_p90_seconds": "Thời gian chờ P90 (giây)",
    "ratings": "Số lượt đánh giá",
    "rating_average": "Điểm hài lòng trung bình",
    "feedback": "Phản ánh, kiến nghị",
    "callbacks": "Yêu cầu gọi lại",
    "callbacks_done": "Yêu cầu gọi lại đã gọi xong",
}
DAY_LABELS = {
    "conversations": "Số cuộc trò chuyện",
    "messages": "Số tin nhắn",
    "fallbacks": "Tin nhắn chưa hiểu",
    "handoffs": "Yêu cầu gặp cán bộ",
}
RANKED_LABELS = {"messages": "Số tin nhắn", "conversations": "Số cuộc trò chuyện"}
GROUP_LABELS = {
    "conversations": "Số cuộc trò chuyện",
    "messages": "Số tin nhắn",
    "fallbacks": "Tin nhắn chưa hiểu",
    "fallback_rate": "Tỷ lệ chưa hiểu",
    "handoffs": "Yêu cầu gặp cán bộ",
    "handoff_rate": "Tỷ lệ chuyển cán bộ",
    "ratings": "Số lượt đánh giá",
    "rating_average": "Điểm hài lòng trung bình",
    "callbacks": "Yêu cầu gọi lại",
}


def _value(value: object) -> str:
    return "" if value is None else str(value)


def spreadsheet_safe(cell: str) -> str:
    """The cell as text a spreadsheet shows and never evaluates."""
    return "'" + cell if cell.lstrip(" ").startswith(FORMULA_TRIGGERS) else cell


def rows(report: AnalyticsReport) -> Iterator[tuple[str, str, str, str, str]]:
    period = f"{report.start} – {report.end}"
    yield ("Phạm vi", "from", "Từ ngày", "", report.start)
    yield ("Phạm vi", "to", "Đến ngày", "", report.end)
    yield ("Phạm vi", "channel", "Kênh", "", report.channel or "Tất cả")
    yield ("Phạm vi", "unit", "Đơn vị", "", report.unit_label or report.unit or "Tất cả")
    for key, value in asdict(report.totals).items():
        yield ("Tổng quan", key, period, TOTAL_LABELS[key], _value(value))
    for day in report.days:
        for key, label in DAY_LABELS.items():
            yield ("Theo ngày", day.date, day.date, label, _value(getattr(day, key)))
    for section, ranked in (("Thủ tục được hỏi nhiều", report.top_procedures), ("Ý định", report.top_intents)):
        for item in ranked:
            for key, label in RANKED_LABELS.items():
                yield (section, item.key, item.label, label, _value(getattr(item, key)))
    for score, count in report.rating_distribution.items():
        yield ("Mức hài lòng", score, f"{score} sao", "Số lượt đánh giá", str(count))
    for section, groups in (("Theo kênh", report.channels), ("Theo đơn vị", report.units)):
        yield from _group_rows(section, groups)


def _group_rows(section: str, groups: list[GroupStats]) -> Iterator[tuple[str, str, str, str, str]]:
    for group in groups:
        for key, label in GROUP_LABELS.items():
            yield (section, group.key, group.label, label, _value(getattr(group, key)))


def to_csv(report: AnalyticsReport) -> str:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180, as Excel writes it
    writer.writerow(HEADER)
    writer.writerows(tuple(spreadsheet_safe(cell) for cell in row) for row in rows(report))
    return buffer.getvalue()


def filename(report: AnalyticsReport) -> str:
    return f"thong-ke-tro-ly-{report.start}-{report.end}.csv"
