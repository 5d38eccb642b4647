"""Safe Markdown: rendered by markdown-it, then sanitised by nh3 (the Rust ammonia
sanitiser) against an allow-list, so scripts, event handlers, styles and javascript:
or data: URLs written into an article are stripped, never executed."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

# Raw HTML passes markdown-it (authors may write <kbd>, <br>, <img>, <video>) and is then
# cut down to the tags below; markdown-it's validateLink also refuses javascript:,
# vbscript: and data: links before nh3 sees them.
_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
_md.enable("table")

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul", "video", "source",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "video": {"src", "controls", "width", "height", "preload"},
    "source": {"src", "type"},
    "td": {"align"}, "th": {"align"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# A video plays only from the article's own attachments (weibao.kb.videos), always with
# the player's controls, never on its own (no autoplay, no poster from elsewhere).
VIDEO_SRC = re.compile(r"^/api/article-videos/\d{1,18}$")
SET_ATTRIBUTES = {"video": {"controls": "controls"}}


def _attribute(element: str, attribute: str, value: str) -> str | None:
    if element in ("video", "source") and attribute == "src":
        return value if VIDEO_SRC.match(value) else None
    if element == "video" and attribute == "preload":
        return value if value in ("none", "metadata") else None
    if element == "source" and attribute == "type":
        return value if value in ("video/mp4", "video/webm") else None
    return value


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow", strip_comments=True,
        attribute_filter=_attribute, set_tag_attribute_values=SET_ATTRIBUTES,
    )


def render_markdown(text: str) -> str:
    return sanitize_html(_md.render(text))
