import re
import xml.etree.ElementTree as ET

from weibao.graph.knowledge_graph import ArticleRecord, FixRecord, KnowledgeGraph
from weibao.graph.svg import render_neighbourhood_svg

SVG = "{http://www.w3.org/2000/svg}"


def _neighbourhood():
    kg = KnowledgeGraph().build(
        [
            ArticleRecord(
                "pacs-001",
                "影像<script>alert('x')</script>加载慢 & 卡",
                ["pacs"],
                ["image_load"],
                ["radiology"],
                [FixRecord("fix-1", "清理 <b>缓存</b>")],
            ),
            ArticleRecord(
                "pacs/002 a&b",
                "PACS 登录失败",
                ["pacs"],
                ["login_failure"],
                [],
                [FixRecord("fix-2", "重置密码")],
            ),
        ]
    )
    return kg.neighbourhood("pacs")


def test_svg_is_well_formed_xml_with_article_links():
    svg = render_neighbourhood_svg(_neighbourhood(), link_prefix="/articles/")
    root = ET.fromstring(svg)
    hrefs = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert sorted(hrefs) == ["/articles/pacs%2F002%20a%26b", "/articles/pacs-001"]


def test_svg_escapes_script_in_titles():
    svg = render_neighbourhood_svg(_neighbourhood())
    assert "<script" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg
    ET.fromstring(svg)  # still parses


def test_svg_has_no_javascript():
    svg = render_neighbourhood_svg(_neighbourhood())
    assert not re.search(r"<script|\son\w+=|javascript:", svg, re.I)


def test_svg_labels_in_chinese_or_english():
    n = _neighbourhood()
    zh = render_neighbourhood_svg(n, lang="zh")
    en = render_neighbourhood_svg(n, lang="en")
    assert "影像无法加载/显示" in zh and "症状" in zh
    assert "images do not load or display" in en and "Symptoms" in en


def test_svg_layout_is_deterministic():
    n = _neighbourhood()
    assert render_neighbourhood_svg(n) == render_neighbourhood_svg(n)


def test_svg_empty_neighbourhood_says_so():
    svg = render_neighbourhood_svg(KnowledgeGraph().neighbourhood("lis"))
    ET.fromstring(svg)
    assert "暂无关联知识" in svg and "检验信息系统" in svg
