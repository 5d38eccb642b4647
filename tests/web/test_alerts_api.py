"""Monitoring alerts through the webhook: one open ticket per alert, repeats as comments."""

from __future__ import annotations

import uuid


def _alert(status: str, fingerprint: str, **annotations: str) -> dict[str, object]:
    return {
        "status": status,
        "labels": {"alertname": "OracleTablespaceFull", "instance": "his-db-01", "severity": "critical"},
        "annotations": annotations,
        "startsAt": "2026-11-26T01:00:00Z",
        "fingerprint": fingerprint,
        "generatorURL": "http://prometheus/graph",  # a sender's own field: ignored
    }


def test_a_firing_alert_opens_one_ticket_repeats_comment_and_recovery_is_noted(as_user) -> None:  # type: ignore[no-untyped-def]
    it = as_user("it_hz")
    fp = uuid.uuid4().hex[:16]
    firing = _alert("firing", fp, summary="HIS数据库表空间快满了", description="USERS 表空间使用率 97%")
    first = it.post("/api/alerts", json={"version": "4", "status": "firing", "alerts": [firing]})
    assert first.status_code == 200, first.text
    (outcome,) = first.json()["results"]
    assert outcome["action"] == "created" and outcome["key"] == f"fp:{fp}"
    code = outcome["ticket"]
    ticket = it.get(f"/api/tickets/{code}").json()
    assert ticket["channel"] == "monitoring" and ticket["title"].startswith("[监控告警] HIS数据库表空间")
    assert ticket["triage"]["symptom"] == "storage_alarm" and ticket["assignee"]

    again = it.post("/api/alerts", json={"alerts": [firing]}).json()["results"][0]
    assert again == {"key": f"fp:{fp}", "action": "repeated", "ticket": code}
    recovered = it.post("/api/alerts", json={"alerts": [_alert("resolved", fp)]}).json()["results"][0]
    assert recovered["action"] == "recovered" and recovered["ticket"] == code
    ticket = it.get(f"/api/tickets/{code}").json()
    assert ticket["status"] != "resolved"  # a person still gives the root cause
    comments = [c["body"] for c in ticket["comments"]]
    assert any("仍在触发" in c for c in comments) and any("已恢复" in c for c in comments)
    listed = it.get("/api/tickets", params={"status": "open"}).json()
    assert sum(1 for t in listed if t["title"] == ticket["title"] and t["id"] == code) == 1


def test_a_resolved_alert_without_an_open_ticket_is_ignored_and_other_hospitals_are_apart(as_user) -> None:  # type: ignore[no-untyped-def]
    fp = uuid.uuid4().hex[:16]
    ignored = as_user("it_hz").post("/api/alerts", json={"alerts": [_alert("resolved", fp)]}).json()
    assert ignored["results"][0] == {"key": f"fp:{fp}", "action": "ignored", "ticket": None}
    firing = _alert("firing", fp, summary="LIS接口服务无响应")
    a = as_user("it_hz").post("/api/alerts", json={"alerts": [firing]}).json()["results"][0]
    b = as_user("it_fs").post("/api/alerts", json={"alerts": [firing]}).json()["results"][0]
    assert a["action"] == b["action"] == "created" and a["ticket"] != b["ticket"]


def test_alert_input_errors_name_the_field(as_user) -> None:  # type: ignore[no-untyped-def]
    it = as_user("it_hz")
    assert it.post("/api/alerts", json={"alerts": []}).json()["detail"][0]["loc"][-1] == "alerts"
    bad = it.post("/api/alerts", json={"alerts": [{"status": "exploded", "labels": {}}]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "status"
    engineer = as_user("engineer").post("/api/alerts", json={"alerts": [_alert("firing", "x")]})
    assert engineer.status_code == 422 and engineer.json()["detail"][0]["loc"] == ["query", "hospital_id"]
    unknown = as_user("engineer").post("/api/alerts", params={"hospital_id": "h-nowhere"},
                                       json={"alerts": [_alert("firing", "y")]})
    assert unknown.status_code == 404 and "h-nowhere" in unknown.json()["detail"]
    other = it.post("/api/alerts", params={"hospital_id": "h-fsnh"}, json={"alerts": [_alert("firing", "z")]})
    assert other.status_code == 403
