"""Bad input never gives a 500, and every refusal names the field.

NUL (PostgreSQL text cannot hold it) and lone surrogates (UTF-8 cannot encode them) are
planted in each string of every route's example request — path parameters, query
parameters, JSON bodies and form fields — one field at a time, on SQLite and PostgreSQL.
The routes come from the route matrix, so a new route is covered as soon as it has an
example there.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.exceptions import RequestValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request

from tests.web.security.conftest import HOSPITAL_A, Env
from tests.web.security.test_route_matrix import EXAMPLES
from weibao.core import accounts
from weibao.core.accounts import AccountError
from weibao.core.db import Database, session_scope
from weibao.web.security.errors import wants_json

NUL = "\x00"
SURROGATE = "\ud800"
Loc = tuple[str | int, ...]


def _strings(value: Any, loc: Loc) -> Iterator[Loc]:
    """The location of every string in a JSON-like value."""
    if isinstance(value, str):
        yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*loc, index))


def _plant(value: Any, loc: Loc, bad: str) -> Any:
    """A copy of value with `bad` appended to the string at loc."""
    if not loc:
        return value + bad
    head, *rest = loc
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _plant(value[head], tuple(rest), bad)  # type: ignore[index]
    return copy


def _path_variants(template: str, url: str, bad: str) -> Iterator[tuple[str, str]]:
    """(url with `bad` in one path parameter, that parameter's name)."""
    names = template.strip("/").split("/")
    parts = url.strip("/").split("/")
    for index, name in enumerate(names):
        if name.startswith("{"):
            planted = list(parts)
            planted[index] += quote(bad)
            yield "/" + "/".join(planted), name.strip("{}")


def _assert_refused(response: Any, loc: Loc, label: str) -> None:
    assert response.status_code == 422, f"{label}: {response.status_code} {response.text[:200]}"
    if response.headers["content-type"].startswith("application/json"):
        detail = response.json()["detail"]
        assert detail[0]["loc"] == list(loc), f"{label}: {detail}"
        assert detail[0]["msg"] and detail[0]["type"], label
        assert "input" not in detail[0], f"{label}: the bad input is echoed"
    else:  # a page: the UI language (Chinese by default), naming the field
        assert response.headers["content-type"].startswith("text/html"), label
        assert f"“{loc[-1]}”" in response.text and "请删除后再提交" in response.text, label


def _requests(env: Env) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for (method, template), example in EXAMPLES.items():
        url, kwargs = example.request(env, "admin")
        yield method, template, url, kwargs


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_bad_characters_in_any_field_of_any_route_are_refused_naming_the_field(
    env: Env, bad: str
) -> None:
    client = env.client("admin", raise_server_exceptions=False)
    checked = 0
    for method, template, url, kwargs in _requests(env):
        label = f"{method} {template}"
        # A lone surrogate can only arrive through a JSON escape: a URL or a form is
        # percent-encoded UTF-8, which the server decodes with replacement.
        if bad == NUL:
            for planted_url, name in _path_variants(template, url, bad):
                response = client.request(method, planted_url, **kwargs)
                _assert_refused(response, ("path", name), f"{label} path {name}")
                checked += 1
            for key in kwargs.get("params", {}):
                if isinstance(kwargs["params"][key], str):
                    params = {**kwargs["params"], key: kwargs["params"][key] + bad}
                    response = client.request(method, url, **{**kwargs, "params": params})
                    _assert_refused(response, ("query", key), f"{label} query {key}")
                    checked += 1
            for loc in _strings(kwargs.get("data", {}), ()):
                data = _plant(kwargs["data"], loc, bad)
                response = client.request(method, url, **{**kwargs, "data": data})
                _assert_refused(response, ("body", *loc), f"{label} form {loc}")
                checked += 1
        for loc in _strings(kwargs.get("json", {}), ()):
            rest = {k: v for k, v in kwargs.items() if k != "json"}
            # ensure_ascii: the request carries the \\u0000 or \\ud800 escape, as a client would.
            content = json.dumps(_plant(kwargs["json"], loc, bad)).encode()
            response = client.request(
                method, url, content=content, headers={"content-type": "application/json"}, **rest
            )
            _assert_refused(response, ("body", *loc), f"{label} json {loc}")
            checked += 1
    assert checked >= (50 if bad == NUL else 15)


def test_nul_in_an_anonymous_sign_in_is_refused_before_any_query(env: Env) -> None:
    client = env.client(raise_server_exceptions=False)
    response = client.post("/login", data={"username": "a\x00b", "password": "whatever-long"})
    _assert_refused(response, ("body", "username"), "POST /login")
    response = client.get("/api/search", params={"q": "打印机\x00"})
    _assert_refused(response, ("query", "q"), "GET /api/search")


def test_page_refusal_speaks_the_ui_language(env: Env) -> None:
    client = env.client("admin", raise_server_exceptions=False, cookies={"lang": "en"})
    response = client.post("/tickets/new", data={"title": "printer\x00", "hospital_id": HOSPITAL_A})
    assert response.status_code == 422
    assert "“title” contains a character that is not allowed" in response.text


def test_page_refusal_names_the_item_of_a_list_valued_form_field(env: Env) -> None:
    # The second of two values of a list[str] form field: named by field and index,
    # as FastAPI names a list item's own validation errors.
    url, kwargs = EXAMPLES[("POST", "/changes")].request(env, "admin")
    data = {**kwargs["data"], "systems": ["his", "pacs\x00"]}
    for lang, expected in (("zh", "“systems”中序号为“1”的项中含有不允许的空字符"),
                           ("en", "“systems” item “1” contains a character that is not allowed")):
        client = env.client("admin", raise_server_exceptions=False, cookies={"lang": lang})
        response = client.post(url, data=data)
        assert response.status_code == 422
        assert expected in response.text, response.text[-400:]


def test_bad_character_in_a_json_key_and_a_nested_list_is_named(env: Env) -> None:
    client = env.client("admin", raise_server_exceptions=False)
    body = {"alerts": [{"status": "firing", "labels": {"alertname": "X", "in\x00stance": "a"}}]}
    response = client.post(
        "/api/alerts", params={"hospital_id": HOSPITAL_A}, content=json.dumps(body),
        headers={"content-type": "application/json"},
    )
    _assert_refused(response, ("body", "alerts", 0, "labels", "in\\u0000stance"), "json key")


def test_refusal_happens_before_the_body_reaches_the_handler(env: Env) -> None:
    client = env.client("admin", raise_server_exceptions=False)
    before = len(env.client("admin").get("/api/tickets").json())
    response = client.post("/api/tickets", json={"hospital_id": HOSPITAL_A, "title": "坏了\x00"})
    assert response.status_code == 422
    assert len(env.client("admin").get("/api/tickets").json()) == before
    # A good body read by the middleware is still handed over whole to the app.
    response = client.post("/api/tickets", json={"hospital_id": HOSPITAL_A, "title": "打印机坏了"})
    assert response.status_code == 201, response.text


def test_body_that_is_not_utf8_and_not_json_gets_a_422_not_a_500(env: Env) -> None:
    client = env.client("admin", raise_server_exceptions=False)
    response = client.post(
        "/api/tickets", content=b"\xff\xfe\x00title", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_validation_handler_never_crashes_on_input_it_cannot_encode(env: Env) -> None:
    handler = env.app.exception_handlers[RequestValidationError]
    request = Request({"type": "http", "method": "POST", "path": "/api/tickets", "headers": []})
    exc = RequestValidationError(
        [{"loc": ("body", "title"), "msg": "bad", "type": "value_error", "input": "x\ud800",
          "ctx": {"error": ValueError("y\udfff")}},
         {"loc": ("body",), "msg": "bad", "type": "model_attributes_type", "input": b"\xff"}]
    )
    response = asyncio.run(handler(request, exc))
    assert response.status_code == 422
    detail = json.loads(response.body)["detail"]
    assert [d["loc"] for d in detail] == [["body", "title"], ["body"]]
    assert wants_json(request)


# Hospitals: the time zone, and duplicates


def test_unknown_time_zone_is_refused_naming_the_field(env: Env) -> None:
    admin = env.client("admin", raise_server_exceptions=False)
    for zone in ("Mars/Olympus", "../etc/passwd", "", "Asia"):
        response = admin.post(
            "/api/admin/hospitals", json={"id": env.unique("h-tz"), "name": "新院", "timezone": zone}
        )
        assert response.status_code == 422, (zone, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", "timezone"]
    response = admin.post(
        "/api/admin/hospitals", json={"id": "h-xj", "name": "新疆", "timezone": "Asia/Urumqi"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["timezone"] == "Asia/Urumqi"


def test_create_hospital_refuses_an_unknown_time_zone(env: Env) -> None:
    with session_scope(env.database.sessions) as session:
        with pytest.raises(AccountError, match=r"^timezone: "):
            accounts.create_hospital(
                session=session, hospital_id="h-mars", name="火星", timezone="Mars/Olympus"
            )
        assert accounts.get_hospital(session=session, hospital_id="h-mars") is None


def test_duplicates_answer_409_naming_the_field(env: Env) -> None:
    admin = env.client("admin", raise_server_exceptions=False)
    response = admin.post("/api/users", json={"username": "clinician", "role": "engineer"})
    assert response.status_code == 409, response.text
    assert response.json()["detail"].startswith("username: ")
    response = admin.post("/api/admin/hospitals", json={"id": HOSPITAL_A, "name": "重复"})
    assert response.status_code == 409, response.text
    assert response.json()["detail"].startswith("id: ")
    # Other refusals of the same routes stay 422, naming their field.
    response = admin.post(
        "/api/users", json={"username": env.unique("u"), "role": "clinician", "hospital_id": "h-none"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "hospital_id"]


# The engine


def test_failed_statements_do_not_carry_their_parameters(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert database.engine.hide_parameters
        with database.engine.connect() as conn, pytest.raises(DBAPIError) as caught:
            # Fails on both databases: the bound value is a phone number.
            conn.execute(text("SELECT * FROM no_such_table WHERE x = :phone"), {"phone": "13812345678"})
        assert "13812345678" not in str(caught.value)
    finally:
        database.engine.dispose()
