"""Internal (engineer) and management articles never reach clinicians or anonymous callers:
not through search, the search page, a single article, the chat, related fixes, a
system's map or a new ticket's suggestions. The vendor's own roles reach them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from weibao.kb.authoring import ArticleInput, Authoring

FIX = "fix-reset-bluewhale-checksum"


@pytest.fixture(scope="module")
def internal(app) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """A published engineer-only article about an invented checksum: (id, word)."""
    word = f"蓝鲸{uuid.uuid4().hex[:6]}校验码"
    authoring = Authoring(app.state.kb, app.state.database.sessions)
    article = authoring.create(ArticleInput(
        title=f"{word}接口报错的内部处理", systems=["lis"], symptoms=["interface_error"],
        audience="engineer", language="zh", fixes=[{"id": FIX, "title": "重置蓝鲸校验码"}],
        body=f"## 现象\n检验接口返回{word}错误。\n\n## 处理步骤\n1. 登录接口服务器重置{word}。",
    ), author="writer")
    authoring.submit(article.id, actor="writer")
    authoring.review(article.id, decision="approve", comment="", reviewer="reviewer")
    yield article.id, word
    authoring.archive(article.id, actor="reviewer")


def _ids(answer: object) -> list[str]:
    return [r["id"] for r in answer.json()["results"]]  # type: ignore[attr-defined]


def test_search_keeps_internal_articles_from_clinicians_and_anonymous(internal, as_user, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    article_id, word = internal
    params = {"q": f"{word}错误", "kind": "article"}
    assert article_id in _ids(as_user("engineer").get("/api/search", params=params))
    assert article_id in _ids(as_user("manager").get("/api/search", params=params))
    for caller in (client, as_user("nurse_hz"), as_user("it_hz")):
        assert article_id not in _ids(caller.get("/api/search", params=params))
        # Asking for the audience outright does not widen what the caller may read.
        assert _ids(caller.get("/api/search", params={**params, "audience": "engineer"})) == []
    title = f"{word}接口报错的内部处理"
    page = as_user("nurse_hz").get("/", params={"q": title})
    assert page.status_code == 200 and article_id not in page.text
    assert article_id in as_user("engineer").get("/", params={"q": title}).text


def test_the_article_itself_is_not_found_for_them(internal, as_user, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    article_id, _ = internal
    assert as_user("engineer").get(f"/api/articles/{article_id}").status_code == 200
    for caller in (client, as_user("nurse_hz"), as_user("it_hz")):
        assert caller.get(f"/api/articles/{article_id}").status_code == 404
        assert caller.get(f"/articles/{article_id}").status_code == 404


def test_related_fixes_and_the_system_map_leave_it_out(internal, as_user, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    article_id, _ = internal
    params = {"system": "lis", "symptom": "interface_error", "limit": 100}

    def articles_of(caller: TestClient) -> set[str]:
        fixes = caller.get("/api/graph/related", params=params).json()
        return {a["id"] for f in fixes for a in f["articles"]}

    assert article_id in articles_of(as_user("engineer"))
    assert article_id not in articles_of(client) and article_id not in articles_of(as_user("nurse_hz"))
    engineer_map = as_user("engineer").get("/api/graph/systems/lis").json()
    nurse_map = as_user("nurse_hz").get("/api/graph/systems/lis").json()
    assert article_id in {a["id"] for a in engineer_map["articles"]}
    assert article_id not in {a["id"] for a in nurse_map["articles"]}
    assert article_id not in str(nurse_map["edges"])
    assert article_id not in as_user("nurse_hz").get("/systems/lis").text


def test_chat_answers_a_clinician_without_it(internal, as_user) -> None:  # type: ignore[no-untyped-def]
    article_id, word = internal
    message = {"message": f"{word}接口报错的内部处理"}
    engineer = as_user("engineer").post("/api/chat", json=message).json()
    assert article_id in str(engineer["citations"]) or article_id in str(engineer["actions"])
    nurse = as_user("nurse_hz").post("/api/chat", json=message).json()
    assert article_id not in str(nurse)


def test_a_new_tickets_suggestions_leave_it_out(internal, as_user) -> None:  # type: ignore[no-untyped-def]
    article_id, word = internal
    body = {"title": f"检验接口报{word}错误", "description": f"{word}错误，接口调用失败"}
    made = as_user("nurse_hz").post("/api/tickets", json=body)
    assert made.status_code == 201, made.text
    assert article_id not in {a["id"] for a in made.json()["suggested_articles"]}
    made = as_user("engineer").post("/api/tickets", json={**body, "hospital_id": "h-hzsy"})
    assert article_id in {a["id"] for a in made.json()["suggested_articles"]}
