"""The inspections and early-warning API over the seeded app: the outside interface."""

from __future__ import annotations

import datetime as dt
import uuid

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS

TODAY = dt.date.today()


def _run(client, template_id: str = "database-routine", due: dt.date | None = None,  # type: ignore[no-untyped-def]
         hospital_id: str | None = "h-hzsy") -> dict[str, object]:
    body: dict[str, object] = {"template_id": template_id,
                               "due_date": (due or TODAY + dt.timedelta(days=10)).isoformat()}
    if hospital_id is not None:
        body["hospital_id"] = hospital_id
    response = client.post("/api/inspections", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_templates_name_their_items_with_taxonomy_ids(as_user) -> None:  # type: ignore[no-untyped-def]
    templates = as_user("engineer").get("/api/inspections/templates").json()
    assert len(templates) >= 12
    for template in templates:
        assert template["id"] and template["name"] and template["items"]
        for item in template["items"]:
            assert item["id"] and item["system"] in SYSTEMS and item["symptom"] in SYMPTOMS
            assert set(item["thresholds"]) == {"pass", "warn", "fail"} and item["check"] and item["method"]
    ids = [i["id"] for t in templates for i in t["items"]]
    assert len(ids) == len(set(ids))
    assert as_user("nurse_hz").get("/api/inspections/templates").status_code == 403


def test_a_run_is_created_listed_by_status_and_seen_only_inside_its_hospital(as_user) -> None:  # type: ignore[no-untyped-def]
    engineer, it_hz, it_fs = as_user("engineer"), as_user("it_hz"), as_user("it_fs")
    run = _run(engineer)
    assert run["status"] == "due" and run["hospital_id"] == "h-hzsy" and isinstance(run["id"], int)
    late = _run(engineer, "servers-routine", TODAY - dt.timedelta(days=3))
    assert late["status"] == "overdue"
    assert it_hz.get(f"/api/inspections/{run['id']}").json()["id"] == run["id"]
    assert it_fs.get(f"/api/inspections/{run['id']}").status_code == 404
    due = {r["id"] for r in it_hz.get("/api/inspections", params={"hospital_id": "h-hzsy", "status": "due"}).json()}
    overdue = {r["id"] for r in engineer.get("/api/inspections", params={"hospital_id": "h-hzsy",
                                                                         "status": "overdue"}).json()}
    assert run["id"] in due and late["id"] not in due and late["id"] in overdue
    assert not {run["id"], late["id"]} & {r["id"] for r in it_fs.get("/api/inspections").json()}
    other = it_fs.get("/api/inspections", params={"hospital_id": "h-hzsy"})
    assert other.status_code == 403 and "hospital_id" in other.json()["detail"]
    # Hospital IT schedules for its own hospital only.
    assert it_hz.post("/api/inspections", json={"template_id": "his-routine",
                                                "due_date": TODAY.isoformat()}).status_code == 201
    refused = it_fs.post("/api/inspections", json={"hospital_id": "h-hzsy", "template_id": "his-routine",
                                                   "due_date": TODAY.isoformat()})
    assert refused.status_code == 403 and "hospital_id" in refused.json()["detail"]
    assert engineer.get("/api/inspections", params={"status": "late"}).status_code == 422


def test_a_failed_item_opens_one_pretriaged_ticket_and_a_repeat_opens_none(as_user) -> None:  # type: ignore[no-untyped-def]
    engineer = as_user("engineer")
    run = _run(engineer, "pacs-routine")
    body = {"items": [
        {"item_id": "pacs-storage-usage", "result": "fail", "reading": 93.5, "note": "影像卷 /pacs01 使用率 93.5%"},
        {"item_id": "pacs-image-load", "result": "warn", "reading": 6.2, "note": ""},
        {"item_id": "pacs-modality-worklist", "result": "pass", "reading": True, "note": ""},
    ]}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = engineer.post(f"/api/inspections/{run['id']}/results", json=body, headers=key)
    assert first.status_code == 200, first.text
    done = first.json()
    assert done["status"] == "done" and len(done["tickets"]) == 1
    code = done["tickets"][0]
    ticket = engineer.get(f"/api/tickets/{code}").json()
    assert (ticket["system"], ticket["symptom"], ticket["priority"]) == ("pacs", "storage_alarm", "P2")
    assert ticket["channel"] == "inspection" and f"/inspections/{run['id']}" in ticket["description"]
    assert {r["item_id"]: r["ticket"] for r in done["results"]}["pacs-storage-usage"] == code
    assert [f["item_id"] for f in done["followups"]] == ["pacs-image-load"]
    assert done["followups"][0]["due_date"] > TODAY.isoformat()

    again = engineer.post(f"/api/inspections/{run['id']}/results", json=body, headers=key)
    assert again.status_code == 200 and again.json()["tickets"] == [] and again.json()["repeated"] is True
    changed = engineer.post(f"/api/inspections/{run['id']}/results",
                            json={"items": body["items"][:1]}, headers=key)
    assert changed.status_code == 409 and "Idempotency-Key" in changed.json()["detail"]
    # Without a key the item already has its ticket: still one.
    unkeyed = engineer.post(f"/api/inspections/{run['id']}/results", json=body)
    assert unkeyed.status_code == 200 and unkeyed.json()["tickets"] == []
    listed = engineer.get("/api/tickets", params={"hospital": "h-hzsy", "limit": 500}).json()
    assert sum(1 for t in listed if f"/inspections/{run['id']}" in t["description"]) == 1
    assert as_user("it_fs").post(f"/api/inspections/{run['id']}/results", json=body).status_code == 404


def test_bad_results_answer_422_naming_the_field_and_store_nothing(as_user) -> None:  # type: ignore[no-untyped-def]
    engineer = as_user("engineer")
    run = _run(engineer, "database-routine")
    url = f"/api/inspections/{run['id']}/results"

    def loc(items: list[dict[str, object]]) -> list[object]:
        response = engineer.post(url, json={"items": items})
        assert response.status_code == 422, response.text
        return response.json()["detail"][0]["loc"]  # type: ignore[no-any-return]

    good = {"item_id": "db-tablespace", "result": "fail", "reading": 95, "note": ""}
    assert loc([{**good, "result": "broken"}]) == ["body", "items", 0, "result"]
    assert loc([good, {**good, "item_id": "pacs-storage-usage"}]) == ["body", "items", 1, "item_id"]
    assert loc([good, {**good, "item_id": "db-connections", "reading": "很多"}]) == ["body", "items", 1, "reading"]
    assert loc([{**good, "reading": True}]) == ["body", "items", 0, "reading"]
    assert loc([good, good]) == ["body", "items", 1, "item_id"]
    assert loc([]) == ["body", "items"]
    assert loc([{**good, "extra": 1}])[-1] == "extra"
    assert engineer.get(f"/api/inspections/{run['id']}").json()["results"] == []
    assert engineer.get(f"/api/inspections/{run['id']}").json()["status"] == "due"
    unknown = engineer.post("/api/inspections", json={"hospital_id": "h-hzsy", "template_id": "nope",
                                                      "due_date": TODAY.isoformat()})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "template_id"]
    no_hospital = engineer.post("/api/inspections", json={"template_id": "his-routine", "due_date": "2026-13-01"})
    assert no_hospital.status_code == 422
    assert engineer.post("/api/inspections", json={"hospital_id": "h-nowhere", "template_id": "his-routine",
                                                   "due_date": TODAY.isoformat()}).status_code == 404
    assert engineer.get("/api/inspections/999999").status_code == 404


