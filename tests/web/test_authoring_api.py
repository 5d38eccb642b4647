"""Authoring API over the seeded app: write, version, lock, review, publish, archive, vote.

Articles made here use invented words (e.g. 蓝鲸校验码) so that they do not compete with
the seed corpus in other tests' searches; published ones are archived again.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi.testclient import TestClient


def _article(word: str, **over: Any) -> dict[str, Any]:
    body = {
        "title": f"{word}失败的处理",
        "body": f"## 现象\n检验系统提示{word}错误。\n\n## 处理步骤\n1. 重新生成{word}。\n2. 重启接口服务。",
        "systems": ["lis"],
        "symptoms": ["interface_error"],
        "audience": "it_staff",
        "language": "zh",
    }
    body.update(over)
    return body


def _word() -> str:
    return f"蓝鲸{uuid.uuid4().hex[:6]}校验码"


def _search_ids(client: TestClient, q: str) -> list[str]:
    answer = client.get("/api/search", params={"q": q, "kind": "article"})
    assert answer.status_code == 200, answer.text
    return [r["id"] for r in answer.json()["results"]]


def test_create_answers_a_draft_at_version_1(as_user) -> None:  # type: ignore[no-untyped-def]
    created = as_user("engineer").post("/api/articles", json=_article(_word()))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "draft" and body["version"] == 1 and body["id"]


def test_clinicians_and_hospital_it_cannot_write(as_user) -> None:  # type: ignore[no-untyped-def]
    for name in ("nurse_hz", "it_hz"):
        assert as_user(name).post("/api/articles", json=_article(_word())).status_code == 403


def test_unknown_ontology_id_is_refused_naming_it(as_user) -> None:  # type: ignore[no-untyped-def]
    answer = as_user("engineer").post("/api/articles", json=_article(_word(), systems=["lis", "mri"]))
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == ["body", "systems"] and "'mri'" in detail["msg"]
    answer = as_user("engineer").post("/api/articles", json=_article(_word(), symptoms=["sad"]))
    assert answer.status_code == 422 and "'sad'" in answer.json()["detail"][0]["msg"]
    answer = as_user("engineer").post("/api/articles", json=_article(_word(), audience="public"))
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "audience"]


def test_edits_make_versions_and_a_stale_version_is_409_with_the_conflict(as_user) -> None:  # type: ignore[no-untyped-def]
    engineer = as_user("engineer")
    word = _word()
    article_id = engineer.post("/api/articles", json=_article(word)).json()["id"]
    second = engineer.put(f"/api/articles/{article_id}", json={**_article(word, title="第二版标题"), "version": 1})
    assert second.status_code == 200 and second.json()["version"] == 2
    # Someone still editing version 1 saves: refused, with the newer text and a diff.
    stale = as_user("admin_ops").put(
        f"/api/articles/{article_id}", json={**_article(word, title="我的标题"), "version": 1}
    )
    assert stale.status_code == 409
    conflict = stale.json()["conflict"]
    assert conflict["current_version"] == 2 and conflict["current"]["title"] == "第二版标题"
    assert any(line.startswith("+title: 我的标题") for line in conflict["diff"])
    # Saving the same content again is no new version.
    same = engineer.put(f"/api/articles/{article_id}", json={**_article(word, title="第二版标题"), "version": 2})
    assert same.status_code == 200 and same.json()["version"] == 2
    versions = engineer.get(f"/api/articles/{article_id}/versions").json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["current"] and versions[0]["author"] == "engineer"
    diff = engineer.get(f"/api/articles/{article_id}/diff", params={"from": 1, "to": 2}).json()["diff"]
    assert f"-title: {word}失败的处理" in diff and "+title: 第二版标题" in diff


def test_restore_saves_an_old_version_as_a_new_one(as_user) -> None:  # type: ignore[no-untyped-def]
    engineer = as_user("engineer")
    word = _word()
    article_id = engineer.post("/api/articles", json=_article(word)).json()["id"]
    engineer.put(f"/api/articles/{article_id}", json={**_article(word, title="改坏了"), "version": 1})
    restored = engineer.post(f"/api/articles/{article_id}/versions/1/restore", json={"version": 2})
    assert restored.status_code == 200
    assert restored.json()["version"] == 3 and restored.json()["title"] == f"{word}失败的处理"
    assert engineer.post(f"/api/articles/{article_id}/versions/1/restore", json={"version": 2}).status_code == 409


def test_review_workflow_publishes_and_archive_removes_from_search(as_user, client) -> None:  # type: ignore[no-untyped-def]
    engineer, manager = as_user("engineer"), as_user("manager")
    word = _word()
    article_id = engineer.post("/api/articles", json=_article(word)).json()["id"]
    assert client.get(f"/api/articles/{article_id}").status_code == 404  # a draft is private
    # Only a submitted article is reviewed, and only its author submits it.
    assert manager.post(f"/api/articles/{article_id}/review", json={"decision": "approve"}).status_code == 409
    assert manager.post(f"/api/articles/{article_id}/submit").status_code == 403
    submitted = engineer.post(f"/api/articles/{article_id}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"
    own = engineer.post(f"/api/articles/{article_id}/review", json={"decision": "approve", "comment": ""})
    assert own.status_code == 403
    # A change request needs a comment and sends it back to the author.
    assert manager.post(f"/api/articles/{article_id}/review", json={"decision": "request_changes"}).status_code == 422
    back = manager.post(
        f"/api/articles/{article_id}/review", json={"decision": "request_changes", "comment": "补充原因"}
    )
    assert back.status_code == 200 and back.json()["status"] == "draft"
    fixed = engineer.put(
        f"/api/articles/{article_id}",
        json={**_article(word, body=_article(word)["body"] + "\n\n## 原因\n证书过期。"), "version": 1},
    )
    assert fixed.json()["version"] == 2
    engineer.post(f"/api/articles/{article_id}/submit")
    published = manager.post(f"/api/articles/{article_id}/review", json={"decision": "approve", "comment": "好"})
    assert published.status_code == 200 and published.json()["status"] == "published"
    # Review actions made no version; anonymous readers now find and read it.
    assert [v["version"] for v in engineer.get(f"/api/articles/{article_id}/versions").json()] == [2, 1]
    assert article_id in _search_ids(client, f"{word}错误")
    page = client.get(f"/articles/{article_id}")
    assert page.status_code == 200 and "<h2>原因</h2>" in page.text
    # A new version in the works: readers keep the approved one.
    engineer.put(f"/api/articles/{article_id}", json={**_article(word, title="草稿中的新标题"), "version": 2})
    reader = client.get(f"/api/articles/{article_id}").json()
    assert reader["version"] == 2 and reader["title"] == f"{word}失败的处理"
    assert article_id in _search_ids(client, f"{word}错误")
    archived = manager.post(f"/api/articles/{article_id}/archive", json={"comment": "过时"})
    assert archived.status_code == 200
    assert article_id not in _search_ids(client, f"{word}错误")
    assert client.get(f"/api/articles/{article_id}").status_code == 404


def test_a_publish_reaches_another_worker_within_a_second(app, as_user, client, seeded_dir, embedder) -> None:  # type: ignore[no-untyped-def]
    """A second knowledge base over the same database stands for another worker."""
    from tests.conftest import make_settings
    from weibao.kb.runtime import build_knowledge_base
    from weibao.kb.search import SearchOptions

    other = build_knowledge_base(make_settings(seeded_dir), embedder, app.state.database)
    other.open()
    word = _word()
    engineer, manager = as_user("engineer"), as_user("manager")
    article_id = engineer.post("/api/articles", json=_article(word)).json()["id"]
    engineer.post(f"/api/articles/{article_id}/submit")
    assert manager.post(f"/api/articles/{article_id}/review", json={"decision": "approve"}).status_code == 200
    started = time.monotonic()
    found = False
    while time.monotonic() - started < 1.0 and not found:
        other.reload_if_changed()
        found = article_id in [h.id for h in other.search(f"{word}错误", SearchOptions(top_k=10)).hits]
        time.sleep(0.05)
    assert found, "the other worker did not find the published article within 1 s"
    manager.post(f"/api/articles/{article_id}/archive", json={})
    time.sleep(0.25)
    other.reload_if_changed()
    assert article_id not in [h.id for h in other.search(f"{word}错误", SearchOptions(top_k=10)).hits]


def test_helpfulness_votes_reach_reviewers_and_raise_the_article_in_the_queue(as_user) -> None:  # type: ignore[no-untyped-def]
    engineer, manager = as_user("engineer"), as_user("manager")
    word = _word()
    article_id = engineer.post("/api/articles", json=_article(word)).json()["id"]
    engineer.post(f"/api/articles/{article_id}/submit")
    manager.post(f"/api/articles/{article_id}/review", json={"decision": "approve"})
    try:
        for name in ("nurse_hz", "it_hz", "it_fs"):
            vote = as_user(name).post(
                f"/api/articles/{article_id}/feedback", json={"helpful": False, "comment": "步骤不全"}
            )
            assert vote.status_code == 201, vote.text
        # A second vote by the same reader replaces the first.
        as_user("it_fs").post(f"/api/articles/{article_id}/feedback", json={"helpful": False})
        assert as_user("it_hz").post(f"/api/articles/{article_id}/feedback", json={"helpful": "yes"}).status_code == 422
        summary = manager.get(f"/api/articles/{article_id}/feedback").json()
        assert summary["not_helpful"] == 3 and summary["helpful"] == 0
        assert "步骤不全" in [v["comment"] for v in summary["votes"]]
        assert as_user("nurse_hz").get(f"/api/articles/{article_id}/feedback").status_code == 403
        queue = manager.get("/api/review-queue").json()
        assert queue[0]["id"] == article_id and queue[0]["reason"] == "low_helpfulness"
    finally:
        manager.post(f"/api/articles/{article_id}/archive", json={})


def test_drafts_and_review_routes_stay_inside_the_vendor(as_user, client) -> None:  # type: ignore[no-untyped-def]
    article_id = as_user("engineer").post("/api/articles", json=_article(_word())).json()["id"]
    for name in ("nurse_hz", "it_hz"):
        user = as_user(name)
        assert user.get(f"/api/articles/{article_id}").status_code == 404
        assert user.get(f"/api/articles/{article_id}/versions").status_code == 403
        assert user.get("/api/review-queue").status_code == 403
    assert client.get(f"/api/articles/{article_id}/versions").status_code == 401


def test_saving_shows_similar_published_articles_to_merge_with(as_user) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from weibao.kb.documents import parse_article_file

    seed = parse_article_file(Path("data/seed_articles/lis-001.md"))
    created = as_user("engineer").post("/api/articles", json=_article(
        _word(), title=seed.title, body=seed.body, systems=seed.systems, symptoms=seed.symptoms,
    ))
    assert created.status_code == 201
    assert "lis-001" in [s["id"] for s in created.json()["similar"]]
    # An article about something else is not flagged.
    other = as_user("engineer").post("/api/articles", json=_article(_word()))
    assert "lis-001" not in [s["id"] for s in other.json()["similar"]]


def test_affected_versions_are_checked_saved_and_versioned(as_user) -> None:  # type: ignore[no-untyped-def]
    engineer = as_user("engineer")
    word = _word()
    unknown = engineer.post("/api/articles", json=_article(word, affected_versions={"mri": ["1.0"]}))
    assert unknown.status_code == 422
    detail = unknown.json()["detail"][0]
    assert detail["loc"] == ["body", "affected_versions"] and "'mri'" in detail["msg"]
    other = engineer.post("/api/articles", json=_article(word, affected_versions={"his": ["5.2"]}))
    assert other.status_code == 422 and "not one of the article's systems" in other.json()["detail"][0]["msg"]
    bad = engineer.post("/api/articles", json=_article(word, affected_versions={"lis": ["<b>"]}))
    assert bad.status_code == 422 and "'<b>'" in bad.json()["detail"][0]["msg"]
    created = engineer.post("/api/articles", json=_article(word, affected_versions={"lis": ["3.2", "3.2"]}))
    assert created.status_code == 201 and created.json()["affected_versions"] == {"lis": ["3.2"]}
    article_id = created.json()["id"]
    # Without the field a save keeps none; only the versions changing is a new version.
    edited = engineer.put(f"/api/articles/{article_id}",
                          json={**_article(word, affected_versions={"lis": ["3.2", "3.3"]}), "version": 1})
    assert edited.json()["version"] == 2 and edited.json()["affected_versions"] == {"lis": ["3.2", "3.3"]}
    diff = engineer.get(f"/api/articles/{article_id}/diff", params={"from": 1, "to": 2}).json()["diff"]
    assert "+  - '3.3'" in diff
    restored = engineer.post(f"/api/articles/{article_id}/versions/1/restore", json={"version": 2})
    assert restored.json()["version"] == 3 and restored.json()["affected_versions"] == {"lis": ["3.2"]}
    page = engineer.get(f"/articles/{article_id}/edit").text
    assert 'id="f-affected_versions"' in page and "lis 3.2\n" in page
