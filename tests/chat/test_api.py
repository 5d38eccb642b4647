"""POST /api/chat: shape, policy, bad input, and the session cookie with its CSRF header."""

from __future__ import annotations

import pytest

from tests.chat.conftest import OTHER_HOSPITAL, OWN_TICKET, Web


def test_a_conversation_through_the_api(web: Web) -> None:
    client = web.client("nurse")
    first = client.post("/api/chat", json={"message": "打印不出来"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["follow_up"] and body["new_session"] is True and body["citations"] == []
    assert body["understood"] == {"systems": [], "symptoms": ["print_failure"], "department": None}
    second = client.post(
        "/api/chat", json={"session_id": body["session_id"], "message": "腕带"}
    ).json()
    assert second["session_id"] == body["session_id"] and second["new_session"] is False
    assert second["language"] == "zh" and second["confidence"] > 0.3
    citation = second["citations"][0]
    assert set(citation) == {"id", "kind", "title", "url", "passage"}
    assert citation["url"].startswith(("/articles/", "/cases/")) and citation["passage"]
    assert second["actions"][0]["type"] == "show_article"
    third = client.post(
        "/api/chat", json={"session_id": body["session_id"], "message": "还是不行"}
    ).json()
    (action,) = third["actions"]
    assert action["type"] == "open_ticket" and action["prefill"]["system"] == "nursing"
    assert action["prefill"]["hospital_id"] == "h-bjhd"


def test_hospital_staff_cannot_chat_for_another_hospital(web: Web) -> None:
    # hospital_id in the body is ignored for hospital staff: their own hospital counts.
    body = web.client("nurse_b").post(
        "/api/chat", json={"message": f"status of {OWN_TICKET}", "hospital_id": "h-bjhd"}
    ).json()
    assert body["actions"] == [] and "could not find" in body["reply"]
    vendor = web.client("engineer").post(
        "/api/chat", json={"message": f"status of {OWN_TICKET}"}
    ).json()
    assert vendor["actions"][0]["code"] == OWN_TICKET
    scoped = web.client("engineer").post(
        "/api/chat", json={"message": f"status of {OWN_TICKET}", "hospital_id": OTHER_HOSPITAL}
    ).json()
    assert scoped["actions"] == []


def test_someone_elses_session_id_is_a_new_session(web: Web) -> None:
    mine = web.client("nurse").post("/api/chat", json={"message": "打印不出来"}).json()
    theirs = web.client("nurse_b").post(
        "/api/chat", json={"session_id": mine["session_id"], "message": "腕带"}
    ).json()
    assert theirs["new_session"] and theirs["session_id"] != mine["session_id"]


@pytest.mark.parametrize(
    "message", ["", "   ", "x" * 2001], ids=["empty", "blank", "2001 characters"]
)
def test_bad_message_is_422_naming_message(web: Web, message: str) -> None:
    response = web.client("nurse").post("/api/chat", json={"message": message})
    assert response.status_code == 422
    assert any(err["loc"][-1] == "message" for err in response.json()["detail"])


def test_missing_message_is_422_and_2000_characters_are_fine(web: Web) -> None:
    missing = web.client("nurse").post("/api/chat", json={})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "message"
    assert web.client("nurse").post("/api/chat", json={"message": "卡" * 2000}).status_code == 200


def test_anonymous_callers_must_sign_in(web: Web) -> None:
    assert web.client().post("/api/chat", json={"message": "你好"}).status_code == 401


def test_browser_session_needs_the_csrf_header(web: Web) -> None:
    from tests.web.security.conftest import csrf_from

    client = web.client()
    page = client.get("/login")
    client.post(
        "/login",
        data={"username": "nurse", "password": "correct-horse-battery", "csrf_token": csrf_from(page.text)},
    )
    assert client.post("/api/chat", json={"message": "你好"}).status_code == 403
    search = client.get("/")
    token = search.text.split('data-csrf="')[1].split('"')[0]
    ok = client.post("/api/chat", json={"message": "你好"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["reply"]


def test_chat_is_rate_limited(seeded_services, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.chat.conftest import build_web

    web = build_web(seeded_services, tmp_path)
    web.app.state.settings = web.app.state.settings.model_copy(update={"chat_rate_per_minute": 2})
    client = web.client("nurse")
    codes = [client.post("/api/chat", json={"message": "你好"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_openapi_lists_the_exact_shapes(web: Web) -> None:
    schema = web.client().get("/openapi.json").json()
    op = schema["paths"]["/api/chat"]["post"]
    assert "422" in op["responses"] and "429" in op["responses"]
    components = schema["components"]["schemas"]
    message = components["ChatIn"]["properties"]["message"]
    assert message["minLength"] == 1 and message["maxLength"] == 2000
    assert set(components["ChatOut"]["required"]) >= {
        "session_id", "reply", "language", "citations", "understood", "actions", "confidence",
        "new_session",
    }
