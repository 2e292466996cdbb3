"""Each commune its own widget: a notice for one unit shows in the widget of that unit's page, and
not in another unit's; dossier news is shown when the widget opens, then acknowledged. Real stack
(tests/e2e); the notices are written into the stack's database as an editor would publish them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from core.audit.actor import Actor
from core.db import make_engine
from knowledge.notices import service
from tests.browser.conftest import DESKTOP, Browser, readme_image
from tests.browser.test_widget import Widget

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

BEN_THANH, HOAN_KIEM = "26743", "00070"
BEN_THANH_TITLE = "Phường Bến Thành nghỉ lễ Quốc khánh"
HOAN_KIEM_TITLE = "Phường Hoàn Kiếm đổi giờ tiếp nhận hồ sơ"


@pytest.fixture
def notices(stack: Any) -> Iterator[dict[str, int]]:
    """One notice for Phường Bến Thành, one for Phường Hoàn Kiếm, published now; withdrawn after
    the test so that the other widget tests see no banner."""
    engine = make_engine(f"sqlite:///{stack.config.data_dir / 'tthc.sqlite3'}")
    editor = Actor("bientap", "editor")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    made: dict[str, int] = {}
    # To the end of the day after tomorrow, Vietnam time (UTC+7): the next midnight there, in UTC.
    end_of_day = dt.datetime.combine((now + dt.timedelta(hours=7)).date() + dt.timedelta(days=3), dt.time()) - (
        dt.timedelta(hours=7)
    )
    try:
        with sessionmaker(bind=engine).begin() as session:
            made[BEN_THANH] = service.create_notice(
                session,
                title=BEN_THANH_TITLE,
                body="Bộ phận một cửa nghỉ từ 30/8 đến hết 2/9. Hồ sơ trực tuyến vẫn nộp được tại https://dichvucong.gov.vn.",
                severity="warning",
                starts_at=now - dt.timedelta(minutes=1),
                ends_at=end_of_day,
                unit_codes=[BEN_THANH],
                actor=editor,
            ).id
            made[HOAN_KIEM] = service.create_notice(
                session,
                title=HOAN_KIEM_TITLE,
                body="Từ tuần sau bộ phận một cửa nhận hồ sơ cả sáng thứ Bảy.",
                starts_at=now - dt.timedelta(minutes=1),
                ends_at=now + dt.timedelta(days=2),
                unit_codes=[HOAN_KIEM],
                actor=editor,
            ).id
        yield made
    finally:
        with sessionmaker(bind=engine).begin() as session:
            for notice_id in made.values():
                service.withdraw_notice(session, notice_id, actor=editor)
        engine.dispose()


def _banner(page: Any) -> Any:
    return page.locator("tthc-chat-widget .notices")


def test_a_units_notice_shows_in_its_widget_only(
    browser: Browser, foreign_site: str, notices: dict[str, int], artifacts: Path
) -> None:
    # Phường Bến Thành's page (the demo page: data-unit="Phường Bến Thành"). Dossier news in the
    # widget is tested against the real endpoints in test_dossier_news_widget.py.
    page = browser.page(DESKTOP)
    widget = Widget(page).open_page()
    widget.open()
    banner = _banner(page)
    banner.wait_for(state="visible")
    item = banner.locator(".notice-item")
    assert item.count() == 1
    assert BEN_THANH_TITLE in item.text_content()
    assert "warning" in (item.get_attribute("class") or "")
    assert re.search(r"Đến hết ngày \d\d/\d\d/\d{4}\.", item.text_content())  # Vietnam time
    link = item.locator("a", has_text="https://dichvucong.gov.vn")
    assert link.get_attribute("href") == "https://dichvucong.gov.vn/" and link.get_attribute("target") == "_blank"
    assert HOAN_KIEM_TITLE not in banner.text_content()

    page.screenshot(path=str(artifacts / "widget-notice.png"))
    readme_image(artifacts / "widget-notice.png")

    # Hidden on request, for this tab, until other notices come.
    page.get_by_role("button", name="Ẩn thông báo").click()
    assert banner.is_hidden()

    # Phường Hoàn Kiếm's page, on another site, names its unit by its code: its own notice only.
    other = browser.page(DESKTOP)
    other.goto(f"{foreign_site}?unit={HOAN_KIEM}")
    other_widget = Widget(other)
    other_widget.panel = other.get_by_role("dialog", name="Hỏi đáp thủ tục")
    other_widget.open()
    other_banner = _banner(other)
    other_banner.wait_for(state="visible")
    assert HOAN_KIEM_TITLE in other_banner.text_content()
    assert BEN_THANH_TITLE not in other_banner.text_content()
    assert "warning" not in (other_banner.locator(".notice-item").get_attribute("class") or "")
    # The code is shown by its unit's name.
    subtitle = other.locator("tthc-chat-widget .subtitle")
    subtitle.wait_for(state="visible")
    assert subtitle.text_content() == "Phường Hoàn Kiếm, Thành phố Hà Nội"


def test_a_page_of_no_known_unit_shows_no_unit_notice(
    browser: Browser, foreign_site: str, notices: dict[str, int]
) -> None:
    page = browser.page(DESKTOP)
    page.goto(foreign_site)  # data-unit="Xã Minh Họa": no such unit
    widget = Widget(page)
    widget.panel = page.get_by_role("dialog", name="Hỏi đáp thủ tục")
    widget.open()
    page.wait_for_load_state("networkidle")
    assert _banner(page).is_hidden()
