"""Every route, called as every role, as another hospital's member and anonymously.

The routes come from the app's own table: a route without a declared permission, or
without an example request below, fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.estate.route_examples import ESTATE_EXAMPLES
from tests.inspections.route_examples import INSPECTION_EXAMPLES
from tests.service.route_examples import SERVICE_EXAMPLES
from tests.training.route_examples import TRAINING_EXAMPLES
from tests.web.authoring_route_examples import AUTHORING_EXAMPLES
from tests.web.desk_route_examples import DESK_EXAMPLES
from tests.web.followup_route_examples import FOLLOWUP_EXAMPLES
from tests.web.security.conftest import ENGINEER, HOSPITAL_A, PEOPLE, Env, csrf_from
from tests.web.understanding_route_examples import UNDERSTANDING_EXAMPLES
from weibao.core import accounts
from weibao.core.db import session_scope
from weibao.web.security.policy import allows, iter_api_routes

CALLERS = ["anonymous", *PEOPLE]


def role_of(who: str) -> str:
    return "anonymous" if who == "anonymous" else PEOPLE[who][0]


def hospital_of(who: str) -> str | None:
    return None if who == "anonymous" else PEOPLE[who][1]


@dataclass
class Example:
    """How to call a route as `who`, and the status when the policy lets `who` in."""

    request: Callable[[Env, str], tuple[str, dict[str, Any]]]
    ok: Callable[[str], int] | int = 200


def _fresh_token_of(env: Env, who: str) -> int:
    with session_scope(env.database.sessions) as session:
        user_id = env.user_ids.get(who, env.user_ids["admin"])
        user = accounts.get_user(session=session, user_id=user_id)
        token, _ = accounts.create_token(session=session, user=user)  # type: ignore[arg-type]
        return token.id


def _users_target_ok(who: str) -> int:
    # The target belongs to hospital A: hospital-bound readers elsewhere do not see it.
    if PEOPLE[who][1] not in (None, HOSPITAL_A):
        return 404
    return 200


def _new_ticket(who: str) -> dict[str, str]:
    body = {"title": "检验科打印机打不出条码"}
    if hospital_of(who) is None:
        body["hospital_id"] = HOSPITAL_A  # vendor roles name the hospital
    return body


def _ticket_ok(ok: int = 200) -> Callable[[str], int]:
    def status(who: str) -> int:
        return 404 if hospital_of(who) not in (None, HOSPITAL_A) else ok

    return status


EXAMPLES: dict[tuple[str, str], Example] = {
    ("GET", "/healthz"): Example(lambda e, w: ("/healthz", {})),
    ("GET", "/metrics"): Example(lambda e, w: ("/metrics", {})),
    ("GET", "/api/search"): Example(lambda e, w: ("/api/search", {"params": {"q": "打印机"}})),
    ("GET", "/api/articles/{article_id}"): Example(lambda e, w: ("/api/articles/a-1", {})),
    ("GET", "/api/me"): Example(lambda e, w: ("/api/me", {})),
    ("GET", "/api/tokens"): Example(lambda e, w: ("/api/tokens", {})),
    ("POST", "/api/tokens"): Example(lambda e, w: ("/api/tokens", {"json": {"name": "x"}}), 201),
    ("DELETE", "/api/tokens/{token_id}"): Example(
        lambda e, w: (f"/api/tokens/{_fresh_token_of(e, w)}", {}), 204
    ),
    ("GET", "/api/users"): Example(lambda e, w: ("/api/users", {})),
    ("GET", "/api/users/{user_id}"): Example(
        lambda e, w: (f"/api/users/{e.user_ids['clinician']}", {}), _users_target_ok
    ),
    ("POST", "/api/users"): Example(
        lambda e, w: (
            "/api/users",
            {"json": {"username": e.unique("u"), "role": "clinician", "hospital_id": HOSPITAL_A}},
        ),
        201,
    ),
    ("PUT", "/api/users/{user_id}/active"): Example(
        lambda e, w: (f"/api/users/{e.user_ids['clinician_b']}/active", {"json": {"active": True}})
    ),
    ("GET", "/api/admin/hospitals"): Example(lambda e, w: ("/api/admin/hospitals", {})),
    ("POST", "/api/admin/hospitals"): Example(
        lambda e, w: ("/api/admin/hospitals", {"json": {"id": e.unique("h-n"), "name": "新"}}),
        201,
    ),
    ("GET", "/api/audit"): Example(lambda e, w: ("/api/audit", {"params": {"limit": 5}})),
    ("POST", "/api/chat"): Example(lambda e, w: ("/api/chat", {"json": {"message": "你好"}})),
    # Pages: anonymous callers are sent to /login instead of a 401.
    ("GET", "/"): Example(lambda e, w: ("/", {"params": {"q": "打印"}})),
    ("GET", "/articles/{article_id}"): Example(lambda e, w: ("/articles/a-1", {})),
    ("GET", "/login"): Example(lambda e, w: ("/login", {})),
    ("POST", "/login"): Example(
        lambda e, w: ("/login", {"data": {"username": "nobody", "password": "wrong-one"}}), 401
    ),
    ("POST", "/logout"): Example(lambda e, w: ("/logout", {"data": {}}), 303),
    ("GET", "/account/password"): Example(lambda e, w: ("/account/password", {})),
    ("POST", "/account/password"): Example(
        lambda e, w: (
            "/account/password",
            {"data": {"current": "not-it", "new": "n" * 12, "repeat": "n" * 12}},
        ),
        422,  # the current password is wrong: the policy let the caller in
    ),
    ("GET", "/audit"): Example(lambda e, w: ("/audit", {"params": {"action": "auth."}})),
    # Tickets: the ticket belongs to hospital A; members of hospital B get 404, as if unknown.
    ("POST", "/api/tickets"): Example(lambda e, w: ("/api/tickets", {"json": _new_ticket(w)}), 201),
    ("GET", "/api/tickets"): Example(lambda e, w: ("/api/tickets", {"params": {"status": "open"}})),
    ("GET", "/api/tickets/{code}"): Example(lambda e, w: (f"/api/tickets/{e.new_ticket()}", {}), _ticket_ok()),
    ("POST", "/api/tickets/{code}/transition"): Example(
        lambda e, w: (f"/api/tickets/{e.new_ticket()}/transition", {"json": {"status": "in_progress"}})
    ),
    ("POST", "/api/tickets/{code}/comments"): Example(
        lambda e, w: (f"/api/tickets/{e.new_ticket()}/comments", {"json": {"body": "已重启"}}), _ticket_ok(201)
    ),
    ("POST", "/api/tickets/{code}/resolve"): Example(
        lambda e, w: (
            f"/api/tickets/{e.new_ticket()}/resolve",
            {"json": {"root_cause": "碳带用完", "fix_steps": ["更换碳带"]}},
        )
    ),
    ("POST", "/api/tickets/{code}/reassign"): Example(
        lambda e, w: (f"/api/tickets/{e.new_ticket()}/reassign", {"json": {"engineer_id": ENGINEER, "reason": "换人"}})
    ),
    ("POST", "/api/tickets/{code}/escalate"): Example(
        lambda e, w: (f"/api/tickets/{e.new_ticket()}/escalate", {"json": {"reason": "测试"}})
    ),
    ("POST", "/api/tickets/{code}/promote"): Example(
        lambda e, w: (f"/api/tickets/{e.new_ticket(resolved=True)}/promote", {}), 201
    ),
    ("POST", "/api/alerts"): Example(
        lambda e, w: ("/api/alerts", {
            "params": {} if hospital_of(w) else {"hospital_id": HOSPITAL_A},
            "json": {"alerts": [{"status": "firing", "labels": {"alertname": "HisDbDown", "instance": w}}]},
        })
    ),
    # Resolved cases are the indexed, masked text: readable wherever search is.
    ("GET", "/api/cases/{code}"): Example(lambda e, w: (f"/api/cases/{e.new_ticket(resolved=True)}", {})),
    ("GET", "/cases/{code}"): Example(lambda e, w: (f"/cases/{e.new_ticket(resolved=True)}", {})),
    ("GET", "/api/graph/entities"): Example(lambda e, w: ("/api/graph/entities", {"params": {"text": "片子打不开"}})),
    ("GET", "/api/graph/related"): Example(lambda e, w: ("/api/graph/related", {"params": {"system": "pacs"}})),
    ("GET", "/api/graph/systems/{system_id}"): Example(lambda e, w: ("/api/graph/systems/pacs", {})),
    ("GET", "/systems/{system_id}"): Example(lambda e, w: ("/systems/pacs", {}), 404),  # no graph here
    ("GET", "/api/hospitals"): Example(lambda e, w: ("/api/hospitals", {})),
    ("GET", "/api/engineers"): Example(lambda e, w: ("/api/engineers", {})),
    ("GET", "/api/engineers/{engineer_id}/queue"): Example(
        lambda e, w: (f"/api/engineers/{ENGINEER}/queue", {})
    ),
    ("PUT", "/api/engineers/{engineer_id}/account"): Example(
        lambda e, w: (f"/api/engineers/{ENGINEER}/account", {"json": {"username": "engineer"}})
    ),
    ("GET", "/tickets/new"): Example(lambda e, w: ("/tickets/new", {"params": {"title": "打印"}})),
    ("POST", "/tickets/new"): Example(
        lambda e, w: ("/tickets/new", {"data": {"title": "打印机坏了", "hospital_id": HOSPITAL_A}}),
        303,  # hospital users file for their own hospital whatever the form says
    ),
    ("GET", "/tickets/{code}"): Example(lambda e, w: (f"/tickets/{e.new_ticket()}", {}), _ticket_ok()),
    ("POST", "/tickets/{code}/status"): Example(
        lambda e, w: (f"/tickets/{e.new_ticket()}/status", {"data": {"status": "in_progress"}}), 303
    ),
    ("GET", "/queue"): Example(lambda e, w: ("/queue", {"params": {"engineer": ENGINEER}})),
    ("GET", "/queue/unassigned"): Example(lambda e, w: ("/queue/unassigned", {})),
}

EXAMPLES.update({key: Example(build, ok) for key, (build, ok) in ESTATE_EXAMPLES.items()})
EXAMPLES.update({key: Example(build, ok) for key, (build, ok) in DESK_EXAMPLES.items()})
EXAMPLES.update({key: Example(build, ok) for key, (build, ok) in SERVICE_EXAMPLES.items()})
EXAMPLES.update({key: Example(build, ok) for key, (build, ok) in FOLLOWUP_EXAMPLES.items()})
EXAMPLES.update({key: Example(build, ok) for key, (build, ok) in AUTHORING_EXAMPLES.items()})
EXAMPLES.update({key: Example(build, ok) for key, (build, ok) in INSPECTION_EXAMPLES.items()})
EXAMPLES.update({key: Example(build, ok) for key, (build, ok) in UNDERSTANDING_EXAMPLES.items()})
EXAMPLES.update({key: Example(build, ok) for key, (build, ok) in TRAINING_EXAMPLES.items()})


def expected_status(permission: str, path: str, who: str, example: Example) -> int:
    role = role_of(who)
    if not allows(permission, role, public_search=True):
        if role == "anonymous":
            return 401 if path.startswith("/api") or path == "/healthz" else 303
        return 403
    return example.ok(who) if callable(example.ok) else example.ok


def test_every_route_declares_a_permission_and_has_an_example(env: Env) -> None:
    routes = list(iter_api_routes(env.app.routes))
    assert routes
    for route in routes:
        assert route.permission is not None, f"{route.path} declares no permission"
        for method in route.methods - {"HEAD"}:
            assert (method, route.path) in EXAMPLES, f"add an example for {method} {route.path}"


@pytest.mark.parametrize("who", CALLERS)
def test_route_matrix_as_each_caller(env: Env, who: str) -> None:
    client = env.client(None if who == "anonymous" else who)
    failures = []
    for route in iter_api_routes(env.app.routes):
        for method in sorted(route.methods - {"HEAD"}):
            example = EXAMPLES[(method, route.path)]
            url, kwargs = example.request(env, who)
            if "data" in kwargs and who == "anonymous":
                # Bearer callers are exempt from CSRF; a browser session carries the token.
                kwargs["data"]["csrf_token"] = csrf_from(client.get("/login").text)
            response = client.request(method, url, **kwargs)
            want = expected_status(route.permission or "", route.path, who, example)
            if response.status_code != want:
                failures.append(f"{method} {url}: {response.status_code} != {want}")
            if response.status_code == 303 and want == 303 and who == "anonymous":
                location = response.headers["location"]
                assert location.startswith(("/login?next=", "/")), location
    assert not failures, f"as {who}:\n" + "\n".join(failures)


def test_anonymous_search_needs_sign_in_when_public_search_is_off(
    database_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from tests.web.security.conftest import build_env

    env = build_env(tmp_path, database_url, public_search=False)
    assert env.client().get("/api/search", params={"q": "x"}).status_code == 401
    page = env.client().get("/")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2F"
    assert env.client("clinician").get("/api/search", params={"q": "x"}).status_code == 200


def test_denials_answer_with_a_message_and_are_audited(env: Env) -> None:
    response = env.client("clinician").get("/api/audit")
    assert response.status_code == 403
    assert "audit.read" in response.json()["detail"]
    anonymous = env.client().get("/api/me")
    assert anonymous.status_code == 401 and anonymous.json()["detail"]
    assert anonymous.headers["www-authenticate"] == "Bearer"
    events = env.client("manager").get("/api/audit", params={"action": "auth.denied"}).json()
    assert any(e["actor_name"] == "clinician" and e["target"] == "GET /api/audit" for e in events)


def test_forbidden_page_is_html_for_a_signed_in_caller(env: Env) -> None:
    response = env.client("engineer").get("/audit")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
