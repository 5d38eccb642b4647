"""Example requests for the understanding routes (corrections of triage), read by
tests/web/security/test_route_matrix.py.

Each entry: (method, path) -> (request builder, status when the policy lets the caller in).
Tickets belong to hospital A; hospital B's members get 404, as for an unknown ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.web.security.conftest import HOSPITAL_A, PEOPLE, Env

Builder = Callable[[Env, str], tuple[str, dict[str, Any]]]


def _ticket_ok(ok: int) -> Callable[[str], int]:
    def status(who: str) -> int:
        return 404 if PEOPLE[who][1] not in (None, HOSPITAL_A) else ok

    return status


UNDERSTANDING_EXAMPLES: dict[tuple[str, str], tuple[Builder, int | Callable[[str], int]]] = {
    ("PATCH", "/api/tickets/{code}"): (
        lambda e, w: (f"/api/tickets/{e.new_ticket()}",
                      {"json": {"systems": ["terminal"], "priority": "P3", "reason": "是打印机"}}),
        200,
    ),
    ("GET", "/api/tickets/{code}/corrections"): (
        lambda e, w: (f"/api/tickets/{e.new_ticket()}/corrections", {}), _ticket_ok(200)
    ),
}
