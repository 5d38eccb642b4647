"""The matched passage of an article: the block with most query words, marked in place."""

from __future__ import annotations

from weibao.web.highlight import mark_passage
from weibao.web.markdown import render_markdown

BODY = """## 现象

放射科电脑上看不了片子，浏览器一直转圈。

## 处理方法

1. 在浏览器设置里允许 **影像** 插件。
2. 清除缓存后重新打开影像浏览器，片子即可显示。
"""


def test_the_block_with_most_query_words_is_marked() -> None:
    html, found = mark_passage(render_markdown(BODY), ["影像", "浏览器", "片子"])
    assert found
    assert html.count('id="matched"') == 1
    marked = html[html.index('id="matched"'):]
    marked = marked[: marked.index("</li>")]
    assert "清除缓存后重新打开<mark>影像</mark><mark>浏览器</mark>，<mark>片子</mark>即可显示" in marked


def test_markup_is_kept_and_nothing_is_injected() -> None:
    html, found = mark_passage(render_markdown(BODY), ["插件", "<script>", "strong"])
    assert found
    assert "<strong>影像</strong>" in html and "<script>" not in html
    assert "<mark>strong</mark>" not in html  # tag names are not text


def test_no_words_no_mark() -> None:
    html = render_markdown(BODY)
    assert mark_passage(html, []) == (html, False)
    assert mark_passage(html, ["打印机"]) == (html, False)
