"""Server-rendered pages: Chinese by default, English on request, no script injection."""

from __future__ import annotations

from fastapi.testclient import TestClient

from weibao.web.markdown import render_markdown


def test_search_page_is_chinese_by_default(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text and "维保知识库" in page.text


def test_english_switch_sets_a_cookie_that_sticks(client: TestClient) -> None:
    page = client.get("/", params={"lang": "en"})
    assert "WeiBao knowledge base" in page.text and page.cookies.get("lang") == "en"
    again = client.get("/")
    assert "WeiBao knowledge base" in again.text
    client.get("/", params={"lang": "zh"})


def test_search_page_shows_results_with_marked_snippets(client: TestClient) -> None:
    page = client.get("/", params={"q": "打印机脱机"})
    assert page.status_code == 200
    assert 'class="result"' in page.text and "<mark>" in page.text


def test_search_page_bad_filter_is_422_with_a_message(client: TestClient) -> None:
    page = client.get("/", params={"q": "x", "system": "mri"})
    assert page.status_code == 422 and "system" in page.text


def test_article_page_renders_markdown(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    # infrastructure-001 is written for engineers: internal, not for anonymous readers.
    page = as_user("engineer").get("/articles/infrastructure-001")
    assert page.status_code == 200 and "<h2>" in page.text and "<code>" in page.text
    assert client.get("/articles/infrastructure-001").status_code == 404


def test_unknown_article_page_is_404(client: TestClient) -> None:
    assert client.get("/articles/nope").status_code == 404


def test_markdown_with_script_is_rendered_inert() -> None:
    html = render_markdown(
        "# t\n<script>alert(1)</script>\n[x](javascript:alert(1))\n<img src=x onerror=alert(1)>"
    )
    # Sanitised by nh3 (see tests/web/test_authoring_xss.py for the OWASP vectors): the
    # script is stripped with its text, the image keeps its source but not the handler.
    assert "<script" not in html and "alert(1)</" not in html and "onerror" not in html
    assert 'href="javascript:' not in html
