"""Example requests for the service-management routes, read by
tests/web/security/test_route_matrix.py: (method, path) -> (builder, status when allowed)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

from tests.web.security.conftest import HOSPITAL_A, PEOPLE, Env

Builder = Callable[[Env, str], tuple[str, dict[str, Any]]]
_days = itertools.count()


def _own_hospital(who: str) -> int:
    """Hospital-bound callers of another hospital are refused hospital A's data (403)."""
    return 403 if PEOPLE[who][1] not in (None, HOSPITAL_A) else 200


def _next_start() -> str:
    # Each admin call opens a new version, which must start after the previous one.
    return (dt.date(2031, 1, 1) + dt.timedelta(days=next(_days))).isoformat()


SERVICE_EXAMPLES: dict[tuple[str, str], tuple[Builder, int | Callable[[str], int]]] = {
    ("GET", "/api/reports/service"): (
        lambda e, w: ("/api/reports/service", {"params": {"hospital_id": HOSPITAL_A, "period": "2026-11"}}),
        _own_hospital,
    ),
    ("GET", "/api/reports/knowledge-gaps"): (
        lambda e, w: ("/api/reports/knowledge-gaps", {"params": {"from": "2026-11-01", "to": "2026-11-30"}}),
        200,
    ),
    ("GET", "/api/dashboard"): (lambda e, w: ("/api/dashboard", {}), 200),
    ("GET", "/api/contracts"): (lambda e, w: ("/api/contracts", {}), 200),
    ("POST", "/api/contracts"): (
        lambda e, w: ("/api/contracts", {"json": {"hospital_id": HOSPITAL_A, "tier": "premium",
                                                  "valid_from": _next_start()}}),
        201,
    ),
    ("GET", "/dashboard"): (lambda e, w: ("/dashboard", {}), 200),
    ("GET", "/reports"): (lambda e, w: ("/reports", {"params": {"hospital_id": HOSPITAL_A}}), _own_hospital),
    ("GET", "/contracts"): (lambda e, w: ("/contracts", {}), 200),
    ("POST", "/contracts"): (
        lambda e, w: ("/contracts", {"data": {"hospital_id": HOSPITAL_A, "tier": "basic",
                                              "valid_from": _next_start()}}),
        200,
    ),
    ("GET", "/knowledge-gaps"): (lambda e, w: ("/knowledge-gaps", {}), 200),
}
