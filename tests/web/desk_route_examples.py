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
    return {"name": "新工程师", "tier": "L1", "sys_terminal": "3", "max_open": "5",
            "shifts": "mon-fri 09:00 17:00", "id": e.unique("eng-new")}


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
}