def test_sign_off_by_the_hospitals_it_after_the_inspection(as_user) -> None:  # type: ignore[no-untyped-def]
    engineer, it_hz = as_user("engineer"), as_user("it_hz")
    run = _run(engineer, "certificates-routine")
    assert it_hz.post(f"/api/inspections/{run['id']}/sign-off").status_code == 409
    engineer.post(f"/api/inspections/{run['id']}/results",
                  json={"items": [{"item_id": "cert-https", "result": "pass", "reading": 200, "note": ""}]})
    assert engineer.post(f"/api/inspections/{run['id']}/sign-off").status_code == 403
    signed = it_hz.post(f"/api/inspections/{run['id']}/sign-off")
    assert signed.status_code == 200 and signed.json()["signed_off_by"] == "it_hz"
    assert as_user("it_fs").post(f"/api/inspections/{run['id']}/sign-off").status_code == 404


def _storage_samples(start: dt.datetime, hours: int, per_day: float, base: float, mount: str) -> list[dict[str, object]]:
    return [{"metric": "storage_used_percent", "system": "pacs", "labels": {"instance": "pacs-store", "mount": mount},
             "value": round(base + per_day * h / 24, 3), "at": (start + dt.timedelta(hours=h)).isoformat()}
            for h in range(hours)]


