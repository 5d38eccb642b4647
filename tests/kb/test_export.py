"""Round trip: `export articles` writes the published corpus as files that `ingest` reads
back unchanged, into the same database (nothing changes) and into a fresh one (the same
articles, and the same files when exported again)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import make_settings
from weibao.core import migrate
from weibao.core.db import Database, session_scope
from weibao.core.settings import REPO_DIR
from weibao.kb.authoring import ArticleInput, Authoring
from weibao.kb.export import ExportError, export_articles
from weibao.kb.models import Article
from weibao.kb.service import KnowledgeBase
from weibao.kb.versions import published_view, source_of

SEEDS = ["emergency-001.md", "lis-001.md", "pacs-001.md"]


def _kb(folder: Path, url: str, embedder) -> KnowledgeBase:  # type: ignore[no-untyped-def]
    settings = make_settings(folder, url)
    database = Database(url)
    migrate.upgrade(database.engine)
    kb = KnowledgeBase(settings, database.sessions, embedder)
    kb.open()
    return kb


def _published(kb: KnowledgeBase) -> dict[str, object]:
    with session_scope(kb.sessions) as session:
        out = {}
        for article in session.scalars(select(Article)):
            shown = published_view(session, article)
            if shown is not None:
                source = source_of(shown)
                out[article.id] = (source.front_matter(), source.body)
        return out


def _write(authoring: Authoring, title: str, audience: str = "it_staff", publish: bool = True) -> str:
    article = authoring.create(ArticleInput(
        title=title, systems=["lis", "integration"], symptoms=["interface_error"],
        departments=["laboratory"], audience=audience, language="zh",
        fixes=[{"id": "fix-restart-lis-interface", "title": "重启检验接口服务"}],
        affected_versions={"lis": ["5.2", "5.10"], "integration": ["3.1.4"]},
        body=f"## 现象\n{title}：接口超时。\n\n## 处理步骤\n1. 重启接口服务。\n2. 核对 `HL7` 消息。",
    ), author="writer")
    if publish:
        authoring.submit(article.id, actor="writer")
        authoring.review(article.id, decision="approve", comment="", reviewer="reviewer")
    return article.id


def test_export_then_ingest_is_a_round_trip(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in SEEDS:
        shutil.copy(REPO_DIR / "data" / "seed_articles" / name, seeds / name)
    kb = _kb(tmp_path / "a", f"sqlite:///{tmp_path / 'a.db'}", embedder)
    assert len(kb.ingest(seeds).added) == 3
    authoring = Authoring(kb)
    written = _write(authoring, "检验接口超时的处理")
    internal = _write(authoring, "检验接口的内部排查", audience="engineer")
    draft = _write(authoring, "还在写的草稿", publish=False)
    archived = _write(authoring, "过时的文章")
    authoring.archive(archived, actor="reviewer")
    # A published article with a newer version in review: the approved version is exported.
    authoring.update(written, ArticleInput(
        title="新标题还没审核", systems=["lis"], symptoms=["interface_error"], audience="it_staff",
        language="zh", body="## 新\n未审核的正文。",
    ), version=1, author="writer")

    out = tmp_path / "export"
    report = export_articles(kb.sessions(), out)
    names = sorted(p.stem for p in out.glob("*.md"))
    assert names == sorted([*(n[:-3] for n in SEEDS), written, internal])
    assert draft not in names and archived not in names
    text = (out / f"{written}.md").read_text(encoding="utf-8")
    assert "检验接口超时的处理" in text and "新标题还没审核" not in text
    # Affected versions go out as strings (5.10 is not the number 5.1) and come back the same.
    assert "affected_versions:\n  lis:\n  - '5.2'\n  - '5.10'\n" in text
    assert "audience: engineer" in (out / f"{internal}.md").read_text(encoding="utf-8")
    assert report.written and not report.removed

    # Into the same database: nothing changes.
    again = kb.ingest(out)
    assert again.errors == [] and again.added == [] and again.updated == []
    assert sorted(again.unchanged) == names

    # Into a fresh database: the same published articles; exported again, the same bytes.
    fresh = _kb(tmp_path / "b", f"sqlite:///{tmp_path / 'b.db'}", embedder)
    loaded = fresh.ingest(out)
    assert loaded.errors == [] and sorted(loaded.added) == names
    before = _published(kb)
    assert _published(fresh) == {k: v for k, v in before.items() if k in names}
    with session_scope(fresh.sessions) as session:
        assert session.get(Article, written).affected_versions == {  # type: ignore[union-attr]
            "lis": ["5.2", "5.10"], "integration": ["3.1.4"]}
    second = tmp_path / "export2"
    export_articles(fresh.sessions(), second)
    for name in out.glob("*.md"):
        assert (second / name.name).read_bytes() == name.read_bytes()
    # Searchable in the fresh knowledge base as published articles.
    assert internal in [h.id for h in fresh.search("检验接口的内部排查").hits]


def test_export_refuses_a_folder_it_would_clobber(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty"):
        export_articles(None, tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="other things"):
        export_articles(None, tmp_path, replace=True)  # type: ignore[arg-type]
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(ExportError, match="is a file"):
        export_articles(None, tmp_path / "file.md")  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="parent folder"):
        export_articles(None, tmp_path / "no" / "such")  # type: ignore[arg-type]


def test_cli_export_names_the_problem_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    target = tmp_path / "full"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    env = {"WEIBAO_DATA_DIR": str(data), "WEIBAO_DATABASE_URL": "", "PATH": "/usr/bin:/bin",
           "HF_HUB_OFFLINE": "1"}
    migrate.upgrade(Database(f"sqlite:///{data / 'weibao.db'}").engine)
    out = subprocess.run([sys.executable, "-m", "weibao.cli", "export", "articles", str(target)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 2 and "not empty" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    empty = tmp_path / "fresh"
    out = subprocess.run([sys.executable, "-m", "weibao.cli", "export", "articles", str(empty)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "exported 0 published articles" in out.stdout and empty.is_dir()
