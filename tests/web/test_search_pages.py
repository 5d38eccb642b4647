"""Search results and the article page as people use them: each document once with a
badge for its kind, links that carry the query, the matched passage marked on the
article, fix titles instead of ids, and Back that returns to the same results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.security.conftest import Env, build_env
from weibao.core import migrate
from weibao.core.db import Database
from weibao.web.pages import _listed, _search_query


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    url = f"sqlite:///{tmp_path / 'search.db'}"
    migrate.upgrade(Database(url).engine)
    built = build_env(tmp_path, url)
    built.app.state.kb.article.fixes = [{"id": "fix-restart-print-spooler", "title": "重启打印服务"}]
    yield built
    built.database.engine.dispose()


def test_each_document_is_listed_once_with_the_query_in_its_link() -> None:
    query = _search_query({"q": "打印机 卡纸", "system": "terminal", "symptom": "", "page": "2"})
    assert query == "q=%E6%89%93%E5%8D%B0%E6%9C%BA+%E5%8D%A1%E7%BA%B8&system=terminal"
    hits = [{"url": "/articles/a-1", "kind": "article"}, {"url": "/cases/T-1", "kind": "ticket"},
            {"url": "/articles/a-1", "kind": "article"}]
    listed = _listed(hits, query)
    assert [h["url"] for h in listed] == ["/articles/a-1", "/cases/T-1"]
    assert listed[0]["href"] == f"/articles/a-1?{query}"
    assert _listed(hits, "")[0]["href"] == "/articles/a-1"


def test_article_from_the_results_marks_the_passage_and_leads_back(env: Env) -> None:
    page = env.client("clinician").get("/articles/a-1", params={"q": "重启打印", "system": "terminal"}).text
    assert '<p id="matched" class="matched"><mark>重启</mark><mark>打印</mark>服务。</p>' in page
    assert 'href="/?q=%E9%87%8D%E5%90%AF%E6%89%93%E5%8D%B0&amp;system=terminal"' in page
    assert 'href="#matched"' in page
    assert "<li>重启打印服务</li>" in page and "fix-restart-print-spooler" not in page
    assert 'href="/systems/terminal"' in page


def test_article_without_a_query_marks_nothing(env: Env) -> None:
    page = env.client().get("/articles/a-1").text
    assert 'id="matched"' not in page and '<a href="/">' in page