def test_a_filling_storage_series_opens_one_warning_with_a_p3_ticket(as_user) -> None:  # type: ignore[no-untyped-def]
    it = as_user("it_hz")
    mount = f"/data-{uuid.uuid4().hex[:6]}"
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=48)
    samples = _storage_samples(start, 48, 4.0, 72.0, mount)  # 80 % now, +4 %/day: full in 5 days
    response = it.post("/api/warnings/samples", json={"samples": samples})
    assert response.status_code == 200, response.text
    (change,) = response.json()["changes"]
    assert change["action"] == "opened" and change["ticket"]
    ticket = it.get(f"/api/tickets/{change['ticket']}").json()
    assert ticket["priority"] == "P3" and ticket["title"].startswith("[预警]")
    assert (ticket["system"], ticket["symptom"]) == ("pacs", "storage_alarm")
    warnings = it.get("/api/warnings").json()
    mine = [w for w in warnings if w["id"] == change["warning_id"]]
    assert mine and mine[0]["status"] == "open" and 4 < mine[0]["evidence"]["numbers"]["days_to_full"] < 6
    assert not [w for w in as_user("it_fs").get("/api/warnings").json() if w["id"] == change["warning_id"]]
    # More of the same opens nothing new; a sample back in time is refused, naming it.
    more = _storage_samples(start + dt.timedelta(hours=48), 1, 4.0, 80.0, mount)
    assert it.post("/api/warnings/samples", json={"samples": more}).json()["changes"] == []
    old = it.post("/api/warnings/samples", json={"samples": _storage_samples(start, 1, 4.0, 72.0, mount)})
    assert old.status_code == 422 and old.json()["detail"][0]["loc"] == ["body", "samples", 0, "at"]


def test_metric_payloads_that_are_malformed_huge_or_out_of_order_are_refused(as_user) -> None:  # type: ignore[no-untyped-def]
    it = as_user("it_hz")
    now = dt.datetime.now(dt.UTC)

    def refused(**kwargs: object) -> list[object]:
        response = it.post("/api/warnings/samples", **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 422, response.text
        return response.json()["detail"][0]["loc"]  # type: ignore[no-any-return]

    assert refused(content="{not json", headers={"content-type": "application/json"}) == ["body"]
    assert refused(json={"samples": []}) == ["body", "samples"]
    assert refused(json={"samples": [{"metric": "db_connections", "value": "x", "at": now.isoformat()}]}) == [
        "body", "samples", 0, "value"]
    assert refused(json={"samples": [{"metric": "db_connections", "value": 1, "at": "yesterday"}]}) == [
        "body", "samples", 0, "at"]
    later, earlier = now.isoformat(), (now - dt.timedelta(minutes=5)).isoformat()
    order = [{"metric": "db_connections", "value": 1, "at": later}, {"metric": "db_connections", "value": 2, "at": earlier}]
    assert refused(json={"samples": order}) == ["body", "samples", 1, "at"]
    assert refused(content="pg_stat_activity_count{instance=\"db\"} many\n",
                   headers={"content-type": "text/plain"}) == ["body", "line 1"]
    assert refused(json={"items": [{"key": "vfs.fs.size[/,pused]", "value": "91", "clock": "now"}]}) == [
        "body", "items", 0, "clock"]
    huge = [{"metric": "db_connections", "value": 1, "at": now.isoformat()}] * 5001
    assert it.post("/api/warnings/samples", json={"samples": huge}).status_code in (413, 422)
    # Prometheus text and Zabbix JSON are accepted; unknown metrics are counted, not stored.
    text = (f'# HELP x\npg_stat_activity_count{{instance="db-{uuid.uuid4().hex[:6]}"}} 40 {int(now.timestamp() * 1000)}\n'
            "go_goroutines 12\n")
    ok = it.post("/api/warnings/samples", content=text, headers={"content-type": "text/plain"})
    assert ok.status_code == 200 and ok.json()["accepted"] == 1 and ok.json()["ignored"] == 1
    zabbix = {"host": f"his-db-{uuid.uuid4().hex[:6]}",
              "items": [{"key": "vfs.fs.size[/u01,pused]", "value": "71.5", "clock": int(now.timestamp())}]}
    assert it.post("/api/warnings/samples", json=zabbix).json()["accepted"] == 1
    assert as_user("engineer").post("/api/warnings/samples", json=zabbix).status_code == 422
