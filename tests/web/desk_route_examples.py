"""Example requests for the desk's pages (ticket list, home pages, workbench forms, engineer
profiles), read by tests/web/security/test_route_matrix.py.

Each entry: (method, path) -> (request builder, status when the policy lets the caller in).
Tickets belong to hospital A; hospital B's members get 404, as for an unknown ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.web.security.conftest import ENGINEER, HOSPITAL_A, PEOPLE, Env

Builder = Callable[[Env, str], tuple[str, dict[str, Any]]]


def _ticket_ok(ok: int) -> Callable[[str], int]:
    def status(who: str) -> int:
        return 404 if PEOPLE[who][1] not in (None, HOSPITAL_A) else ok

    return status


def _profile(e: Env) -> dict[str, str]:
    # Round the clock with room to spare: saved over the on-duty engineer, it must keep
    # taking the tickets that later examples create.
    return {"name": "新工程师", "tier": "L2", "sys_terminal": "3", "max_open": "1000",
            "shifts": "daily 00:00 00:00", "active": "1", "id": e.unique("eng-new")}


ON_DUTY = {"name": "值班工程师", "tier": "L2", "systems": {"his": 3}, "max_open": 1000, "username": "engineer",
           "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "00:00"}]}


DESK_EXAMPLES: dict[tuple[str, str], tuple[Builder, int | Callable[[str], int]]] = {
    ("GET", "/tickets"): (lambda e, w: ("/tickets", {"params": {"status": "all"}}), 200),
    ("GET", "/home"): (lambda e, w: ("/home", {}), 200),
    # Workbench forms: 303 back to the ticket when the desk agrees.
    ("POST", "/tickets/{code}/comments"): (
        lambda e, w: (f"/tickets/{e.new_ticket()}/comments", {"data": {"body": "已重启"}}), _ticket_ok(303)
    ),
    ("POST", "/tickets/{code}/resolve"): (
        lambda e, w: (f"/tickets/{e.new_ticket()}/resolve",
                      {"data": {"root_cause": "碳带用完", "fix_steps": "更换碳带"}}), 303,
    ),
    ("POST", "/tickets/{code}/reassign"): (
        lambda e, w: (f"/tickets/{e.new_ticket()}/reassign", {"data": {"engineer_id": ENGINEER, "reason": "换人"}}),
        303,
    ),
    ("POST", "/tickets/{code}/escalate"): (
        lambda e, w: (f"/tickets/{e.new_ticket()}/escalate", {"data": {"reason": "测试"}}), 303
    ),
    ("POST", "/tickets/{code}/pause"): (
        lambda e, w: (f"/tickets/{e.new_ticket()}/pause", {"data": {"reason": "等待医院"}}), 303
    ),
    # The new ticket is not paused: the policy let the caller in, the desk refused.
    ("POST", "/tickets/{code}/resume"): (
        lambda e, w: (f"/tickets/{e.new_ticket()}/resume", {"data": {"reason": "继续"}}), 409
    ),
    ("POST", "/tickets/{code}/correct"): (
        lambda e, w: (f"/tickets/{e.new_ticket()}/correct", {"data": {"symptom": "print_failure", "reason": "打印机"}}),
        303,
    ),
    # Engineer profiles (admin only).
    ("GET", "/admin/engineers"): (lambda e, w: ("/admin/engineers", {}), 200),
    ("GET", "/admin/engineers/new"): (lambda e, w: ("/admin/engineers/new", {}), 200),
    ("POST", "/admin/engineers/new"): (lambda e, w: ("/admin/engineers/new", {"data": _profile(e)}), 303),
    ("GET", "/admin/engineers/{engineer_id}"): (lambda e, w: (f"/admin/engineers/{ENGINEER}", {}), 200),
    ("POST", "/admin/engineers/{engineer_id}"): (
        lambda e, w: (f"/admin/engineers/{ENGINEER}", {"data": {**_profile(e), "username": "engineer"}}), 303
    ),
    ("POST", "/api/engineers"): (
        lambda e, w: ("/api/engineers", {"json": {"id": e.unique("eng-api"), "name": "接口工程师", "tier": "L2",
                                                  "systems": {"his": 3}}}), 201
    ),
    ("PUT", "/api/engineers/{engineer_id}"): (
        lambda e, w: (f"/api/engineers/{ENGINEER}", {"json": ON_DUTY}), 200
    ),
}
