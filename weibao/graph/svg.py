"""Server-side SVG of a system's neighbourhood, for service managers (no JavaScript).

The system sits in the centre; its symptoms on the inner ring, the fixes that resolved
them on the middle ring, the articles describing those fixes outside, each article a
link. The layout depends only on the input order, so the same graph draws the same
picture; every label is XML-escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any
from urllib.parse import quote

_SIZE = 960
_CENTRE = _SIZE / 2
_RINGS = {"symptom": 150.0, "fix": 290.0, "article": 405.0}
_COLOURS = {
    "system": "#1f4e79",
    "symptom": "#c0392b",
    "fix": "#1e8449",
    "article": "#7d3c98",
    "department": "#7f8c8d",
}
_RADIUS = {"system": 34, "symptom": 13, "fix": 11, "article": 8}
_LEGEND = {
    "zh": {
        "symptom": "症状",
        "fix": "解决方案",
        "article": "知识文章",
        "empty": "暂无关联知识",
        "worked": "次有效",
        "departments": "相关科室",
    },
    "en": {
        "symptom": "Symptoms",
        "fix": "Fixes",
        "article": "Articles",
        "empty": "No related knowledge yet",
        "worked": "× worked",
        "departments": "Departments",
    },
}


def render_neighbourhood_svg(
    neighbourhood: dict[str, Any], lang: str = "zh", link_prefix: str = "/articles/"
) -> str:
    """Draw `KnowledgeGraph.neighbourhood(...)` as a standalone SVG document (a string)."""
    words = _LEGEND["en" if lang == "en" else "zh"]
    system = neighbourhood.get("system", {})
    symptoms = list(neighbourhood.get("symptoms", []))
    fixes = list(neighbourhood.get("fixes", []))
    articles = list(neighbourhood.get("articles", []))
    edges = list(neighbourhood.get("edges", []))

    # Order each ring by its link to the ring inside it, so related nodes sit together.
    symptom_rank = {s["id"]: i for i, s in enumerate(symptoms)}
    fixes.sort(
        key=lambda f: min(
            (symptom_rank.get(y, len(symptoms)) for y in f.get("symptoms", [])),
            default=len(symptoms),
        )
    )
    fix_rank = {f["id"]: i for i, f in enumerate(fixes)}
    described: dict[str, int] = {}
    for e in edges:
        if e.get("rel") == "describes":
            article = e["source"].split(":", 1)[1]
            fix = e["target"].split(":", 1)[1]
            described[article] = min(
                described.get(article, len(fixes)), fix_rank.get(fix, len(fixes))
            )
    articles.sort(key=lambda a: described.get(a["id"], len(fixes)))

    pos: dict[str, tuple[float, float]] = {f"system:{system.get('id', '')}": (_CENTRE, _CENTRE)}
    for node_type, items, offset in (
        ("symptom", symptoms, 0.0),
        ("fix", fixes, 0.5),
        ("article", articles, 0.25),
    ):
        for i, item in enumerate(items):
            angle = -math.pi / 2 + 2 * math.pi * (i + offset) / max(len(items), 1)
            r = _RINGS[node_type]
            pos[f"{node_type}:{item['id']}"] = (
                round(_CENTRE + r * math.cos(angle), 1),
                round(_CENTRE + r * math.sin(angle), 1),
            )

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 {_SIZE} {_SIZE}" width="{_SIZE}" height="{_SIZE}" '
        f'font-family="Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif" font-size="12" '
        f'role="img" aria-label="{_attr(_name(system, lang))}">',
        f"<title>{_text(_name(system, lang))}</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for node_type in ("symptom", "fix", "article"):
        out.append(
            f'<circle cx="{_CENTRE}" cy="{_CENTRE}" r="{_RINGS[node_type]}" fill="none" '
            f'stroke="#eeeeee" stroke-dasharray="4 4"/>'
        )

    out.append('<g class="edges" stroke-linecap="round">')
    for e in edges:
        a, b = pos.get(e.get("source", "")), pos.get(e.get("target", ""))
        if a is None or b is None:
            continue
        width = round(1 + math.log1p(max(int(e.get("count", 1)), 1)), 2)
        colour = _COLOURS.get(e["source"].split(":", 1)[0], "#999999")
        out.append(
            f'<line x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" stroke="{colour}" '
            f'stroke-opacity="0.35" stroke-width="{width}"><title>{_text(e.get("rel", ""))}'
            f"</title></line>"
        )
    out.append("</g>")

    cx, cy = _CENTRE, _CENTRE
    out.append(
        f'<g class="system"><circle cx="{cx}" cy="{cy}" r="{_RADIUS["system"]}" '
        f'fill="{_COLOURS["system"]}"/>'
        f'<text x="{cx}" y="{cy + _RADIUS["system"] + 16}" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{_text(_clip(_name(system, lang), 24))}</text></g>'
    )
    if not (symptoms or fixes or articles):
        out.append(
            f'<text x="{cx}" y="{cy - _RADIUS["system"] - 12}" text-anchor="middle" '
            f'fill="#666666">{_text(words["empty"])}</text>'
        )

    for y in symptoms:
        label = f"{_name(y, lang)} ({y.get('count', 0)})"
        out.append(_node("symptom", pos[f"symptom:{y['id']}"], label, _name(y, lang)))
    for f in fixes:
        label = f"{f.get('title', f['id'])} ({f.get('count', 0)})"
        full = f"{f.get('title', f['id'])} — {f.get('count', 0)} {words['worked']}"
        out.append(_node("fix", pos[f"fix:{f['id']}"], label, full))
    for a in articles:
        href = link_prefix + quote(str(a["id"]), safe="")
        node = _node(
            "article", pos[f"article:{a['id']}"], a.get("title", a["id"]), a.get("title", a["id"])
        )
        out.append(f'<a href="{_attr(href)}" xlink:href="{_attr(href)}" target="_top">{node}</a>')

    out.extend(_legend(words, neighbourhood.get("departments", []), lang))
    out.append("</svg>")
    return "\n".join(out)


def _node(node_type: str, xy: tuple[float, float], label: str, full: str) -> str:
    x, y = xy
    dx = x - _CENTRE
    anchor = "start" if dx > 1 else "end" if dx < -1 else "middle"
    r = _RADIUS[node_type]
    tx = x + (r + 4 if anchor == "start" else -(r + 4) if anchor == "end" else 0)
    ty = y + 4 if anchor != "middle" else (y - r - 6 if y < _CENTRE else y + r + 14)
    limit = 16 if node_type == "article" else 18
    return (
        f'<g class="{node_type}"><title>{_text(full)}</title>'
        f'<circle cx="{x}" cy="{y}" r="{r}" fill="{_COLOURS[node_type]}"/>'
        f'<text x="{round(tx, 1)}" y="{round(ty, 1)}" text-anchor="{anchor}">'
        f"{_text(_clip(label, limit))}</text></g>"
    )


def _legend(words: dict[str, str], departments: list[dict[str, Any]], lang: str) -> list[str]:
    lines = ['<g class="legend" font-size="12">']
    for i, node_type in enumerate(("symptom", "fix", "article")):
        y = 24 + i * 20
        lines.append(
            f'<circle cx="20" cy="{y}" r="6" fill="{_COLOURS[node_type]}"/>'
            f'<text x="32" y="{y + 4}">{_text(words[node_type])}</text>'
        )
    if departments:
        names = (
            "、".join(_name(d, lang) for d in departments[:6])
            if lang != "en"
            else ", ".join(_name(d, lang) for d in departments[:6])
        )
        lines.append(
            f'<text x="14" y="{_SIZE - 16}" fill="{_COLOURS["department"]}">'
            f"{_text(words['departments'])}: {_text(_clip(names, 80))}</text>"
        )
    lines.append("</g>")
    return lines


def _name(item: dict[str, Any], lang: str) -> str:
    key = "name_en" if lang == "en" else "name_zh"
    return str(item.get(key) or item.get("name") or item.get("title") or item.get("id", ""))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str:
    return escape(str(value), quote=False)


def _attr(value: Any) -> str:
    return escape(str(value), quote=True)
