"""The knowledge-base API: shapes, the issue's examples, and every kind of bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_healthz_reports_ok_and_the_index(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["documents"] >= 90 and body["chunks"] > body["documents"]


def test_search_returns_the_documented_shape(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "放射科电脑上看不了片子", "top_k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "放射科电脑上看不了片子" and body["took_ms"] >= 0
    assert 1 <= len(body["results"]) <= 3
    first = body["results"][0]
    assert {"id", "kind", "title", "systems", "symptoms", "score", "snippet", "url"} <= first.keys()
    assert first["kind"] == "article" and first["url"] == f"/articles/{first['id']}"
    assert any("pacs" in r["systems"] and "image_load" in r["symptoms"] for r in body["results"])
    assert "pacs" in body["understood"]["systems"]


def test_search_filters_by_system_and_language(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "printer 打印", "system": "lis", "lang": "zh"}).json()
    assert body["results"] and all(
        "lis" in r["systems"] and r["language"] == "zh" for r in body["results"]
    )


def test_search_filters_by_kind_articles_or_resolved_tickets(client: TestClient) -> None:
    q = {"q": "检验科打印机打不出条码"}
    tickets = client.get("/api/search", params={**q, "kind": "ticket"}).json()["results"]
    articles = client.get("/api/search", params={**q, "kind": "article"}).json()["results"]
    assert tickets and all(r["kind"] == "ticket" and r["url"].startswith("/cases/") for r in tickets)
    assert articles and all(r["kind"] == "article" and r["url"].startswith("/articles/") for r in articles)


def test_snippet_html_is_escaped_with_marks(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "HL7 messages stuck"}).json()
    html = body["results"][0]["snippet_html"]
    assert "<mark>" in html and "<script" not in html


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "卡" * 1001}, "q"),
        ({"q": "x", "top_k": 0}, "top_k"),
        ({"q": "x", "top_k": 101}, "top_k"),
        ({"q": "x", "top_k": "many"}, "top_k"),
        ({"q": "x", "system": "mri"}, "system"),
        ({"q": "x", "symptom": "sad"}, "symptom"),
        ({"q": "x", "audience": "patient"}, "audience"),
        ({"q": "x", "lang": "fr"}, "lang"),
        ({"q": "x", "kind": "faq"}, "kind"),
        ({}, "q"),
    ],
)
def test_bad_search_input_is_422_naming_the_parameter(client: TestClient, params, param: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/search", params=params)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"][-1] == param for e in errors)


def test_unknown_system_error_lists_the_valid_ids(client: TestClient) -> None:
    detail = client.get("/api/search", params={"q": "x", "system": "mri"}).json()["detail"][0]
    assert "pacs" in detail["msg"] and "registration" in detail["msg"]


def test_article_by_id_and_unknown_article(client: TestClient) -> None:
    article = client.get("/api/articles/pacs-001").json()
    assert article["id"] == "pacs-001" and article["body"].strip() and article["version"] >= 1
    missing = client.get("/api/articles/nope-404")
    assert missing.status_code == 404 and "nope-404" in missing.json()["detail"]


def test_openapi_documents_the_search_endpoint(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/search" in schema["paths"] and "/api/articles/{article_id}" in schema["paths"]
    assert client.get("/docs").status_code == 200
