"""Example requests for the estate's routes, read by tests/web/security/test_route_matrix.py.

Each entry: (method, path) -> (request builder, status when the policy lets the caller in).
Records belong to hospital A; hospital B's members get 404 (reads) or 403 (decisions).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.web.security.conftest import ENGINEER, HOSPITAL_A, PEOPLE, Env
from weibao.estate.access import AccessAsk
from weibao.estate.changes import ChangeData
from weibao.estate.common import Actor
from weibao.estate.service import Estate
from weibao.routing.planning import TicketDraft

Builder = Callable[[Env, str], tuple[str, dict[str, Any]]]


def _estate(env: Env) -> Estate:
    estate = getattr(env.app.state, "estate", None)
    if not isinstance(estate, Estate):
        estate = env.app.state.estate = Estate(env.database.sessions)
    return estate


def _engineer(env: Env) -> Actor:
    return Actor("engineer", "engineer", None, env.user_ids["engineer"])


def _access(env: Env, *, approved: bool = False, break_glass: bool = False) -> int:
    ticket = None
    if break_glass:
        made, _ = env.desk.create(TicketDraft(hospital_id=HOSPITAL_A, title=env.unique("HIS宕机"),
                                              priority="P1", priority_reason="全院"))
        ticket = made.code
    access = _estate(env).access.request(_engineer(env), AccessAsk(
        hospital_id=HOSPITAL_A, system="his", purpose="排查", minutes=30, ticket_code=ticket,
        break_glass=break_glass))
    if approved and not break_glass:
        _estate(env).access.decide(Actor("admin", "admin"), access.id, True)
    return access.id


def _window(env: Env) -> tuple[datetime, datetime]:
    start = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(hours=3 * next(env.counter))
    return start, start + timedelta(hours=1)


def _change_body(env: Env) -> dict[str, Any]:
    start, end = _window(env)
    return {"hospital_id": HOSPITAL_A, "title": "升级", "systems": ["his"], "window_start": start.isoformat(),
            "window_end": end.isoformat(), "rollback_plan": "回退", "test_plan": "验证"}


def _change_form(env: Env) -> dict[str, Any]:
    body = _change_body(env)
    start, end = (datetime.fromisoformat(body[k]).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
                  for k in ("window_start", "window_end"))
    return {**body, "window_start": start, "window_end": end}


def _change(env: Env, approved: bool = False) -> int:
    start, end = _window(env)
    change = _estate(env).changes.create(Actor("engineer", "engineer"), ChangeData(
        hospital_id=HOSPITAL_A, title="升级", systems=["his"], window_start=start, window_end=end,
        rollback_plan="回退", test_plan="验证"))
    if approved:
        _estate(env).changes.approve(Actor("admin", "admin"), change.id, "hospital")
        _estate(env).changes.approve(Actor("admin", "admin"), change.id, "vendor")
    return change.id


def _hospital_a(ok: int, elsewhere: int) -> Callable[[str], int]:
    def status(who: str) -> int:
        return elsewhere if PEOPLE[who][1] not in (None, HOSPITAL_A) else ok

    return status


ESTATE_EXAMPLES: dict[tuple[str, str], tuple[Builder, int | Callable[[str], int]]] = {
    ("POST", "/api/remote-access"): (
        lambda e, w: ("/api/remote-access", {"json": {
            "hospital_id": HOSPITAL_A, "system": "his", "purpose": "排查", "minutes": 30}}), 201),
    ("GET", "/api/remote-access"): (lambda e, w: ("/api/remote-access", {}), 200),
    ("GET", "/api/remote-access/check"): (
        lambda e, w: ("/api/remote-access/check", {"params": {
            "engineer": ENGINEER, "system": "his", "hospital_id": HOSPITAL_A}}), 200),
    ("GET", "/api/remote-access/{request_id}"): (
        lambda e, w: (f"/api/remote-access/{_access(e)}", {}), _hospital_a(200, 404)),
    ("POST", "/api/remote-access/{request_id}/approve"): (
        lambda e, w: (f"/api/remote-access/{_access(e)}/approve", {}), _hospital_a(200, 403)),
    ("POST", "/api/remote-access/{request_id}/deny"): (
        lambda e, w: (f"/api/remote-access/{_access(e)}/deny", {"json": {"reason": "否"}}),
        _hospital_a(200, 403)),
    ("POST", "/api/remote-access/{request_id}/revoke"): (
        lambda e, w: (f"/api/remote-access/{_access(e, approved=True)}/revoke", {}),
        _hospital_a(200, 403)),
    ("POST", "/api/remote-access/{request_id}/review"): (
        lambda e, w: (f"/api/remote-access/{_access(e, break_glass=True)}/review", {}), 200),
    # Pages: forms answer 303 on success; a refusal is the page again with a message.
    ("GET", "/remote-access"): (lambda e, w: ("/remote-access", {}), 200),
    ("POST", "/remote-access"): (
        lambda e, w: ("/remote-access", {"data": {
            "hospital_id": HOSPITAL_A, "system": "his", "purpose": "排查", "minutes": "30"}}), 303),
    **{
        ("POST", f"/remote-access/{{request_id}}/{action}"): (
            lambda e, w, action=action: (f"/remote-access/{_access(e, approved=action == 'revoke')}/{action}",
                                         {"data": {}}),
            _hospital_a(303, 403))
        for action in ("approve", "deny", "revoke")
    },
    ("POST", "/remote-access/{request_id}/review"): (
        lambda e, w: (f"/remote-access/{_access(e, break_glass=True)}/review", {"data": {}}), 303),
    ("GET", "/api/installations"): (lambda e, w: ("/api/installations", {"params": {"hospital_id": HOSPITAL_A}}), 200),
    ("PUT", "/api/installations"): (
        lambda e, w: ("/api/installations", {"json": {"hospital_id": HOSPITAL_A, "system": "his", "version": "5.3.1"}}),
        200),
    ("POST", "/api/installations/import"): (
        lambda e, w: ("/api/installations/import", {
            "params": {"dry_run": True},
            "files": {"file": ("a.csv", f"hospital_id,system,version\n{HOSPITAL_A},lis,3.2\n".encode())}}),
        200),
    ("GET", "/api/releases"): (lambda e, w: ("/api/releases", {}), 200),
    ("POST", "/api/releases"): (
        lambda e, w: ("/api/releases", {"json": {
            "system": "his", "version": f"9.{next(e.counter)}", "released_on": "2026-11-01"}}), 201),
    ("GET", "/api/releases/backlog"): (lambda e, w: ("/api/releases/backlog", {}), 200),
    ("GET", "/api/releases/affected"): (lambda e, w: ("/api/releases/affected", {"params": {"article": "a-1"}}), 200),
    ("POST", "/api/changes"): (lambda e, w: ("/api/changes", {"json": _change_body(e)}), 201),
    ("GET", "/api/changes"): (lambda e, w: ("/api/changes", {}), 200),
    ("GET", "/api/changes/calendar"): (
        lambda e, w: ("/api/changes/calendar", {"params": {"start": "2027-01-01T00:00:00+08:00",
                                                          "end": "2027-02-01T00:00:00+08:00"}}), 200),
    ("GET", "/api/changes/regressions"): (lambda e, w: ("/api/changes/regressions", {}), 200),
    ("GET", "/api/changes/{change_id}"): (lambda e, w: (f"/api/changes/{_change(e)}", {}), _hospital_a(200, 404)),
    ("POST", "/api/changes/{change_id}/approve"): (
        lambda e, w: (f"/api/changes/{_change(e)}/approve", {}), _hospital_a(200, 404)),
    ("POST", "/api/changes/{change_id}/reject"): (
        lambda e, w: (f"/api/changes/{_change(e)}/reject", {"json": {"reason": "不行"}}), _hospital_a(200, 404)),
    ("POST", "/api/changes/{change_id}/transition"): (
        lambda e, w: (f"/api/changes/{_change(e, approved=True)}/transition", {"json": {"status": "in_progress"}}),
        200),
    ("GET", "/api/blackouts"): (lambda e, w: ("/api/blackouts", {}), 200),
    ("POST", "/api/blackouts"): (
        lambda e, w: ("/api/blackouts", {"json": {
            "hospital_id": HOSPITAL_A, "name": "体检系统切换", "kind": "once",
            "starts_at": "2030-01-01T00:00:00+08:00", "ends_at": "2030-01-01T06:00:00+08:00"}}),
        _hospital_a(201, 403)),
    ("GET", "/installations"): (lambda e, w: ("/installations", {}), 200),
    ("POST", "/installations/import"): (
        lambda e, w: ("/installations/import", {
            "data": {"dry_run": "1"},
            "files": {"file": ("a.csv", f"hospital_id,system,version\n{HOSPITAL_A},lis,3.2\n".encode())}}),
        200),
    ("GET", "/releases"): (lambda e, w: ("/releases", {}), 200),
    ("GET", "/changes"): (lambda e, w: ("/changes", {}), 200),
    ("POST", "/changes"): (lambda e, w: ("/changes", {"data": _change_form(e)}), 303),
    ("POST", "/changes/{change_id}/approve"): (
        lambda e, w: (f"/changes/{_change(e)}/approve", {"data": {}}), _hospital_a(303, 404)),
    ("POST", "/changes/{change_id}/move"): (
        lambda e, w: (f"/changes/{_change(e, approved=True)}/move", {"data": {"status": "in_progress"}}), 303),
    ("POST", "/blackouts"): (
        lambda e, w: ("/blackouts", {"data": {"hospital_id": HOSPITAL_A, "name": "体检", "kind": "monthly",
                                              "days": "15", "start_time": "03:30", "end_time": "03:45"}}),
        303),
    ("PUT", "/api/remote-access/policy/{hospital_id}"): (
        lambda e, w: (f"/api/remote-access/policy/{HOSPITAL_A}", {"json": {"max_minutes": 240}}),
        _hospital_a(200, 403)),
    ("POST", "/remote-access/policy"): (
        lambda e, w: (f"/remote-access/policy?hospital_id={HOSPITAL_A}", {"data": {"max_minutes": "240"}}),
        _hospital_a(303, 303)),
    ("POST", "/releases"): (
        lambda e, w: ("/releases", {"data": {"system": "lis", "version": f"8.{next(e.counter)}",
                                             "released_on": "2026-11-01"}}), 303),
}
