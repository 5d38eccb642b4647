from __future__ import annotations

from pathlib import Path

import pytest

from weibao.kb.documents import ArticleFormatError, parse_article_file, parse_article_text

VALID = """---
id: pacs-901
title: 工作站看不了片子
systems: [pacs]
symptoms: [image_load]
departments: [radiology]
audience: clinician
language: zh
updated: 2026-08-14
fixes:
  - id: fix-pacs-clear-cache
    title: 清理缓存
---
## 现象
片子打不开。
"""


def test_valid_article_parses_every_field() -> None:
    article = parse_article_text(VALID, "a.md")
    assert article.id == "pacs-901"
    assert article.systems == ["pacs"] and article.symptoms == ["image_load"]
    assert article.fixes == [{"id": "fix-pacs-clear-cache", "title": "清理缓存"}]
    assert article.updated.isoformat() == "2026-08-14"
    assert article.body.startswith("## 现象")


def test_content_hash_changes_with_body_and_front_matter() -> None:
    a = parse_article_text(VALID, "a.md")
    b = parse_article_text(VALID.replace("片子打不开", "片子打不开了"), "a.md")
    c = parse_article_text(VALID.replace("[radiology]", "[outpatient]"), "a.md")
    assert len({a.content_hash, b.content_hash, c.content_hash}) == 3


@pytest.mark.parametrize(
    ("mutation", "field"),
    [
        (lambda t: t.replace("systems: [pacs]", "systems: [pax]"), "systems"),
        (lambda t: t.replace("symptoms: [image_load]", "symptoms: [broken]"), "symptoms"),
        (lambda t: t.replace("[radiology]", "[morgue]"), "departments"),
        (lambda t: t.replace("audience: clinician", "audience: patient"), "audience"),
        (lambda t: t.replace("language: zh", "language: fr"), "language"),
        (lambda t: t.replace("updated: 2026-08-14", "updated: yesterday"), "updated"),
        (lambda t: t.replace("title: 工作站看不了片子\n", ""), "title"),
        (lambda t: t.replace("id: pacs-901", "id: Bad Id!"), "id"),
        (lambda t: t.replace("id: fix-pacs-clear-cache", "id: clear-cache"), "fixes[0].id"),
        (lambda t: t.replace("systems: [pacs]", "systems: [pacs"), "front matter"),
        (lambda t: t.replace("---\n", "", 1), "front matter"),
        (lambda t: t.split("---\n## ")[0] + "---\n", "body"),
    ],
)
def test_bad_article_names_file_and_field(mutation, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArticleFormatError) as info:
        parse_article_text(mutation(VALID), "data/x.md")
    assert info.value.field == field
    assert str(info.value).startswith("data/x.md: field ")


def test_unknown_system_lists_the_valid_ids() -> None:
    with pytest.raises(ArticleFormatError, match="valid: .*pacs"):
        parse_article_text(VALID.replace("[pacs]", "[pax]"), "x.md")


def test_non_utf8_file_is_rejected_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "gbk.md"
    path.write_bytes(VALID.encode("gbk"))
    with pytest.raises(ArticleFormatError, match="gbk.md: field 'encoding'"):
        parse_article_file(path)


def test_every_seed_article_is_valid_and_covers_the_taxonomy() -> None:
    from weibao.core.settings import REPO_DIR
    from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS

    files = sorted((REPO_DIR / "data" / "seed_articles").glob("*.md"))
    articles = [parse_article_file(f) for f in files]
    assert len(articles) >= 90
    for article, file in zip(articles, files, strict=True):
        assert file.stem == article.id
    for system in SYSTEMS:
        assert sum(system in a.systems for a in articles) >= 3, system
    for symptom in SYMPTOMS:
        assert sum(symptom in a.symptoms for a in articles) >= 3, symptom
    zh_share = sum(a.language == "zh" for a in articles) / len(articles)
    assert 0.65 <= zh_share <= 0.85
