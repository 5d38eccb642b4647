"""`PATCH /api/tickets/{code}`: engineers and admins correct triage; the SLA follows the
priority, the correction is kept beside the prediction and feeds training."""

from __future__ import annotations

from datetime import datetime

from weibao.core.db import session_scope
from weibao.routing.training import ticket_samples


def _new_ticket(as_user) -> dict:  # type: ignore[no-untyped-def]
    response = as_user("it_hz").post("/api/tickets", json={"title": "门诊三楼打印机打不出处方", "description": "点了没反应"})
    assert response.status_code == 201, response.text
    return response.json()


def test_engineer_corrects_labels_and_priority_and_the_sla_follows(as_user, seeded_services) -> None:  # type: ignore[no-untyped-def]
    created = _new_ticket(as_user)
    code = created["id"]
    before_due = datetime.fromisoformat(created["sla"]["resolution_due"])
    response = as_user("engineer").patch(f"/api/tickets/{code}", json={
        "systems": ["pharmacy", "terminal"], "symptoms": ["print_failure"], "priority": "P1",
        "reason": "整个门诊药房都打不了处方"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["priority"] == "P1" and body["triage"]["system"] == "pharmacy"
    assert datetime.fromisoformat(body["sla"]["resolution_due"]) < before_due  # P1: 4 h instead of more
    assert body["events"][-1]["kind"] == "corrected"
    listed = as_user("it_hz").get(f"/api/tickets/{code}/corrections").json()
    assert listed[-1]["systems"] == ["pharmacy", "terminal"] and listed[-1]["priority"] == "P1"
    assert listed[-1]["predicted"]["priority"] == created["priority"]
    assert listed[-1]["reason"] == "整个门诊药房都打不了处方"
    # The ticket's own fields follow (first label), and training reads the corrected labels.
    ticket = seeded_services.desk.get(code)
    assert (ticket.system, ticket.symptom, ticket.priority) == ("pharmacy", "print_failure", "P1")
    with session_scope(seeded_services.database.sessions) as session:
        samples = [s for s in ticket_samples(session) if s.text.startswith("门诊三楼打印机打不出处方")]
    assert samples and samples[-1].systems == ("pharmacy", "terminal") and samples[-1].source == "correction"


def test_a_label_only_correction_leaves_priority_and_sla_alone(as_user) -> None:  # type: ignore[no-untyped-def]
    created = _new_ticket(as_user)
    response = as_user("admin_ops").patch(f"/api/tickets/{created['id']}", json={
        "symptoms": ["device_connect"], "reason": "是打印机没连上"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["priority"] == created["priority"]
    assert body["sla"]["resolution_due"] == created["sla"]["resolution_due"]


def test_hospital_staff_and_managers_may_not_correct(as_user) -> None:  # type: ignore[no-untyped-def]
    code = _new_ticket(as_user)["id"]
    for who in ("it_hz", "nurse_hz", "manager"):
        assert as_user(who).patch(f"/api/tickets/{code}", json={"priority": "P1", "reason": "急"}).status_code == 403


def test_bad_corrections_name_the_field_and_store_nothing(as_user) -> None:  # type: ignore[no-untyped-def]
    code = _new_ticket(as_user)["id"]
    engineer = as_user("engineer")
    cases = [
        ({"systems": ["printer"], "reason": "x"}, "systems"),
        ({"symptoms": [], "reason": "x"}, "symptoms"),
        ({"priority": "P9", "reason": "x"}, "priority"),
        ({"priority": "P1"}, "reason"),
        ({"priority": "P1", "reason": ""}, "reason"),
        ({"reason": "nothing to correct"}, "systems"),
        ({"systems": ["his", "his"], "reason": "x"}, "systems"),
        ({"priority": "P1", "reason": "x", "department": "icu"}, "department"),
    ]
    for body, field in cases:
        response = engineer.patch(f"/api/tickets/{code}", json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in str(response.json()["detail"]), (body, response.text)
    assert engineer.get(f"/api/tickets/{code}/corrections").json() == []
    assert engineer.patch("/api/tickets/T-0000-00000", json={"priority": "P1", "reason": "x"}).status_code == 404
