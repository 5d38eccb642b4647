"""The reporter's day in headless Chromium: a clinician files a ticket with a screenshot in
one step (an oversize file is stopped in the form first), finds it under 我的工单, reads the engineer's reply, reopens, confirms and rates; a file
that is not a screenshot is refused with a message on the same page; the API docs render
with no network. Screenshots of every step go to $WEIBAO_TEST_ARTIFACTS (default: the
system temp folder)/weibao-artifacts/followup."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

from tests.notify.receivers import smtp_server
from tests.web.browser import browser_page, click_nav, serve
from tests.web.followup_route_examples import png_bytes
from tests.web.security.conftest import ENGINEER, HOSPITAL_A, PASSWORD, add_password_user, build_env
from weibao.core.db import session_scope
from weibao.notify import service
from weibao.routing.models import Engineer
from weibao.web.notify_monitor import delivery_policy

pytestmark = pytest.mark.slow

ARTIFACTS = Path(os.environ.get("WEIBAO_TEST_ARTIFACTS", tempfile.gettempdir())) / "weibao-artifacts" / "followup"
# Words allowed in the Chinese UI: file types and units the people know by these names.
ALLOWED_LATIN = {"PNG", "JPEG", "GIF", "WebP", "MB", "KB"}


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


def _no_english(text: str, *names: str) -> list[str]:
    """Latin words in a Chinese page, besides `names` (codes, file names, usernames)."""
    for name in names:
        text = text.replace(name, "")
    words = re.findall(r"[A-Za-z][A-Za-z-]{2,}", text)
    return [w for w in words if w not in ALLOWED_LATIN]


def test_a_clinician_follows_a_ticket_from_filing_to_rating(database_url: str, tmp_path: Path) -> None:
    if "postgresql" in database_url:
        pytest.skip("one database is enough for the browser walk")
    with smtp_server() as (smtp_port, mailbox):
        env = build_env(tmp_path, database_url, notify_seconds=0, smtp_host="127.0.0.1", smtp_port=smtp_port)
        add_password_user(env, "nurse_web", "clinician", hospital_id=HOSPITAL_A)
        engineer_id = add_password_user(env, "eng_web", "engineer")
        with session_scope(env.database.sessions) as session:
            session.get(Engineer, ENGINEER).user_id = engineer_id  # type: ignore[union-attr]
            service.add_channel(session, owner_kind="hospital", owner_id=HOSPITAL_A, kind="email",
                                target="it@hospital-a.example")
        screenshot = tmp_path / "his-screen.png"
        screenshot.write_bytes(png_bytes((320, 200)))
        program = tmp_path / "fix-tool.exe"
        program.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")

        with serve(env.app) as base, browser_page() as page:
            # Nothing may load from another origin (ReDoc's footer logo asks for one: the
            # docs' Content-Security-Policy blocks it before it leaves the browser).
            elsewhere: list[str] = []
            page.on("requestfinished", lambda r: None if r.url.startswith((base, "data:", "blob:"))
                    else elsewhere.append(r.url))
            # 1. The clinician files the ticket with the screenshot in one step. A file over
            #    the limit is stopped in the form first, keeping what was typed.
            big = tmp_path / "huge.log"
            big.write_bytes(b"x" * (env.app.state.settings.attachment_max_bytes + 1))
            _sign_in(page, base, "nurse_web")
            page.goto(f"{base}/tickets/new")
            page.fill("#ticket-title", "门诊医生站开不了检验单")
            page.fill("#ticket-description", "点击开单后一直转圈，截图见附件")
            assert page.locator("label:has(#ticket-file)").inner_text().strip() == "截图或日志文件（可选）"
            page.set_input_files("#ticket-file", str(big))
            page.click("#ticket-form button[type=submit]")
            assert page.locator("#ticket-file-too-large").inner_text().startswith("文件超过 5 MB")
            assert page.url.endswith("/tickets/new") and page.input_value("#ticket-title") == "门诊医生站开不了检验单"
            _shot(page, "00-form-file-too-large")
            page.set_input_files("#ticket-file", str(screenshot))
            with page.expect_navigation():
                page.click("#ticket-form button[type=submit]")
            code = page.url.split("?")[0].rsplit("/", 1)[-1]
            assert re.fullmatch(r"T-\d{4}-\d{5}", code)
            assert page.locator("#followup-outcome").inner_text() == "工单已提交，附件已一并上传。"
            assert page.locator("ul.attachments li").count() == 1
            assert "截图" in page.locator("ul.attachments li").inner_text()
            assert screenshot.name in page.locator("ul.attachments li").inner_text()
            _shot(page, "01-filed")
            page.locator("#followup").scroll_into_view_if_needed()
            _shot(page, "02-screenshot-attached")
            with page.expect_download() as download:
                page.click("ul.attachments a")
            assert Path(download.value.path()).read_bytes() == png_bytes((320, 200))

            # 2. A program is refused, in Chinese, on the same page.
            page.set_input_files("#attach-form input[type=file]", str(program))
            with page.expect_navigation():
                page.click("#attach-form button[type=submit]")
            assert page.url.split("?")[0].endswith(f"/tickets/{code}")
            assert page.locator("#followup-outcome.error").inner_text().startswith("只能上传截图")
            assert page.locator("ul.attachments li").count() == 1
            _shot(page, "03-program-refused")
            # A file over the limit is stopped in the page, before it is sent.
            page.set_input_files("#attach-form input[type=file]", str(big))
            page.click("#attach-form button[type=submit]")
            assert page.locator("#attach-too-large").inner_text() == "文件太大，请压缩或截取部分后再上传。"
            assert page.locator("ul.attachments li").count() == 1

            # 3. 我的工单 lists it (the /tickets page of the desk).
            page.goto(f"{base}/tickets")
            if page.locator(f"a[href='/tickets/{code}']").count():
                _shot(page, "04-my-tickets")
            else:  # the list belongs to the workbench work; without it, the ticket page shows it
                pytest.fail("我的工单 (/tickets) does not list the clinician's ticket")

            # 4. The engineer replies and resolves on the same ticket page.
            _sign_in(page, base, "eng_web")
            page.goto(f"{base}/tickets/{code}")
            assert page.locator("ul.attachments a").count() == 1  # the engineer sees the screenshot
            page.fill("form[action$='/comments'] textarea[name=body]", "请在医生站点击“清除缓存”后重新登录再试")
            with page.expect_navigation():
                page.click("form[action$='/comments'] button[type=submit]")
            assert page.locator("#reply-form").count() == 0  # the reporter's forms are the hospital's
            _shot(page, "05-engineer-replied")

            # 5. The clinician reads the reply and answers it.
            _sign_in(page, base, "nurse_web")
            page.goto(f"{base}/tickets/{code}")
            assert "清除缓存" in page.locator("body").inner_text()
            page.fill("#reply-form textarea[name=body]", "清除缓存后可以开单了")
            with page.expect_navigation():
                page.click("#reply-form button[type=submit]")
            assert page.locator("#followup-outcome").inner_text() == "回复已发送，工程师会收到通知。"
            _shot(page, "06-reporter-replied")

            # 6. Resolved; the clinician first reopens (it came back), then confirms and rates.
            env.desk.resolve(code, "eng_web", "浏览器缓存了旧版开单控件", ["清除医生站缓存", "重新登录"])
            page.goto(f"{base}/tickets/{code}")
            assert page.locator("#confirm-form").count() == 1
            _shot(page, "07-resolved-awaiting-confirmation")
            page.fill("#reopen-form input[name=reason]", "下午又出现了")
            with page.expect_navigation():
                page.click("#reopen-form button[type=submit]")
            assert page.locator("#followup-outcome").inner_text() == "工单已重新打开，工程师会继续处理。"
            assert page.locator("#confirm-form").count() == 0 and page.locator("#reply-form").count() == 1
            _shot(page, "08-reopened")
            env.desk.resolve(code, "eng_web", "开单控件版本过旧", ["升级开单控件到 5.2"])
            page.goto(f"{base}/tickets/{code}")
            with page.expect_navigation():
                page.click("#confirm-form button[type=submit]")
            assert page.locator("#followup-outcome").inner_text() == "感谢确认，工单已关闭。"
            assert env.desk.get(code).status == "closed"
            page.check("#rating-form input[name=score][value='5']")
            page.fill("#rating-form textarea[name=comment]", "处理很及时")
            with page.expect_navigation():
                page.click("#rating-form button[type=submit]")
            assert page.locator("#followup-outcome").inner_text() == "感谢您的评价。"
            assert "已评价：5 星" in page.locator("#followup").inner_text()
            section = page.locator("#followup").inner_text()
            assert _no_english(section, code, screenshot.name, "nurse_web") == [], section
            _shot(page, "09-confirmed-and-rated")

            # 7. An admin adds a WeCom robot for the hospital; a bad address is refused in words.
            add_password_user(env, "admin_web", "admin")
            _sign_in(page, base, "admin_web")
            click_nav(page, "/admin/notifications")
            page.select_option("#channel-form select[name=owner]", f"hospital:{HOSPITAL_A}")
            page.select_option("#channel-form select[name=kind]", "wecom")
            page.fill("#channel-form input[name=target]", "不是地址")
            with page.expect_navigation():
                page.click("#channel-form button[type=submit]")
            assert page.locator("p.error").inner_text().startswith("地址格式不正确")
            _shot(page, "12-channel-refused")
            page.fill("#channel-form input[name=target]",
                      "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=very-secret-key")
            page.check("#channel-form input[name=topics][value='resolution']")
            with page.expect_navigation():
                page.click("#channel-form button[type=submit]")
            assert page.locator("p.notice").inner_text() == "已添加。"
            table = page.locator("#channels").inner_text()
            assert "企业微信群机器人" in table and "very-secret-key" not in table and "解决" in table
            _shot(page, "13-channels")

            # 8. The API docs render from the vendored scripts.
            page.goto(f"{base}/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
            assert "WeiBao" in page.locator(".swagger-ui .info .title").inner_text()
            _shot(page, "14-swagger-ui")
            page.goto(f"{base}/redoc")
            page.wait_for_selector("h1", timeout=30_000)
            assert "WeiBao" in page.locator("h1").first.inner_text()
            _shot(page, "15-redoc")
            assert elsewhere == [], elsewhere

        # What was done through the pages is in the audit log: who, from where, no text.
        from sqlalchemy import select

        from weibao.core.audit import AuditEvent

        with session_scope(env.database.sessions) as session:
            rows = session.execute(select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.ip)
                                   .where(AuditEvent.target == f"ticket:{code}")).all()
        done = {(action, actor) for action, actor, _ in rows}
        assert {("ticket.created", "nurse_web"), ("ticket.attachment_added", "nurse_web"),
                ("ticket.attachment_downloaded", "nurse_web"), ("ticket.commented", "eng_web"),
                ("ticket.reopened", "nurse_web"), ("ticket.confirmed", "nurse_web"),
                ("ticket.rated", "nurse_web")} <= done
        assert {ip for _, _, ip in rows} == {"127.0.0.1"}

        # The hospital's mailbox heard of the assignment, the reply and both resolutions.
        from weibao.notify.outbox import deliver, dispatch

        policy = delivery_policy(env.app.state.settings)
        dispatch(env.database.sessions, policy.base_url)
        deliver(env.database.sessions, policy)
        subjects = [str(m["Subject"]) for m in mailbox.messages]
        assert any("工程师回复了您的工单" in s for s in subjects), subjects
        assert sum("工单已解决" in s for s in subjects) == 2, subjects
