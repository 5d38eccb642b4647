from __future__ import annotations

from weibao.kb.snippet import make_snippet

TEXT = "先看网络。\n如果影像一直转圈，清理阅片客户端缓存。\n最后重启工作站。"


def test_snippet_picks_the_passage_with_the_query_terms() -> None:
    snippet = make_snippet(TEXT, ["影像", "转圈"])
    assert snippet.text.startswith("如果影像一直转圈")
    marked = [snippet.text[s:e] for s, e in snippet.highlights]
    assert marked == ["影像", "转圈"]


def test_snippet_html_escapes_the_text_and_marks_matches() -> None:
    snippet = make_snippet("<script>alert(1)</script> printer offline", ["printer"])
    html = snippet.to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>printer</mark>" in html


def test_long_passage_is_cut_around_the_first_match() -> None:
    text = "无关内容" * 100 + "打印机脱机" + "无关内容" * 100
    snippet = make_snippet(text, ["打印机"], width=80)
    assert "打印机" in snippet.text and len(snippet.text) <= 82


def test_empty_text_gives_empty_snippet() -> None:
    assert make_snippet("", ["x"]).text == ""
