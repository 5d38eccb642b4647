"""Numbers the database's integer columns cannot hold are a 422 naming the field, never a 500.

The OpenAPI fuzz found `OverflowError` 500s for 20-digit path ids (SQLite cannot bind them) and for
knowledge-gap dates near year 9999 (the hospital's midnight in UTC overflows).
"""

from __future__ import annotations

import pytest

from weibao.web.api.schemas import MAX_DB_INT

HUGE = 2**63
CASES = [
    ("GET", f"/api/changes/{HUGE}", None, "change_id"),
    ("POST", f"/api/changes/{HUGE}/approve", None, "change_id"),
    ("POST", f"/api/changes/{HUGE}/reject", {"reason": "no"}, "change_id"),
    ("GET", f"/api/remote-access/{HUGE}", None, "request_id"),
    ("POST", f"/api/remote-access/{HUGE}/approve", None, "request_id"),
    ("POST", f"/api/remote-access/{HUGE}/deny", None, "request_id"),
    ("POST", f"/api/remote-access/{HUGE}/revoke", None, "request_id"),
    ("POST", f"/api/remote-access/{HUGE}/review", None, "request_id"),
    ("GET", f"/api/reviews/{HUGE}", None, "review_id"),
    ("PUT", f"/api/action-items/{HUGE}", {"status": "done"}, "item_id"),
    ("GET", f"/api/articles/his-login-fail/diff?from=1&to={HUGE}", None, "to"),
    ("POST", f"/api/articles/his-login-fail/versions/{HUGE}/restore", {"version": 1}, "old_version"),
    ("GET", "/api/reports/knowledge-gaps?from=9999-12-01&to=9999-12-31", None, "from"),
    ("GET", "/api/reports/knowledge-gaps?from=2026-01-01&to=9999-12-31", None, "to"),
    ("GET", "/api/reports/knowledge-gaps?from=0001-01-01&to=0001-01-02", None, "from"),
]


@pytest.mark.parametrize(("method", "url", "body", "field"), CASES)
def test_out_of_range_input_is_422_naming_the_field(
    as_user, method: str, url: str, body: dict[str, object] | None, field: str
) -> None:
    response = as_user("admin_ops").request(method, url, json=body)
    assert response.status_code == 422, response.text
    assert field in response.text


def test_the_largest_database_integer_is_still_accepted_as_an_id(as_user) -> None:
    assert as_user("admin_ops").get(f"/api/changes/{MAX_DB_INT}").status_code == 404
    assert as_user("admin_ops").get(f"/api/remote-access/{MAX_DB_INT}").status_code == 404


def test_the_knowledge_gaps_page_refuses_far_dates_with_a_message(as_user) -> None:
    for query in ("to=9999-12-31", "to=0001-01-05"):
        response = as_user("manager").get(f"/knowledge-gaps?{query}")
        assert response.status_code == 422, query
    # An early `from` is still clamped to a year before `to`, as before.
    assert as_user("manager").get("/knowledge-gaps?from=0001-01-01&to=2026-01-01").status_code == 200


@pytest.mark.parametrize("url", [
    f"/changes/{HUGE}/approve", f"/changes/{HUGE}/move", f"/remote-access/{HUGE}/approve",
    f"/remote-access/{HUGE}/review", f"/reviews/items/{HUGE}",
])
def test_page_forms_refuse_ids_too_large_for_the_database(as_user, url: str) -> None:
    assert as_user("admin_ops").post(url, data={"status": "done"}).status_code == 422
