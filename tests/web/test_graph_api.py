"""Graph API and the system page over the seeded knowledge base."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_entities_link_colloquial_chinese_with_spans(client: TestClient) -> None:
    body = client.get("/api/graph/entities", params={"text": "放射科电脑上看不了片子"}).json()
    assert [s["id"] for s in body["systems"]] == ["pacs"]
    assert body["symptoms"][0]["id"] == "image_load"
    start, end = body["systems"][0]["span"]
    assert "放射科电脑上看不了片子"[start:end] == "片子"


def test_entities_respect_negation(client: TestClient) -> None:
    body = client.get("/api/graph/entities", params={"text": "不是打印的问题，是登录不了"}).json()
    assert [s["id"] for s in body["symptoms"]] == ["login_failure"]


def test_related_fixes_rank_by_how_often_they_worked_and_name_engineers(client: TestClient) -> None:
    fixes = client.get("/api/graph/related", params={"system": "pacs", "symptom": "image_load"}).json()
    assert fixes and fixes[0]["count"] >= fixes[-1]["count"]
    assert any(f["articles"] for f in fixes) and any(f["engineers"] for f in fixes)


def test_system_neighbourhood_and_page(client: TestClient) -> None:
    body = client.get("/api/graph/systems/lis").json()
    assert body["system"]["id"] == "lis" and body["symptoms"] and body["articles"]
    page = client.get("/systems/lis")
    assert page.status_code == 200 and "<svg" in page.text and 'href="/articles/lis-' in page.text


def test_graph_bad_input_is_422_naming_the_parameter(client: TestClient) -> None:
    for params, name in (({"text": ""}, "text"), ({"text": "x" * 2001}, "text"), ({}, "text")):
        response = client.get("/api/graph/entities", params=params)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == name
    bad = client.get("/api/graph/related", params={"system": "mri"})
    assert bad.status_code == 422 and "pacs" in bad.json()["detail"][0]["msg"]
    assert client.get("/api/graph/systems/mri").status_code == 422
    assert client.get("/systems/mri").status_code == 404
