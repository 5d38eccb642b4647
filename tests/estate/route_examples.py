"""Example requests for the estate's routes, read by tests/web/security/test_route_matrix.py.

Each entry: (method, path) -> (request builder, status when the policy lets the caller in).
Records belong to hospital A; hospital B's members get 404 (reads) or 403 (decisions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.web.security.conftest import ENGINEER, HOSPITAL_A, PEOPLE, Env
from weibao.estate.access import AccessAsk
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
}
