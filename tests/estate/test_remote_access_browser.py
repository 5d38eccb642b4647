"""Hospital IT approves a remote-access request on its page, in headless Chromium."""

from __future__ import annotations

import pytest

from tests.estate.conftest import EstateEnv
from tests.web.browser import browser_page, click_nav, serve
from tests.web.security.conftest import HOSPITAL_A, PASSWORD, add_password_user
from weibao.estate.access import AccessAsk
from weibao.estate.common import Actor

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_hospital_it_approves_a_request_then_sees_it_active(estate_env: EstateEnv) -> None:
    e = estate_env
    add_password_user(e.env, "it_page", role="hospital_it", hospital_id=HOSPITAL_A)
    engineer = Actor("engineer", "engineer", None, e.env.user_ids["engineer"])
    ask = AccessAsk(hospital_id=HOSPITAL_A, system="lis", purpose="检验结果回传排查", minutes=45)
    first = e.estate.access.request(engineer, ask)
    second = e.estate.access.request(engineer, ask)
    with serve(e.env.app) as base, browser_page() as page:
        page.goto(f"{base}/login")  # type: ignore[attr-defined]
        page.fill("input[name=username]", "it_page")  # type: ignore[attr-defined]
        page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
        with page.expect_navigation():  # type: ignore[attr-defined]
            page.keyboard.press("Enter")  # type: ignore[attr-defined]
        page.goto(f"{base}/")  # type: ignore[attr-defined]
        click_nav(page, "/remote-access")
        assert page.locator("h1").inner_text() == "远程访问授权"  # type: ignore[attr-defined]
        pending = page.locator(f"#pending #access-{first.id}")  # type: ignore[attr-defined]
        assert "检验信息系统" in pending.inner_text() and "待审批" in pending.inner_text()
        with page.expect_navigation():  # type: ignore[attr-defined]
            pending.locator("button[value=approve]").click()
        assert page.locator("p.notice").inner_text() == "已处理。"  # type: ignore[attr-defined]
        active = page.locator(f"#active #access-{first.id}")  # type: ignore[attr-defined]
        assert active.get_attribute("data-status") == "approved"
        assert "已批准" in active.inner_text() and "2026年12月2日 10:45" in active.inner_text()
        assert page.locator(f"#pending #access-{first.id}").count() == 0  # type: ignore[attr-defined]

        denied = page.locator(f"#pending #access-{second.id}")  # type: ignore[attr-defined]
        denied.locator("input[name=reason]").fill("今日门诊高峰，明天再来")
        with page.expect_navigation():  # type: ignore[attr-defined]
            denied.locator("button[value=deny]").click()
        assert page.locator(f"#history #access-{second.id}").get_attribute("data-status") == "denied"  # type: ignore[attr-defined]
    check = e.env.client("hospital_it").get("/api/remote-access/check",
                                            params={"engineer": "eng-duty", "system": "lis"})
    assert check.json()["allowed"] is True
