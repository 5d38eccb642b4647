"""The dashboard and the report page in headless Chromium: the charts draw (an ECharts canvas
with data), countdowns tick, and screenshots are saved under $WEIBAO_TEST_ARTIFACTS (default:
the system temp folder)/weibao-artifacts/service."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.web.browser import browser_page, serve
from weibao.core import accounts
from weibao.core.db import session_scope

pytestmark = pytest.mark.slow
PASSWORD = "browser-pass-2026"
ARTIFACTS = Path(os.environ.get("WEIBAO_TEST_ARTIFACTS", tempfile.gettempdir())) / "weibao-artifacts" / "service"


def _sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _painted(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    """True when the chart's canvas holds non-blank pixels (something was drawn)."""
    return bool(page.eval_on_selector(selector + " canvas", """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) return true; }
        return false; }"""))


def test_dashboard_and_report_pages_draw_their_charts(app, seeded_services) -> None:  # type: ignore[no-untyped-def]
    with session_scope(seeded_services.database.sessions) as session:
        if accounts.get_user_by_username(session=session, username="manager_browser") is None:
            accounts.create_user(session=session, username="manager_browser", role="manager", password=PASSWORD)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, browser_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _sign_in(page, base, "manager_browser")
        page.goto(f"{base}/dashboard")
        page.wait_for_selector("#chart-age[data-rendered=true] canvas")
        assert _painted(page, "#chart-age")
        assert page.locator("a[href='/reports']").count() >= 1  # reached from the navigation
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        page.goto(f"{base}/reports?hospital_id=h-hzsy&period=2026-03")
        for chart in ("#chart-volume", "#chart-compliance", "#chart-system"):
            page.wait_for_selector(f"{chart}[data-rendered=true] canvas")
            assert _painted(page, chart), chart
        assert page.locator("text=下载 PDF").count() == 1
        page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)
        assert not errors, errors
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 0
