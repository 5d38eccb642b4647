"""Remote access through the API: request → approve → check → expire, refusals, break-glass."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.estate.conftest import START, EstateEnv
from tests.web.security.conftest import ENGINEER, HOSPITAL_A, HOSPITAL_B
from weibao.routing.planning import TicketDraft


def _ask(e: EstateEnv, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {"hospital_id": HOSPITAL_A, "system": "his",
                               "purpose": "排查门诊收费慢", "minutes": 60}
    body.update(overrides)
    response = e.env.client("engineer").post("/api/remote-access", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _check(e: EstateEnv, who: str, system: str = "his") -> dict[str, object]:
    response = e.env.client(who).get("/api/remote-access/check",
                                     params={"engineer": ENGINEER, "system": system})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _actions(e: EstateEnv) -> list[str]:
    events = e.env.client("manager").get("/api/audit", params={"action": "remote_access.", "limit": 500})
    return [event["action"] for event in events.json()]


def test_request_approve_check_expire_then_denied(estate_env: EstateEnv) -> None:
    e = estate_env
    asked = _ask(e)
    assert asked["status"] == "pending" and asked["expires_at"] is None
    assert asked["engineer_id"] == ENGINEER
    assert _check(e, "hospital_it")["allowed"] is False  # not approved yet

    approved = e.env.client("hospital_it").post(f"/api/remote-access/{asked['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert datetime.fromisoformat(approved.json()["expires_at"]) == START + timedelta(minutes=60)

    allowed = _check(e, "hospital_it")
    assert allowed["allowed"] is True
    assert datetime.fromisoformat(str(allowed["expires_at"])) == START + timedelta(minutes=60)
    assert _check(e, "hospital_it", system="lis")["allowed"] is False  # another system

    e.clock.advance(minutes=59)
    assert _check(e, "hospital_it")["allowed"] is True
    e.clock.advance(minutes=2)
    after = _check(e, "hospital_it")
    assert after == {**after, "allowed": False, "expires_at": None}
    listed = e.env.client("hospital_it").get(f"/api/remote-access/{asked['id']}").json()
    assert listed["status"] == "expired" and listed["ended_at"]
    actions = _actions(e)
    for action in ("remote_access.requested", "remote_access.approved", "remote_access.started",
                   "remote_access.ended", "remote_access.check_denied"):
        assert action in actions
    assert actions.count("remote_access.started") == 1 and actions.count("remote_access.ended") == 1


def test_another_hospitals_token_learns_nothing(estate_env: EstateEnv) -> None:
    e = estate_env
    asked = _ask(e)
    e.env.client("hospital_it").post(f"/api/remote-access/{asked['id']}/approve")
    assert _check(e, "hospital_it")["allowed"] is True
    other = _check(e, "hospital_it_b")
    assert other["allowed"] is False and other["expires_at"] is None and other["hospital_id"] == HOSPITAL_B
    # Naming the other hospital does not help: the token's hospital is the one asked about.
    named = e.env.client("hospital_it_b").get(
        "/api/remote-access/check", params={"engineer": ENGINEER, "system": "his", "hospital_id": HOSPITAL_A})
    assert named.json()["allowed"] is False and named.json()["hospital_id"] == HOSPITAL_B
    assert e.env.client("hospital_it_b").get(f"/api/remote-access/{asked['id']}").status_code == 404
    assert e.env.client("hospital_it_b").get("/api/remote-access").json() == []


def test_only_that_hospitals_it_or_an_admin_decides(estate_env: EstateEnv) -> None:
    e = estate_env
    asked = _ask(e)
    for who in ("hospital_it_b", "engineer", "manager", "clinician"):
        refused = e.env.client(who).post(f"/api/remote-access/{asked['id']}/approve")
        assert refused.status_code == 403, who
        assert refused.json()["detail"]
    assert e.env.client("engineer").get(f"/api/remote-access/{asked['id']}").json()["status"] == "pending"
    denied = e.env.client("admin").post(f"/api/remote-access/{asked['id']}/deny", json={"reason": "不在维护时段"})
    assert denied.status_code == 200 and denied.json()["status"] == "denied"
    assert denied.json()["expires_at"] is None
    again = e.env.client("hospital_it").post(f"/api/remote-access/{asked['id']}/approve")
    assert again.status_code == 409 and "denied" in again.json()["detail"]
    assert "remote_access.denied" in _actions(e)


def test_revoke_ends_an_active_grant(estate_env: EstateEnv) -> None:
    e = estate_env
    asked = _ask(e, minutes=120, method="remote_desktop")
    e.env.client("hospital_it").post(f"/api/remote-access/{asked['id']}/approve")
    assert _check(e, "hospital_it")["allowed"] is True
    assert e.env.client("hospital_it_b").post(f"/api/remote-access/{asked['id']}/revoke").status_code == 403
    revoked = e.env.client("hospital_it").post(f"/api/remote-access/{asked['id']}/revoke", json={"reason": "已完成"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert _check(e, "hospital_it")["allowed"] is False
    assert e.env.client("hospital_it").post(f"/api/remote-access/{asked['id']}/revoke").status_code == 409
    actions = _actions(e)
    assert "remote_access.revoked" in actions and "remote_access.ended" in actions


def test_bad_requests_name_the_field(estate_env: EstateEnv) -> None:
    client = estate_env.env.client("engineer")
    base = {"hospital_id": HOSPITAL_A, "system": "his", "purpose": "巡检", "minutes": 60}
    cases = {
        "minutes": {**base, "minutes": 241},
        "system": {**base, "system": "nope"},
        "hospital_id": {**base, "hospital_id": "h-nowhere"},
        "ticket_id": {**base, "ticket_id": "T-2026-99999"},
        "purpose": {**base, "purpose": "   "},
        "method": {**base, "method": "telnet"},
        "change_id": {**base, "change_id": 999},
    }
    for field, body in cases.items():
        response = client.post("/api/remote-access", json=body)
        assert response.status_code == 422, (field, response.text)
        assert field in response.text, field
    # The engineer needs a linked profile: the manager has none and may not ask anyway.
    assert estate_env.env.client("manager").post("/api/remote-access", json=base).status_code == 403
    assert estate_env.env.client("hospital_it").get(
        "/api/remote-access/check", params={"engineer": ENGINEER, "system": "x"}).status_code == 422
    assert estate_env.env.client("admin").get(
        "/api/remote-access/check", params={"engineer": ENGINEER, "system": "his"}).status_code == 422


def test_the_hospitals_own_maximum_applies(estate_env: EstateEnv) -> None:
    e = estate_env
    refused = e.env.client("hospital_it_b").put(f"/api/remote-access/policy/{HOSPITAL_A}", json={"max_minutes": 999})
    assert refused.status_code == 403
    set_ = e.env.client("hospital_it").put(f"/api/remote-access/policy/{HOSPITAL_A}",
                                           json={"max_minutes": 30, "contact": "it_lead"})
    assert set_.status_code == 200 and set_.json()["max_minutes"] == 30
    assert e.env.client("hospital_it").put(f"/api/remote-access/policy/{HOSPITAL_A}",
                                           json={"max_minutes": 0}).status_code == 422
    refused = e.env.client("engineer").post("/api/remote-access", json={
        "hospital_id": HOSPITAL_A, "system": "his", "purpose": "x", "minutes": 31})
    assert refused.status_code == 422 and "30" in refused.text
    assert _ask(e, minutes=30)["status"] == "pending"


def test_break_glass_for_p1_at_a_7x24_hospital_is_granted_and_listed_for_review(estate_env: EstateEnv) -> None:
    e = estate_env
    ticket, _ = e.env.desk.create(TicketDraft(hospital_id=HOSPITAL_A, title="全院HIS宕机，门诊无法挂号收费",
                                              priority="P1", priority_reason="全院停摆"))
    granted = _ask(e, ticket_id=ticket.code, break_glass=True, minutes=90)
    assert granted["status"] == "approved" and granted["break_glass"] is True
    assert datetime.fromisoformat(str(granted["expires_at"])) == START + timedelta(minutes=90)
    assert _check(e, "hospital_it")["allowed"] is True

    to_review = e.env.client("manager").get("/api/remote-access", params={"to_review": True}).json()
    assert [r["id"] for r in to_review] == [granted["id"]]
    reviewed = e.env.client("manager").post(f"/api/remote-access/{granted['id']}/review",
                                            json={"reason": "P1 处置合理"})
    assert reviewed.status_code == 200 and reviewed.json()["reviewed_by"] == "manager"
    assert e.env.client("manager").get("/api/remote-access", params={"to_review": True}).json() == []
    assert {"remote_access.break_glass", "remote_access.reviewed"} <= set(_actions(e))

    # Not P1, or not a 7x24 hospital: no break-glass.
    p3, _ = e.env.desk.create(TicketDraft(hospital_id=HOSPITAL_A, title="打印机偶尔卡纸"))
    body = {"hospital_id": HOSPITAL_A, "system": "his", "purpose": "x", "minutes": 30,
            "ticket_id": p3.code, "break_glass": True}
    refused = e.env.client("engineer").post("/api/remote-access", json=body)
    assert refused.status_code == 422 and "break_glass" in refused.text
    b_ticket, _ = e.env.desk.create(TicketDraft(hospital_id=HOSPITAL_B, title="HIS宕机", priority="P1",
                                                priority_reason="全院"))
    refused = e.env.client("engineer").post("/api/remote-access", json={
        **body, "hospital_id": HOSPITAL_B, "ticket_id": b_ticket.code})
    assert refused.status_code == 422 and "7x24" in refused.text


def test_the_page_refuses_another_hospitals_it_with_a_message(estate_env: EstateEnv) -> None:
    e = estate_env
    asked = _ask(e)
    page = e.env.client("hospital_it_b").post(f"/remote-access/{asked['id']}/approve", data={})
    assert page.status_code == 403
    assert "只有该医院的信息科或管理员可以处理此项" in page.text
    assert e.env.client("hospital_it").get(f"/api/remote-access/{asked['id']}").json()["status"] == "pending"
    english = e.env.client("hospital_it_b").post(f"/remote-access/{asked['id']}/approve?lang=en", data={})
    assert "Only that hospital" in english.text and "只有" not in english.text
    # The other hospital's page does not list the request at all.
    assert f"access-{asked['id']}" not in e.env.client("hospital_it_b").get("/remote-access").text
    assert f"access-{asked['id']}" in e.env.client("hospital_it").get("/remote-access").text


def test_hospital_it_sets_its_maximum_on_the_page(estate_env: EstateEnv) -> None:
    e = estate_env
    page = e.env.client("hospital_it").get("/remote-access")
    assert 'name="max_minutes"' in page.text and 'value="240"' in page.text
    assert e.env.client("hospital_it").post("/remote-access/policy", data={"max_minutes": "45"}).status_code == 303
    assert 'value="45"' in e.env.client("hospital_it").get("/remote-access").text
    assert 'value="240"' in e.env.client("hospital_it_b").get("/remote-access").text  # B keeps its default
    refused = e.env.client("engineer").post("/api/remote-access", json={
        "hospital_id": HOSPITAL_A, "system": "his", "purpose": "x", "minutes": 46})
    assert refused.status_code == 422


def test_the_hospital_is_notified_of_a_request(estate_env: EstateEnv) -> None:
    from sqlalchemy import select

    from weibao.core.db import session_scope
    from weibao.notify.models import NotifyChannel, OutboxMessage

    e = estate_env
    with session_scope(e.env.database.sessions) as session:
        session.add(NotifyChannel(owner_kind="hospital", owner_id=HOSPITAL_A, kind="email",
                                  target="it@hospital-a.example", topics=[]))
        session.add(NotifyChannel(owner_kind="hospital", owner_id=HOSPITAL_A, kind="email",
                                  target="sla@hospital-a.example", topics=["sla_warning"]))
    _ask(e)
    with session_scope(e.env.database.sessions) as session:
        sent = list(session.scalars(select(OutboxMessage)))
        assert len(sent) == 1 and sent[0].hospital_id == HOSPITAL_A and sent[0].topic == "remote_access"
        assert "远程访问申请" in sent[0].subject and "医院信息系统" in sent[0].body
