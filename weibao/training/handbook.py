"""A printable handbook per audience: the published articles that audience reads, as PDF.

Rendering reuses the service report's approach (weibao.service.exports): fpdf2 with a
subset of the Noto CJK collection embedded, so Chinese text renders and stays extractable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from weibao.kb.audience import may_read
from weibao.kb.models import Article
from weibao.routing.errors import Invalid
from weibao.service.exports import FontMissing
from weibao.service.exports import _sc_index as sc_index  # the same face choice as the reports
from weibao.training.models import TRAINING_AUDIENCES

# The role whose reading rights bound each handbook: management briefings go through the
# hospital's IT contact, as their articles do (weibao.kb.audience).
READER_ROLE = {"clinician": "clinician", "it_staff": "hospital_it", "management": "hospital_it"}
TITLES = {
    "clinician": ("临床操作手册", "Clinician operation handbook"),
    "it_staff": ("信息科技术手册", "Hospital IT technical handbook"),
    "management": ("管理层简报手册", "Management briefing handbook"),
}
_MARKUP = re.compile(r"^\s{0,3}(#{1,6}\s+|[-*+]\s+|>\s?)")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_INLINE = re.compile(r"(\*\*|__|`)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def handbook_articles(session: Session, audience: str, hospital_id: str | None = None) -> list[Article]:
    """Published articles of `audience` its readers may read: shared ones and, for a hospital,
    its own; never internal (engineer) articles."""
    if audience not in TRAINING_AUDIENCES:
        raise Invalid(f"audience: unknown audience {audience!r}; known: {list(TRAINING_AUDIENCES)}", "audience")
    if not may_read(READER_ROLE[audience], audience):
        return []
    scope: ColumnElement[bool] = Article.hospital_id.is_(None)
    if hospital_id is not None:
        scope = or_(scope, Article.hospital_id == hospital_id)
    return list(session.scalars(
        select(Article).where(Article.status == "published", Article.audience == audience, scope)
        .order_by(Article.id)
    ))


def plain_lines(markdown: str) -> list[tuple[str, str]]:
    """(kind, text) per line: headings kept as headings, other markup dropped (print needs no HTML)."""
    lines: list[tuple[str, str]] = []
    in_code = False
    for raw in markdown.splitlines():
        if raw.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            lines.append(("code", raw))
            continue
        kind = "heading" if raw.lstrip().startswith("#") else "text"
        bullet = re.match(r"^\s{0,3}[-*+]\s+", raw) is not None
        # Images first: a link pattern would otherwise keep their alt text behind a "!".
        text = _INLINE.sub("", _LINK.sub(r"\1", _IMAGE.sub("", _MARKUP.sub("", raw)))).rstrip()
        lines.append((kind, ("• " if bullet else "") + text))
    return lines


def to_pdf(articles: list[Article], audience: str, font: Path, lang: str = "zh") -> bytes:
    from fpdf import FPDF

    if not font.is_file():
        raise FontMissing(f"CJK font {font} not found: install Debian's fonts-noto-cjk (see README) "
                          "or set WEIBAO_REPORT_FONT")
    title = TITLES[audience][0 if lang == "zh" else 1]
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=14)
    kwargs: dict[str, Any] = {}
    if font.suffix.lower() == ".ttc":
        kwargs["collection_font_number"] = sc_index(font)
    pdf.add_font("cjk", "", str(font), **kwargs)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.multi_cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    pdf.ln(2)
    if not articles:
        pdf.multi_cell(0, 6, "暂无已发布文章" if lang == "zh" else "No published articles yet",
                       new_x="LMARGIN", new_y="NEXT")
    for number, article in enumerate(articles, 1):
        pdf.multi_cell(0, 6, f"{number}. {article.title}", new_x="LMARGIN", new_y="NEXT")
    for number, article in enumerate(articles, 1):
        pdf.add_page()
        pdf.set_font("cjk", size=14)
        pdf.multi_cell(0, 8, f"{number}. {article.title}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        for kind, text in plain_lines(article.body):
            if not text.strip():
                pdf.ln(2)
                continue
            pdf.set_font("cjk", size=12 if kind == "heading" else 10)
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
