"""Unsafe HTML in an article's Markdown is stripped: vectors from the OWASP XSS Filter
Evasion Cheat Sheet, rendered through the one renderer of article bodies and previews,
parsed back with html.parser and checked tag by tag and attribute by attribute."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from weibao.web.markdown import ATTRIBUTES, TAGS, render_markdown

# From https://cheatsheetseries.owasp.org/cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.html
OWASP_VECTORS = [
    "<SCRIPT SRC=https://cdn.jsdelivr.net/gh/Moksh45/host-xss.rocks/index.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
    "<img src=x onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041\">",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    "<SCRIPT/XSS SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
    "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    "</TITLE><SCRIPT>alert(\"XSS\");</SCRIPT>",
    "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<IMG DYNSRC=\"javascript:alert('XSS')\">",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<svg/onload=alert('XSS')>",
    "<BODY ONLOAD=alert('XSS')>",
    "<BGSOUND SRC=\"javascript:alert('XSS');\">",
    "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K\">",
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<TABLE><TD BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    "<OBJECT TYPE=\"text/x-scriptlet\" DATA=\"http://xss.rocks/scriptlet.html\"></OBJECT>",
    "<EMBED SRC=\"data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==\" type=\"image/svg+xml\" AllowScriptAccess=\"always\"></EMBED>",
    "<a href=\"javascript:alert('XSS')\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<video src=x onerror=alert(1)></video><video><source onerror=\"alert(1)\"></video>",
    "<details open ontoggle=alert(1)>",
    "<form action=\"javascript:alert(1)\"><button>x</button></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    # Markdown's own links and images.
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "![x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
]


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.script_text = False
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


_SAFE_URL = re.compile(r"^(https?://|mailto:|/|#|\.|[a-z0-9_\-./?=&%]*$)", re.I)


@pytest.mark.parametrize("vector", OWASP_VECTORS)
def test_owasp_vector_is_stripped(vector: str) -> None:
    html = render_markdown(f"## 测试\n\n{vector}\n\n正文")
    parser = _Collect()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in TAGS, f"{tag} survived: {html}"
        for name, value in attrs:
            assert name in ATTRIBUTES.get(tag, set()) | {"rel"}, f"{tag}.{name} survived: {html}"
            if name in ("href", "src", "poster") and value:
                cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not cleaned.startswith(("javascript:", "vbscript:", "data:")), html
                assert _SAFE_URL.match(value), f"{tag}.{name}={value!r}: {html}"
    lowered = html.lower()
    for marker in ("<script", "<iframe", "<object", "<embed", "<style", "<meta", "<link", "<base",
                   "<form", "<svg", "<body", "<frame", "<input"):
        assert marker not in lowered, html
    # The article before the vector survives (an unclosed <script> swallows what follows).
    assert "<h2>测试</h2>" in html


def test_ordinary_markdown_keeps_its_structure() -> None:
    html = render_markdown(
        "## 处理步骤\n1. 重启 `PrintSpooler`\n2. 见 [手册](https://example.com/m)\n\n"
        "| 项 | 值 |\n|---|---|\n| a | b |\n\n![截图](/static/x.png)\n\n<kbd>Ctrl</kbd>+<kbd>F5</kbd>"
    )
    for part in ("<h2>处理步骤</h2>", "<code>PrintSpooler</code>", 'href="https://example.com/m"',
                 "<table>", 'src="/static/x.png"', "<kbd>Ctrl</kbd>"):
        assert part in html, html


@pytest.mark.parametrize(("vector", "src"), [
    ('<video src="https://evil.example/x.mp4" autoplay muted loop></video>', None),   # elsewhere, on its own
    ('<video src="/api/article-videos/7" onloadstart="alert(1)" poster="javascript:alert(1)"></video>',
     "/api/article-videos/7"),
    ('<video controls><source src="data:video/mp4;base64,AAAA" type="text/html"></video>', None),
    ('<video src="/api/article-videos/7/../../logout"></video>', None),
    ('<video src="javascript:alert(1)" controls></video>', None),
])
def test_a_video_plays_only_our_attachment_with_controls(vector: str, src: str | None) -> None:
    parser = _Collect()
    parser.feed(render_markdown(f"## 录屏\n\n{vector}\n\n正文"))
    for tag, attrs in parser.tags:
        named = dict(attrs)
        if tag == "video":
            assert named.get("controls") is not None and named.get("src") == src, attrs
            assert set(named) <= {"src", "controls", "width", "height", "preload"}, attrs
        if tag == "source":
            assert named == {}, attrs
