"""The knowledge base end to end on a real database and the real embedding model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import make_settings
from weibao.core.settings import REPO_DIR
from weibao.kb.runtime import build_knowledge_base
from weibao.kb.search import SearchOptions

SEED = REPO_DIR / "data" / "seed_articles"
PICK = ["pacs-001.md", "integration-001.md", "terminal-001.md", "his-002.md"]


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in PICK:
        shutil.copy(SEED / name, folder / name)
    return folder


@pytest.fixture
def kb(database_url: str, tmp_path: Path, embedder):  # type: ignore[no-untyped-def]
    kb = build_knowledge_base(make_settings(tmp_path / "data", database_url), embedder)
    kb.open()
    return kb


def test_ingest_twice_changes_nothing_the_second_time(kb, small_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    first = kb.ingest(small_corpus)
    assert sorted(first.added) == sorted(p[:-3] for p in PICK)
    generation = kb.index.generation
    second = kb.ingest(small_corpus)
    assert second.added == [] and second.updated == [] and len(second.unchanged) == len(PICK)
    assert kb.index.generation == generation


def test_changed_article_is_reindexed_and_its_old_version_kept(kb, small_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    kb.ingest(small_corpus)
    path = small_corpus / "terminal-001.md"
    path.write_text(
        path.read_text(encoding="utf-8") + "\n\n## 补充\n斑马打印机出现紫色指示灯时请更换碳带。\n",
        encoding="utf-8",
    )
    report = kb.ingest(small_corpus)
    assert report.updated == ["terminal-001"]
    assert kb.get_article("terminal-001").version == 2
    history = kb.article_history("terminal-001")
    assert [v.version for v in history] == [1] and "紫色指示灯" not in history[0].body
    hits = kb.search("紫色指示灯 碳带", SearchOptions(top_k=1, mode="bm25")).hits
    assert hits[0].id == "terminal-001"


def test_bad_file_is_rejected_by_name_and_the_others_still_load(kb, small_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    (small_corpus / "broken.md").write_text(
        "---\nid: broken-001\ntitle: x\nsystems: [nosuch]\nsymptoms: [slow]\naudience: clinician\n"
        "language: zh\nupdated: 2026-01-01\n---\n正文\n",
        encoding="utf-8",
    )
    report = kb.ingest(small_corpus)
    assert len(report.added) == len(PICK)
    assert len(report.errors) == 1
    assert "broken.md" in report.errors[0] and "'systems'" in report.errors[0]


def test_article_missing_from_source_is_kept_and_reported(kb, small_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    kb.ingest(small_corpus)
    (small_corpus / "his-002.md").unlink()
    report = kb.ingest(small_corpus)
    assert report.not_in_source == ["his-002"]
    assert kb.get_article("his-002") is not None
    assert any(h.id == "his-002" for h in kb.search("收费 结算 发票", SearchOptions(top_k=4)).hits)


def test_restart_loads_the_persisted_index_without_embedding(
    database_url: str, tmp_path: Path, embedder, small_corpus: Path  # type: ignore[no-untyped-def]
) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    first = build_knowledge_base(settings, embedder)
    first.open()
    first.ingest(small_corpus)
    again = build_knowledge_base(settings, embedder)
    assert again.open() == 0
    assert len(again.index) == len(first.index)
    query = "HL7 messages stuck in the integration engine"
    assert again.search(query).hits[0].id == first.search(query).hits[0].id == "integration-001"
