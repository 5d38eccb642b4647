"""The /trainings page in headless Chromium: a manager plans a session and records it held;
the hospital's IT gives feedback; the handbook link answers a PDF."""

from __future__ import annotations

import pytest

from tests.web.browser import browser_page, click_nav, serve
from tests.web.security.conftest import HOSPITAL_A, PASSWORD, Env, add_password_user

pytestmark = pytest.mark.slow


def _sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_plan_hold_and_feedback_in_the_browser(env: Env) -> None:
    add_password_user(env, "lead_browser", "manager")
    add_password_user(env, "it_browser", "hospital_it", hospital_id=HOSPITAL_A)
    with serve(env.app) as base, browser_page() as page:
        _sign_in(page, base, "lead_browser")
        click_nav(page, "/trainings")
        page.select_option("select[name=hospital_id]", HOSPITAL_A)
        page.fill("input[name=year]", "2026")
        with page.expect_navigation():
            page.click("form.filters button")
        page.select_option("#training-plan select[name=audience]", "it_staff")
        page.fill("#training-plan input[name=topic]", "数据库备份恢复演练")
        page.fill("#training-plan input[name=planned_at]", "2026-11-10T14:00")
        with page.expect_navigation():
            page.click("#training-plan button")
        row = page.locator("tr[data-training]", has_text="数据库备份恢复演练")
        assert "已计划" in row.inner_text()
        row.locator("input[name=held_at]").fill("2026-11-10T14:10")
        row.locator("input[name=attendee_count]").fill("7")
        with page.expect_navigation():
            row.locator("form.training-held button").click()
        row = page.locator("tr[data-training]", has_text="数据库备份恢复演练")
        assert "已举办" in row.inner_text() and "7" in row.inner_text()
        assert page.locator("tr[data-audience='it_staff']").inner_text().split()[-3:-2] == ["1"]

        _sign_in(page, base, "it_browser")
        page.goto(f"{base}/trainings?year=2026")
        row = page.locator("tr[data-training]", has_text="数据库备份恢复演练")
        row.locator("select[name=score]").select_option("4")
        with page.expect_navigation():
            row.locator("form.training-feedback button").click()
        assert "4.0（1）" in page.locator("tr[data-training]", has_text="数据库备份恢复演练").inner_text()
        href = page.get_attribute("a[data-handbook='it_staff']", "href")
        pdf = page.request.get(f"{base}{href}")
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
