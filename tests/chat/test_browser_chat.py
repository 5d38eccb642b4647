"""The chat widget in headless Chromium: sign in, ask, answer the follow-up, get a ticket link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.chat.conftest import PASSWORD, Web
from tests.web.browser import browser_page, serve

pytestmark = pytest.mark.slow


def test_keyboard_conversation_with_the_widget_in_chromium(web: Web) -> None:
    with serve(web.app) as base, browser_page() as page:
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "nurse")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        if urlparse(page.url).path != "/":
            page.goto(f"{base}/")
        toggle = page.locator(".chat-toggle")
        assert toggle.inner_text() == "智能助手"
        toggle.focus()
        page.keyboard.press("Enter")  # a focusable button opens the panel
        assert page.locator("#chat-input").evaluate("el => el === document.activeElement")
        assert page.locator(".chat-log").get_attribute("aria-live") == "polite"

        page.keyboard.type("打印不出来")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=是哪个系统打印？腕带、检验报告还是发票？")
        page.keyboard.type("腕带")
        page.keyboard.press("Enter")
        page.wait_for_selector("a.chat-citation")
        first = page.locator("a.chat-citation").first
        assert first.get_attribute("href").startswith(("/articles/", "/cases/"))
        assert first.inner_text().startswith("[1] ")

        page.keyboard.type("还是不行")
        page.keyboard.press("Enter")
        ticket = page.locator("a.chat-open-ticket")
        ticket.wait_for()
        assert ticket.inner_text() == "提交工单（已预填）"
        query = parse_qs(urlparse(ticket.get_attribute("href")).query)
        assert urlparse(ticket.get_attribute("href")).path == "/tickets/new"
        assert query["system"] == ["nursing"] and query["symptom"] == ["print_failure"]
        assert query["hospital_id"] == ["h-bjhd"] and "打印不出来" in query["description"][0]

        page.keyboard.press("Escape")
        assert page.locator("#chat-panel").is_hidden()
        assert toggle.evaluate("el => el === document.activeElement")
        assert toggle.get_attribute("aria-expanded") == "false"
