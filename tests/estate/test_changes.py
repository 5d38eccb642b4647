"""Change requests: blackout windows and overlaps are refused with the conflicting item
named, approvals by the hospital's IT and the vendor's manager, done upgrades move the
installation, the calendar, and the regression watch flags a seeded rise."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from tests.estate.conftest import EstateEnv
from tests.web.security.conftest import HOSPITAL_A
from weibao.core.db import session_scope
from weibao.routing.models import Ticket
from weibao.routing.planning import TicketDraft

PLAN = {"rollback_plan": "保留旧版本镜像，30 分钟内回退", "test_plan": "门诊挂号、收费、医保结算各走一遍"}


def _change(e: EstateEnv, start: str, end: str, **extra: object) -> tuple[int, dict[str, object]]:
    body = {"hospital_id": HOSPITAL_A, "title": "HIS 升级到 5.3.2", "systems": ["his"],
            "departments": ["outpatient"], "window_start": start, "window_end": end,
            "downtime_minutes": 30, "target_version": "5.3.2", **PLAN, **extra}
    response = e.env.client("engineer").post("/api/changes", json=body)
    return response.status_code, response.json()


def _blackouts(e: EstateEnv) -> None:
    it = e.env.client("hospital_it")
    assert it.post("/api/blackouts", json={"hospital_id": HOSPITAL_A, "name": "门诊高峰", "kind": "weekly",
                                           "days": [0, 1, 2, 3, 4], "start_time": "08:00",
                                           "end_time": "12:00"}).status_code == 201
    assert it.post("/api/blackouts", json={"hospital_id": HOSPITAL_A, "name": "月末医保结算", "kind": "monthly",
                                           "days": [-1], "start_time": "00:00", "end_time": "00:00"}).status_code == 201


def test_a_change_in_a_blackout_or_over_another_change_is_refused_naming_it(estate_env: EstateEnv) -> None:
    e = estate_env
    _blackouts(e)
    status, body = _change(e, "2026-12-02T09:00:00+08:00", "2026-12-02T10:00:00+08:00")
    assert status == 409 and "门诊高峰" in str(body["detail"])
    status, body = _change(e, "2026-12-31T02:00:00+08:00", "2026-12-31T03:00:00+08:00")
    assert status == 409 and "月末医保结算" in str(body["detail"])
    status, first = _change(e, "2026-12-02T22:00:00+08:00", "2026-12-02T23:30:00+08:00")
    assert status == 201 and first["status"] == "submitted"
    status, body = _change(e, "2026-12-02T23:00:00+08:00", "2026-12-03T00:30:00+08:00", title="LIS 补丁")
    assert status == 409 and f"#{first['id']}" in str(body["detail"]) and "HIS 升级到 5.3.2" in str(body["detail"])
    # A Saturday morning is outside the weekday peak.
    status, _ = _change(e, "2026-12-05T09:00:00+08:00", "2026-12-05T10:00:00+08:00")
    assert status == 201
    # Hospital B has no blackouts: the same weekday morning is fine there.
    response = e.env.client("engineer").post("/api/changes", json={
        "hospital_id": "h-b", "title": "LIS 补丁", "systems": ["lis"], **PLAN,
        "window_start": "2026-12-02T09:00:00+08:00", "window_end": "2026-12-02T10:00:00+08:00"})
    assert response.status_code == 201


def test_bad_changes_name_the_field(estate_env: EstateEnv) -> None:
    e = estate_env
    good = ("2026-12-02T22:00:00+08:00", "2026-12-02T23:00:00+08:00")
    for field, extra in {
        "window_end": {"window_end": "2026-12-02T21:00:00+08:00"},
        "window_start": {"window_start": "2026-12-02T22:00:00"},
        "systems": {"systems": ["xray"]},
        "departments": {"departments": ["zoo"]},
        "downtime_minutes": {"downtime_minutes": 500},
        "rollback_plan": {"rollback_plan": "  "},
    }.items():
        status, body = _change(e, *good, **extra)  # type: ignore[arg-type]
        assert status == 422 and field in str(body), field
    assert e.env.client("hospital_it").post("/api/changes", json={}).status_code == 403
    assert e.env.client("manager").get("/api/changes").json() == []


def test_approval_by_the_hospitals_it_and_the_vendors_manager_then_done_upgrades(estate_env: EstateEnv) -> None:
    e = estate_env
    e.env.client("engineer").put("/api/installations", json={"hospital_id": HOSPITAL_A, "system": "his",
                                                            "version": "5.3.1"})
    _, change = _change(e, "2026-12-02T22:00:00+08:00", "2026-12-02T23:30:00+08:00")
    url = f"/api/changes/{change['id']}"
    assert e.env.client("hospital_it_b").post(f"{url}/approve").status_code in (403, 404)
    assert e.env.client("engineer").post(f"{url}/approve").status_code == 403
    assert e.env.client("engineer").post(f"{url}/transition", json={"status": "in_progress"}).status_code == 409
    half = e.env.client("hospital_it").post(f"{url}/approve", json={"note": "同意"}).json()
    assert half["status"] == "submitted" and half["hospital_approved_by"] == "hospital_it"
    full = e.env.client("manager").post(f"{url}/approve").json()
    assert full["status"] == "approved" and full["vendor_approved_by"] == "manager"
    assert e.env.client("hospital_it").post(f"{url}/transition", json={"status": "in_progress"}).status_code == 403
    for status in ("in_progress", "done"):
        moved = e.env.client("engineer").post(f"{url}/transition", json={"status": status})
        assert moved.status_code == 200 and moved.json()["status"] == status
    assert [h["status"] for h in moved.json()["history"]] == [
        "submitted", "approved_hospital", "approved_vendor", "approved", "in_progress", "done"]
    his = e.env.client("hospital_it").get("/api/installations").json()[0]
    assert his["version"] == "5.3.2" and his["upgrades"][0]["change_id"] == change["id"]
    again = e.env.client("engineer").post(f"{url}/transition", json={"status": "rolled_back"})
    assert again.status_code == 409 and "nothing" in again.json()["detail"]


def test_reject_needs_a_reason_and_frees_the_window(estate_env: EstateEnv) -> None:
    e = estate_env
    _, change = _change(e, "2026-12-02T22:00:00+08:00", "2026-12-02T23:30:00+08:00")
    url = f"/api/changes/{change['id']}"
    assert e.env.client("hospital_it").post(f"{url}/reject", json={"reason": ""}).status_code == 422
    rejected = e.env.client("hospital_it").post(f"{url}/reject", json={"reason": "当晚有体检系统切换"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    status, _ = _change(e, "2026-12-02T22:00:00+08:00", "2026-12-02T23:30:00+08:00")
    assert status == 201


def test_calendar_shows_changes_and_blackouts(estate_env: EstateEnv) -> None:
    e = estate_env
    _blackouts(e)
    _, change = _change(e, "2026-12-02T22:00:00+08:00", "2026-12-02T23:30:00+08:00")
    calendar = e.env.client("hospital_it").get("/api/changes/calendar", params={
        "start": "2026-11-30T00:00:00+08:00", "end": "2026-12-07T00:00:00+08:00"}).json()
    assert [c["id"] for c in calendar["changes"]] == [change["id"]]
    peaks = [b for b in calendar["blackouts"] if b["name"] == "门诊高峰"]
    assert len(peaks) == 5  # Monday to Friday
    assert datetime.fromisoformat(peaks[0]["start"]) == datetime.fromisoformat("2026-11-30T08:00:00+08:00")
    assert e.env.client("hospital_it_b").get("/api/changes/calendar", params={
        "start": "2026-11-30T00:00:00+08:00", "end": "2026-12-07T00:00:00+08:00"}).json() == {
        "changes": [], "blackouts": []}
    bad = e.env.client("manager").get("/api/changes/calendar", params={"start": "monday", "end": "x"})
    assert bad.status_code == 422 and "start" in bad.text


def _tickets(e: EstateEnv, system: str, times: list[datetime]) -> None:
    codes = []
    for at in times:
        ticket, _ = e.env.desk.create(TicketDraft(hospital_id=HOSPITAL_A, title=f"{system} 报错", at=at))
        codes.append(ticket.code)
    with session_scope(e.env.database.sessions) as session:
        session.execute(update(Ticket).where(Ticket.code.in_(codes)).values(system=system))


def test_regression_watch_flags_a_seeded_rise(estate_env: EstateEnv) -> None:
    e = estate_env
    ids = {}
    for system, start in (("his", "2026-12-02T22:00:00+08:00"), ("lis", "2026-12-03T22:00:00+08:00")):
        _, change = _change(e, start, start.replace("22:00", "23:00"), systems=[system], title=f"{system} 升级")
        ids[system] = change["id"]
        for who in ("hospital_it", "manager"):
            e.env.client(who).post(f"/api/changes/{change['id']}/approve")
        for status in ("in_progress", "done"):
            e.env.client("engineer").post(f"/api/changes/{change['id']}/transition", json={"status": status})
    his_end = datetime.fromisoformat("2026-12-02T23:00:00+08:00")
    lis_end = datetime.fromisoformat("2026-12-03T23:00:00+08:00")
    # HIS: one ticket in the week before, five in the week after. LIS: two and two.
    _tickets(e, "his", [his_end - timedelta(days=3)] + [his_end + timedelta(days=d, hours=1) for d in range(5)])
    _tickets(e, "lis", [lis_end - timedelta(days=2, hours=2), lis_end - timedelta(days=1, hours=2),
                        lis_end + timedelta(days=1), lis_end + timedelta(days=2)])
    # A ticket of another system does not count.
    _tickets(e, "pacs", [his_end + timedelta(days=1)] * 3)
    e.clock.now = his_end + timedelta(days=8)
    watch = {r["change"]["id"]: r for r in e.env.client("manager").get("/api/changes/regressions").json()}
    assert (watch[ids["his"]]["before"], watch[ids["his"]]["after"], watch[ids["his"]]["flagged"]) == (1, 5, True)
    assert (watch[ids["lis"]]["before"], watch[ids["lis"]]["after"], watch[ids["lis"]]["flagged"]) == (2, 2, False)
    assert watch[ids["his"]]["complete"] is True and watch[ids["lis"]]["complete"] is True
    first = e.env.client("manager").get("/api/changes/regressions").json()[0]
    assert first["change"]["id"] == ids["his"]  # flagged ones first
    # The service dashboard raises the flag too.
    dashboard = e.env.client("manager").get("/dashboard")
    assert dashboard.status_code == 200
    assert "变更后工单上升：「his 升级」之后 7 天 5 单，之前 7 天 1 单。" in dashboard.text
    assert "lis 升级" not in dashboard.text
