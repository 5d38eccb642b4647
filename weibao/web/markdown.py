"""Safe Markdown: raw HTML in an article is shown as text, never executed."""

from __future__ import annotations

from markdown_it import MarkdownIt

# html=False escapes any HTML in the source; markdown-it also refuses javascript:,
# vbscript: and data: links (its validateLink), so a body cannot inject script.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable("table")


def render_markdown(text: str) -> str:
    return _md.render(text)
