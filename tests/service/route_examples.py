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
_quarters = itertools.count()


def _quarter() -> str:
    # Every quarter from 2001 on (reports accept years up to 2100), each used once per run
    # (the SQLite and PostgreSQL parametrisations share this counter).
    n = next(_quarters)
    return f"{2001 + n // 4}-Q{n % 4 + 1}"


def _review(e: Env) -> tuple[int, int]:
    """A review of hospital A with one action item: (review id, item id)."""
    from weibao.core.db import session_scope
    from weibao.service import reviews

    with session_scope(e.database.sessions) as session:
        review = reviews.create(session=session, hospital_id=HOSPITAL_A, quarter=_quarter(), held_on=None,
                                notes="", actor="test")
        item = reviews.add_item(session=session, review=review, title="升级打印驱动", owner="信息科", due=None)
        return review.id, item.id


def _hospital_a_only(who: str) -> int:
    """Another hospital's review answers 404, as an unknown one does."""
    return 404 if PEOPLE[who][1] not in (None, HOSPITAL_A) else 200


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
    ("GET", "/api/reviews"): (lambda e, w: ("/api/reviews", {}), 200),
    ("POST", "/api/reviews"): (
        lambda e, w: ("/api/reviews", {"json": {"hospital_id": HOSPITAL_A, "quarter": _quarter(),
                                                "action_items": [{"title": "巡检补做", "owner": "张工"}]}}),
        201,
    ),
    ("GET", "/api/reviews/{review_id}"): (lambda e, w: (f"/api/reviews/{_review(e)[0]}", {}), _hospital_a_only),
    ("POST", "/api/reviews/{review_id}/items"): (
        lambda e, w: (f"/api/reviews/{_review(e)[0]}/items", {"json": {"title": "培训护士"}}), 201,
    ),
    ("PUT", "/api/action-items/{item_id}"): (
        lambda e, w: (f"/api/action-items/{_review(e)[1]}", {"json": {"status": "done"}}), 200,
    ),
    ("GET", "/reviews"): (lambda e, w: ("/reviews", {}), 200),
    ("POST", "/reviews"): (
        lambda e, w: ("/reviews", {"data": {"hospital_id": HOSPITAL_A, "quarter": _quarter()}}), 200,
    ),
    ("POST", "/reviews/items/{item_id}"): (
        lambda e, w: (f"/reviews/items/{_review(e)[1]}", {"data": {"status": "in_progress"}}), 200,
    ),
}
