"""Performing an inspection on a phone-sized screen in headless Chromium: readings suggest
a result, a photo is attached, the failed item becomes a ticket, the hospital signs off."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.inspections.route_examples import PNG
from tests.web.browser import browser_page, serve
from tests.web.security.conftest import HOSPITAL_A, PASSWORD, add_password_user, build_env
from weibao.web.api.inspections import services_for_app

pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}


def _sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_perform_an_inspection_on_a_phone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'phone.db'}"
    from weibao.core import migrate
    from weibao.core.db import Database

    migrate.upgrade(Database(url).engine)
    env = build_env(tmp_path, url)
    add_password_user(env, "eng_phone", "engineer")
    add_password_user(env, "it_phone", "hospital_it", hospital_id=HOSPITAL_A)
    service = services_for_app(env.app)[0]
    run = service.create_run(HOSPITAL_A, "pacs-routine", dt.date.today(), "test").run
    photo = tmp_path / "cabinet.png"
    photo.write_bytes(PNG)
    shot = tmp_path / "inspection-phone.png"
    with serve(env.app) as base, browser_page() as page:
        page.set_viewport_size(PHONE)
        _sign_in(page, base, "eng_phone")
        page.goto(f"{base}/inspections")
        with page.expect_navigation():
            page.click(f"a[href='/inspections/{run.id}/perform']")
        assert page.locator("h1").inner_text() == "PACS/RIS 影像系统巡检"
        # Nothing wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        storage = page.locator("#item-pacs-storage-usage")
        storage.locator("input[type=number]").fill("93.5")  # above the 85 % fail limit
        assert storage.locator(".suggest b").inner_text() == "异常"
        assert storage.locator("input[value=fail]").is_checked()
        storage.locator("textarea").fill("影像卷 /pacs01 已用 93.5%，近一周增长 3%")
        storage.locator("input[type=file]").set_input_files(str(photo))
        assert storage.locator(".picked").inner_text() == "cabinet.png"
        load = page.locator("#item-pacs-image-load")
        load.locator("input[type=number]").fill("2.1")
        assert load.locator("input[value=pass]").is_checked()
        worklist = page.locator("#item-pacs-modality-worklist")
        worklist.locator("select").select_option("yes")
        worklist.locator("label.choice.pass").click()
        page.locator("#item-pacs-nearline-migration label.choice.warn").click()
        page.screenshot(path=str(shot), full_page=True)
        with page.expect_navigation():
            page.click("button.submit")
        notice = page.locator("p.notice[role=status]")
        assert "已为异常项生成工单" in notice.inner_text()
        code = notice.locator("a").inner_text()
        assert page.locator("li.result-fail b").inner_text() == "在线影像存储使用率"
        thumb = page.locator("li.result-fail img.thumb")
        assert thumb.evaluate("img => img.complete && img.naturalWidth") == 1
        assert "复查" in page.locator("body").inner_text()
        page.screenshot(path=str(tmp_path / "inspection-review.png"), full_page=True)

        _sign_in(page, base, "it_phone")
        page.goto(f"{base}/inspections/{run.id}")
        with page.expect_navigation():
            page.click("form[action$='/sign-off'] button")
        assert "医院确认：it_phone" in page.locator("main").inner_text()
    assert shot.stat().st_size > 10_000
    ticket = env.desk.get(code)
    assert (ticket.system, ticket.symptom, ticket.priority) == ("pacs", "storage_alarm", "P2")
    assert ticket.channel == "inspection"
