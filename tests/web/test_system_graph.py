"""A system's map: drawn from the same fixes and counts as the table under it, with names
for labels; in Chromium the vendored ECharts draws it, and engineers' names stay hidden
from visitors who are not the vendor's staff."""

from __future__ import annotations

import json
import re

import pytest

from tests.web.browser import browser_page, serve
from weibao.web.system_graph import graph_data

RELATED = [
    {"fix_id": "fix-a", "title": "重新注册影像浏览器控件并清理缓存", "count": 5,
     "pairs": [{"system": "pacs", "symptom": "image_load", "count": 4}, {"system": "his", "symptom": "slow", "count": 9}],
     "articles": [{"id": "pacs-001", "title": "看不了片子"}, {"id": "pacs-002", "title": "影像慢"},
                  {"id": "pacs-003", "title": "第三篇"}]},
    {"fix_id": "fix-b", "title": "重启服务", "count": 2,
     "pairs": [{"system": "pacs", "symptom": "image_load", "count": 1}, {"system": "pacs", "symptom": "slow", "count": 1}],
     "articles": [{"id": "pacs-001", "title": "看不了片子"}]},
]
LABELS = {"system": "系统", "symptom": "问题类型", "fix": "处理方法", "article": "文章"}


def test_the_drawing_counts_what_the_table_counts() -> None:
    data = graph_data("pacs", "影像", RELATED, {"image_load": "影像无法加载", "slow": "卡顿"}.__getitem__, LABELS)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["fix:fix-a"]["value"] == 5 and nodes["fix:fix-b"]["value"] == 2  # as in the table
    assert nodes["system:pacs"]["value"] == 7
    # Problem types of this system only: the other system's pair is not drawn.
    assert nodes["symptom:image_load"]["value"] == 5 and nodes["symptom:slow"]["value"] == 1
    assert nodes["fix:fix-a"]["label"] == "重新注册影像浏览器控件并清…" and nodes["fix:fix-a"]["name"].endswith("清理缓存")
    assert [n for n in nodes if n.startswith("article:")] == ["article:pacs-001", "article:pacs-002"]
    assert nodes["article:pacs-001"]["url"] == "/articles/pacs-001"
    ids = set(nodes)
    assert all(link["source"] in ids and link["target"] in ids for link in data["links"])
    assert [c["name"] for c in data["categories"]] == ["系统", "问题类型", "处理方法", "文章"]


@pytest.mark.slow
def test_system_page_draws_the_map_in_chromium(app, tokens) -> None:  # type: ignore[no-untyped-def]
    with serve(app) as base, browser_page() as page:
        page.goto(f"{base}/systems/pacs")
        page.wait_for_selector("#system-graph[data-rendered='true']")
        assert page.locator("#system-graph canvas").count() >= 1
        assert page.locator("#system-graph-fallback").is_hidden()
        data = json.loads(page.locator("#system-graph").get_attribute("data-graph") or "{}")
        table = page.locator("table.queue tbody tr")
        counts = {r.locator("td").nth(0).inner_text(): int(r.locator("td").nth(1).inner_text())
                  for r in table.all()}
        drawn = {n["name"]: n["value"] for n in data["nodes"] if n["category"] == 2}
        assert counts and drawn == counts  # the drawing and the list agree
        # A visitor sees fixes and articles, not who applied them.
        assert page.locator("table.queue th").count() == 3
        assert not re.search(r"\d{4}-\d{2}-\d{2}T", page.locator("main").inner_text())
