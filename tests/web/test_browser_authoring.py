"""Authoring in headless Chromium: an engineer writes an article with an image and a short
video and submits it; a reviewer requests a change; the author fixes it; an engineer
without the review right finds the review page read-only; the reviewer publishes it; an
anonymous search finds it within a second; an internal article never appears for a
clinician."""

from __future__ import annotations

import io
import time
import uuid

import pytest

from tests.kb.media_samples import mp4
from tests.web.browser import browser_page, click_nav, serve
from weibao.core import accounts
from weibao.core.db import session_scope
from weibao.kb.authoring import ArticleInput, Authoring
from weibao.routing.models import Engineer

pytestmark = pytest.mark.slow
PASSWORD = "browser-pass-2026"


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 9), (30, 140, 90)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def _user(services, username: str, role: str, hospital: str | None) -> None:  # type: ignore[no-untyped-def]
    with session_scope(services.database.sessions) as session:
        if accounts.get_user_by_username(session=session, username=username) is None:
            accounts.create_user(session=session, username=username, role=role,
                                 hospital_id=hospital, password=PASSWORD)


def _review_right(services, username: str) -> None:  # type: ignore[no-untyped-def]
    """Links the account to an engineer profile that holds the review right (inactive, so
    that no ticket of another test is assigned to it)."""
    with session_scope(services.database.sessions) as session:
        user = accounts.get_user_by_username(session=session, username=username)
        if session.get(Engineer, "eng-author-browser") is None:
            session.add(Engineer(id="eng-author-browser", name="写作工程师", tier="L2", systems={"his": 1},
                                 active=False, can_review=True, user_id=user.id))  # type: ignore[union-attr]


def _sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _notice(page, text: str) -> None:  # type: ignore[no-untyped-def]
    # A locator wait: the pages' CSP forbids the eval behind wait_for_function(string).
    page.locator("#authoring-notice", has_text=text).wait_for(timeout=15_000)


