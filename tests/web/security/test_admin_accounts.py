"""What admins do to accounts: link them to engineer profiles, disable and enable them."""

from __future__ import annotations

from tests.web.security.conftest import ENGINEER, Env, add_password_user
from weibao.core.db import session_scope
from weibao.routing.models import Engineer


def _second_engineer(env: Env) -> None:
    with session_scope(env.database.sessions) as session:
        session.add(Engineer(id="eng-2", name="二线", tier="L2", systems={}, tags=[], departments={},
                             regions=[], shifts=[], max_open=5))


def test_admin_links_and_unlinks_an_account(env: Env) -> None:
    _second_engineer(env)
    admin = env.client("admin")
    add_password_user(env, "eng-new")
    linked = admin.put("/api/engineers/eng-2/account", json={"username": "eng-new"})
    assert linked.status_code == 200 and linked.json()["account"] == "eng-new"
    listed = {e["id"]: e["account"] for e in admin.get("/api/engineers").json()}
    assert listed == {ENGINEER: "engineer", "eng-2": "eng-new"}
    assert admin.put("/api/engineers/eng-2/account", json={"username": None}).json()["account"] is None


def test_when_the_account_is_wrong_the_refusal_names_the_field(env: Env) -> None:
    _second_engineer(env)
    admin = env.client("admin")
    taken = admin.put("/api/engineers/eng-2/account", json={"username": "engineer"})
    assert taken.status_code == 409 and ENGINEER in taken.json()["detail"]
    clinician = admin.put("/api/engineers/eng-2/account", json={"username": "clinician"})
    assert clinician.status_code == 422 and clinician.json()["detail"][0]["loc"][-1] == "username"
    nobody = admin.put("/api/engineers/eng-2/account", json={"username": "nobody"})
    assert nobody.status_code == 404 and "nobody" in nobody.json()["detail"]
    assert admin.put("/api/engineers/eng-x/account", json={"username": "engineer"}).status_code == 404
    assert env.client("manager").put("/api/engineers/eng-2/account", json={"username": "engineer"}).status_code == 403


def test_an_admin_disables_a_user_whose_tokens_then_stop_working(env: Env) -> None:
    admin = env.client("admin")
    clinician_id = env.user_ids["clinician"]
    assert env.client("clinician").get("/api/me").status_code == 200
    disabled = admin.put(f"/api/users/{clinician_id}/active", json={"active": False})
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    assert env.client("clinician").get("/api/me").status_code == 401
    events = admin.get("/api/audit", params={"action": "user.disabled"}).json()
    assert any(e["target"] == "user:clinician" for e in events)
    assert admin.put(f"/api/users/{env.user_ids['admin']}/active", json={"active": False}).status_code == 409
    assert admin.put(f"/api/users/{clinician_id}/active", json={"active": "no"}).status_code == 422
    enabled = admin.put(f"/api/users/{clinician_id}/active", json={"active": True})
    assert enabled.json()["is_active"] is True
    # Enabling does not bring the revoked token back: a new one must be issued.
    assert env.client("clinician").get("/api/me").status_code == 401
