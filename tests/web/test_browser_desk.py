"""The engineer's and the manager's day in headless Chromium: an engineer signs in, finds
the ticket in the queue with its countdown, replies, corrects the symptom and resolves it
with root cause and fix; an action from a stale page and a page the role may not open are
refused in Chinese on the page; the manager sees the board of open tickets per hospital.

Screenshots of every step go to $WEIBAO_TEST_ARTIFACTS (default: the system temp
folder)/weibao-artifacts/desk.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

from tests.web.browser import browser_page, serve
from tests.web.security.conftest import ENGINEER, HOSPITAL_A, PASSWORD, add_password_user, build_env
from weibao.core import migrate
from weibao.core.db import Database, session_scope
from weibao.routing.models import Engineer
from weibao.routing.planning import TicketDraft

pytestmark = pytest.mark.slow

ARTIFACTS = Path(os.environ.get("WEIBAO_TEST_ARTIFACTS", tempfile.gettempdir())) / "weibao-artifacts" / "desk"


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _submit(page, form: str) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def test_an_engineer_works_a_ticket_and_a_manager_watches(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    migrate.upgrade(Database(url).engine)
    env = build_env(tmp_path, url)
    engineer_user = add_password_user(env, "eng_web", "engineer")
    add_password_user(env, "lead_web", "manager")
    add_password_user(env, "nurse_web", "clinician", hospital_id=HOSPITAL_A)
    with session_scope(env.database.sessions) as session:
        # The on-duty profile moves from the token-only account to the one who signs in.
        session.get(Engineer, ENGINEER).user_id = engineer_user  # type: ignore[union-attr]
    ticket, _ = env.desk.create(TicketDraft(hospital_id=HOSPITAL_A, title="护士站腕带打印机打不出来",
                                            description="从早上开始，重启也不行", reporter_name="nurse_web",
                                            reporter_role="clinician"), "nurse_web")
    code = ticket.code
    stale, _ = env.desk.create(TicketDraft(hospital_id=HOSPITAL_A, title="药房叫号屏不显示"), "nurse_web")
    env.desk.create(TicketDraft(hospital_id=HOSPITAL_A, title="急诊挂号很慢", priority="P2", priority_reason="急诊"),
                    "nurse_web")

    with serve(env.app) as base, browser_page() as page:
        # 1. The engineer lands on the queue: the ticket, its hospital by name, a countdown in words.
        _sign_in(page, base, "eng_web")
        assert page.url.endswith("/home")
        assert page.locator("h1").first.inner_text() == "我的待办工单"
        row = page.locator(f"table.tickets tr:has(a[href='/tickets/{code}'])")
        assert row.count() == 1 and "甲医院" in row.inner_text()
        assert re.search(r"\d+ (小时|分钟|天).*后超时", row.locator(".sla-phrase").inner_text())
        nav = page.locator("header nav").text_content()  # links inside closed menus too
        assert "我的待办" in nav and "工单列表" in nav and "工程师管理" not in nav
        _shot(page, "01-engineer-queue")

        # 2. Open the ticket: names and local times, the assignment's reasons per factor.
        with page.expect_navigation():
            row.locator(f"a[href='/tickets/{code}']").click()
        body = page.locator("article.ticket").inner_text()
        assert "甲医院" in body and HOSPITAL_A not in body and not re.search(r"\d{4}-\d{2}-\d{2}T", body)
        page.click("details.assign-why summary")
        assert page.locator("table.factors tr:not(.availability)").count() == 7
        assert "正常班次内" in page.locator("table.factors tr.availability").inner_text()
        _shot(page, "02-ticket-with-reasons")

        # 3. Reply to the reporter.
        page.fill("form.comment textarea[name=body]", "请先检查打印机碳带是否用完。")
        _submit(page, "form.comment")
        assert page.locator("#desk-outcome").inner_text() == "留言已发送。"
        assert "请先检查打印机碳带是否用完。" in page.locator("section.conversation").inner_text()
        _shot(page, "03-replied")

        # 4. Correct the symptom the triage got wrong.
        page.click("details.correct summary")
        page.select_option("details.correct select[name=symptom]", "print_failure")
        page.fill("details.correct input[name=reason]", "实为打印异常")
        _submit(page, "details.correct form")
        assert page.locator("#desk-outcome").inner_text() == "分诊信息已更正。"
        assert "打印异常" in page.locator("div.tags").inner_text()
        assert "更正了分诊信息" in page.locator("ol.events").inner_text()
        _shot(page, "04-symptom-corrected")

        # 5. Resolve with root cause and fix steps.
        page.click("details.resolve summary")
        page.fill("details.resolve textarea[name=root_cause]", "碳带用完")
        page.fill("details.resolve textarea[name=fix_steps]", "更换碳带\n打印测试页确认")
        _submit(page, "details.resolve form")
        assert "工单已解决" in page.locator("#desk-outcome").inner_text()
        assert "碳带用完" in page.locator("section.resolution").inner_text()
        assert page.locator("article.ticket p.meta strong").first.inner_text() == "已解决"
        _shot(page, "05-resolved")

        # 6. An action from a page that is out of date: refused in Chinese, on the same page.
        page.goto(f"{base}/tickets/{stale.code}")
        env.desk.resolve(stale.code, "admin", "屏幕电源松动", ["插紧电源"])  # someone else, meanwhile
        page.fill("form[action$='/pause'] input[name=reason]", "等待药房确认")
        _submit(page, "form[action$='/pause']")
        refusal = page.locator("#desk-refusal").inner_text()
        assert "工单当前为「已解决」" in refusal and "cannot" not in refusal
        assert page.url.endswith(f"/tickets/{stale.code}/pause")
        assert page.locator("article.ticket h1").inner_text() == "药房叫号屏不显示"
        _shot(page, "06-stale-action-refused")

        # 7. The manager: the board across hospitals, steering but no resolving, no admin pages.
        _sign_in(page, base, "lead_web")
        assert page.locator("h1").first.inner_text() == "各医院未结工单"
        board = page.locator("table.board")
        row = board.locator("tr:has-text('甲医院')")
        assert row.locator("td").nth(1).inner_text() == "1"  # one ticket still open there
        assert board.locator("tr:has-text('乙医院') td").nth(1).inner_text() == "0"
        assert page.locator("table.tickets tr:has-text('急诊挂号很慢')").count() == 1
        _shot(page, "07-manager-board")
        page.goto(f"{base}/admin/engineers")
        assert page.locator("p.error").inner_text().startswith("您的角色无权执行此操作")
        _shot(page, "08-forbidden-page")
