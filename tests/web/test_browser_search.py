"""The search page in a real browser: type a clinician's words, read the highlighted fix."""

from __future__ import annotations

import pytest

from tests.web.browser import browser_page, serve

pytestmark = pytest.mark.slow


def test_clinician_searches_and_opens_the_article_in_chromium(app) -> None:  # type: ignore[no-untyped-def]
    with serve(app) as base, browser_page() as page:
        page.goto(f"{base}/")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        page.fill("input[name=q]", "放射科电脑上看不了片子")
        page.keyboard.press("Enter")
        page.wait_for_selector("li.result")
        first = page.locator("li.result").first
        assert first.locator("mark").count() >= 1
        title = first.locator("a.title").inner_text()
        first.locator("a.title").click()
        page.wait_for_selector("article.article h1")
        assert page.locator("article.article h1").inner_text() == title
        page.click("a.lang-switch")
        page.wait_for_load_state()
        assert "WeiBao" in page.locator("a.brand").inner_text()