def test_write_review_fix_publish_and_find(app, seeded_services) -> None:  # type: ignore[no-untyped-def]
    _user(seeded_services, "author_browser", "engineer", None)
    _review_right(seeded_services, "author_browser")
    _user(seeded_services, "plain_engineer_browser", "engineer", None)
    _user(seeded_services, "reviewer_browser", "manager", None)
    _user(seeded_services, "nurse_browser", "clinician", "h-hzsy")
    word = f"青鸾{uuid.uuid4().hex[:6]}签名"
    internal_word = f"玄武{uuid.uuid4().hex[:6]}密钥"
    authoring = Authoring(app.state.kb, app.state.database.sessions)
    internal = authoring.create(ArticleInput(
        title=f"{internal_word}的内部排查", systems=["his"], symptoms=["crash_error"],
        audience="engineer", language="zh", body=f"## 处理\n重置{internal_word}。",
    ), author="someone")
    authoring.submit(internal.id, actor="someone")
    authoring.review(internal.id, decision="approve", comment="", reviewer="another")

    with serve(app) as base, browser_page() as page:
        # The engineer writes and submits, watching the preview.
        _sign_in(page, base, "author_browser")
        click_nav(page, "/articles/new")
        page.fill("#f-title", f"挂号收费时提示{word}无效")
        page.select_option("#f-systems", ["his", "insurance"])
        page.select_option("#f-symptoms", ["settlement_failure"])
        page.select_option("#f-audience", "it_staff")
        page.fill("#f-body", f"## 现象\n收费窗口提示{word}无效。\n\n<script>alert(1)</script>\n\n## 处理步骤\n1. 重新签到医保。")
        page.wait_for_selector("#preview h2")
        assert page.locator("#preview h2").first.inner_text() == "现象"
        assert page.locator("#preview script").count() == 0
        page.click("#save")
        page.wait_for_selector("#authoring-notice:not([hidden])")
        assert "第 1 版" in page.inner_text("#authoring-notice")
        article_id = page.url.split("/articles/")[1].split("/")[0]
        # An image: uploaded at once, checked by content, its Markdown put into the body.
        page.goto(f"{base}/articles/{article_id}/edit")
        page.set_input_files("#f-image", files=[{"name": "截图.png", "mimeType": "image/png", "buffer": PNG}])
        _notice(page, "图片已上传")
        image_md = next(line for line in page.input_value("#f-body").splitlines() if line.startswith("!["))
        page.wait_for_selector("#preview img")
        # A short video, the same way: checked by its bytes, a <video controls> put into the body.
        page.set_input_files("#f-video", files=[{"name": "录屏.mp4", "mimeType": "video/mp4", "buffer": mp4()}])
        _notice(page, "视频已上传")
        video_md = next(line for line in page.input_value("#f-body").splitlines() if line.startswith("<video"))
        page.wait_for_selector("#preview video[controls]")
        page.click("#save")
        _notice(page, "第 2 版")
        page.click("#submit-review")
        _notice(page, "已提交审核")

        # The reviewer finds it in the queue and asks for a change.
        _sign_in(page, base, "reviewer_browser")
        page.goto(f"{base}/review")
        page.click(f"tr[data-article='{article_id}'] a")
        page.fill("#review-comment", "请补充原因一节")
        page.click("#request-changes")
        _notice(page, "已退回")

        # The author sees the comment, fixes the article and submits it again.
        _sign_in(page, base, "author_browser")
        page.goto(f"{base}/articles/{article_id}/edit")
        assert "请补充原因一节" in page.inner_text("ul.events")
        page.fill("#f-body", f"## 现象\n收费窗口提示{word}无效。\n\n{image_md}\n\n{video_md}\n\n## 原因\n医保签到过期。\n\n## 处理步骤\n1. 重新签到医保。")
        page.click("#save")
        _notice(page, "第 3 版")
        page.click("#submit-review")
        _notice(page, "已提交审核")
        # An author cannot approve their own article: the page says so.
        page.goto(f"{base}/review/{article_id}")
        page.click("#approve")
        page.wait_for_selector("#authoring-error:not([hidden])")
        assert "不能审核自己" in page.inner_text("#authoring-error")

        # An engineer without the review right sees the article read-only.
        _sign_in(page, base, "plain_engineer_browser")
        page.goto(f"{base}/review/{article_id}")
        assert "没有审核权限" in page.inner_text(".read-only")
        assert page.locator("#approve").count() == 0

        # The reviewer publishes it.
        _sign_in(page, base, "reviewer_browser")
        page.goto(f"{base}/review/{article_id}")
        assert "原因" in page.inner_text(".article.body")
        page.click("#approve")
        published_at = time.monotonic()
        _notice(page, "已发布")

        # Anonymous search finds it within a second.
        # (What counts is when the finding search was sent: on a busy machine a page
        # load alone may take longer than a second.)
        page.context.clear_cookies()
        sent_at = None
        while sent_at is None and time.monotonic() - published_at < 10.0:
            started = time.monotonic()
            page.goto(f"{base}/?q={word}")
            if page.locator(f"a[href^='/articles/{article_id}']").count() > 0:
                sent_at = started - published_at
        assert sent_at is not None, "anonymous search never found the published article"
        assert sent_at < 1.0, f"the first search to find it was sent {sent_at:.2f} s after publishing"
        page.click(f"a[href^='/articles/{article_id}']")
        assert page.locator("article.article h2").all_inner_texts()[:2] == ["现象", "原因"]
        image_url = image_md.split("(", 1)[1].rstrip(")")
        assert page.locator(f"article.article img[src='{image_url}']").count() == 1
        image = page.request.get(f"{base}{image_url}")
        assert image.status == 200 and image.headers["content-type"] == "image/png"
        video_url = page.get_attribute("article.article video[controls]", "src")
        assert video_url is not None and video_url.startswith("/api/article-videos/")
        video = page.request.get(f"{base}{video_url}")
        assert video.status == 200 and video.headers["content-type"] == "video/mp4"
        assert video.headers["content-disposition"].startswith("inline")

        # A clinician never sees the internal article, by search or by link.
        _sign_in(page, base, "nurse_browser")
        page.goto(f"{base}/?q={internal_word}")
        assert page.locator(f"a[href^='/articles/{internal.id}']").count() == 0
        response = page.goto(f"{base}/articles/{internal.id}")
        assert response is not None and response.status == 404
        # ...and votes on the published one.
        page.goto(f"{base}/articles/{article_id}")
        page.fill("#feedback-comment", "很清楚")
        page.click("button.vote[data-helpful='true']")
        page.wait_for_selector("#feedback-thanks:not([hidden])")
    assert authoring.feedback(article_id)[0] == 1
    authoring.archive(article_id, actor="cleanup")
    authoring.archive(internal.id, actor="cleanup")
