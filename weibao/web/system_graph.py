"""A system's map for the browser: the same fixes, counts and articles as the table below
it, as ECharts graph data (nodes, links, categories). The page draws it with the vendored
ECharts (static/vendor/echarts); no script is inline, so the data travel in a data-*
attribute.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

MAX_LABEL = 14
MAX_ARTICLES_PER_FIX = 2


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def graph_data(
    system_id: str, system_name: str, related: Sequence[Mapping[str, Any]],
    symptom_name: Callable[[str], str], labels: Mapping[str, str],
) -> dict[str, Any]:
    """Nodes (system, its problem types, the fixes that worked, their articles) and links.

    A fix's value is the count the table shows (`related`'s count); a problem type's is
    the sum of its fixes' counts on this system, so the drawing and the list agree.
    """
    categories = [labels["system"], labels["symptom"], labels["fix"], labels["article"]]
    nodes: list[dict[str, Any]] = [{
        "id": f"system:{system_id}", "name": system_name, "label": system_name,
        "category": 0, "value": sum(int(f["count"]) for f in related), "symbolSize": 46,
    }]
    links: list[dict[str, Any]] = []
    symptom_totals: Counter[str] = Counter()
    for fix in related:
        for pair in fix.get("pairs", []):
            if pair.get("system") == system_id and pair.get("symptom"):
                symptom_totals[str(pair["symptom"])] += int(pair["count"])
    for symptom, total in sorted(symptom_totals.items(), key=lambda kv: (-kv[1], kv[0])):
        name = symptom_name(symptom)
        nodes.append({"id": f"symptom:{symptom}", "name": name, "label": _short(name), "category": 1,
                      "value": total, "symbolSize": 18 + min(total, 20)})
        links.append({"source": f"system:{system_id}", "target": f"symptom:{symptom}", "value": total})
    articles_seen: set[str] = set()
    for fix in related:
        fix_node = f"fix:{fix['fix_id']}"
        count = int(fix["count"])
        nodes.append({"id": fix_node, "name": str(fix["title"]), "label": _short(str(fix["title"])),
                      "category": 2, "value": count, "symbolSize": 12 + min(count, 20)})
        pairs = [p for p in fix.get("pairs", []) if p.get("system") == system_id and p.get("symptom")]
        for pair in pairs:
            links.append({"source": f"symptom:{pair['symptom']}", "target": fix_node, "value": int(pair["count"])})
        if not pairs:
            links.append({"source": f"system:{system_id}", "target": fix_node, "value": count})
        for article in list(fix.get("articles", []))[:MAX_ARTICLES_PER_FIX]:
            article_node = f"article:{article['id']}"
            if article["id"] not in articles_seen:
                articles_seen.add(article["id"])
                title = str(article.get("title") or article["id"])
                nodes.append({"id": article_node, "name": title, "label": _short(title), "category": 3,
                              "value": 1, "symbolSize": 10, "url": f"/articles/{article['id']}"})
            links.append({"source": fix_node, "target": article_node, "value": 1})
    return {"nodes": nodes, "links": links, "categories": [{"name": c} for c in categories]}
