"""Example requests for the inspection and early-warning routes, read by
tests/web/security/test_route_matrix.py.

Each entry: (method, path) -> (request builder, status when the policy lets the caller in).
Records belong to hospital A; hospital B's members get 404 (runs) or 403 (naming another
hospital).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tests.web.security.conftest import HOSPITAL_A, PEOPLE, Env
from weibao.inspections.service import InspectionService, ResultEntry
from weibao.web.api.inspections import services_for_app

Builder = Callable[[Env, str], tuple[str, dict[str, Any]]]
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82")


def _service(env: Env) -> InspectionService:
    return services_for_app(env.app)[0]


def _run(env: Env, performed: bool = False) -> int:
    view = _service(env).create_run(HOSPITAL_A, "his-routine", dt.date(2026, 12, 20), "test")
    if performed:
        _service(env).submit(view.run.id, [ResultEntry("his-app-services", "pass", True, "")], "test")
    return view.run.id


def _followup(env: Env) -> int:
    run_id = _run(env)
    view = _service(env).submit(run_id, [ResultEntry("his-response-time", "warn", 3.5)], "test")
    return view.followups[0].id


def _photo(env: Env) -> int:
    run_id = _run(env)
    return _service(env).add_photo(run_id, "his-app-services", "image/png", PNG)


def _bound(who: str) -> str | None:
    return None if who == "anonymous" else PEOPLE[who][1]


def _in_a(who: str) -> bool:
    return _bound(who) in (None, HOSPITAL_A)


def _run_ok(ok: int = 200) -> Callable[[str], int]:
    return lambda who: ok if _in_a(who) else 404


def _named_ok(ok: int = 200) -> Callable[[str], int]:
    return lambda who: ok if _in_a(who) else 403


def _hospital(who: str) -> dict[str, str]:
    return {} if _bound(who) else {"hospital_id": HOSPITAL_A}


def _samples(env: Env) -> list[dict[str, object]]:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1) + dt.timedelta(microseconds=next(env.counter))
    return [{"metric": "db_connections", "value": 10, "at": at.isoformat(), "labels": {"instance": "db"}}]


INSPECTION_EXAMPLES: dict[tuple[str, str], tuple[Builder, Callable[[str], int] | int]] = {
    ("GET", "/api/inspections/templates"): (lambda e, w: ("/api/inspections/templates", {}), 200),
    ("GET", "/api/inspections/templates/{template_id}"): (
        lambda e, w: ("/api/inspections/templates/his-routine", {}), 200),
    ("GET", "/api/inspections/summary"): (lambda e, w: ("/api/inspections/summary", {}), 200),
    ("GET", "/api/inspections/recurring"): (lambda e, w: ("/api/inspections/recurring", {}), 200),
    ("GET", "/api/inspections/plans/{hospital_id}"): (
        lambda e, w: (f"/api/inspections/plans/{HOSPITAL_A}", {}), _named_ok()),
    ("PUT", "/api/inspections/plans/{hospital_id}"): (
        lambda e, w: (f"/api/inspections/plans/{HOSPITAL_A}", {"json": {"template_ids": ["his-routine"]}}), 200),
    ("POST", "/api/inspections"): (lambda e, w: ("/api/inspections", {"json": {
        **_hospital(w), "template_id": "his-routine", "due_date": "2026-12-20"}}), 201),
    ("GET", "/api/inspections"): (lambda e, w: ("/api/inspections", {}), 200),
    ("GET", "/api/inspections/{run_id}"): (lambda e, w: (f"/api/inspections/{_run(e)}", {}), _run_ok()),
    ("POST", "/api/inspections/{run_id}/results"): (lambda e, w: (f"/api/inspections/{_run(e)}/results", {
        "json": {"items": [{"item_id": "his-app-services", "result": "pass", "reading": True, "note": ""}]}}),
        _run_ok()),
    ("POST", "/api/inspections/{run_id}/sign-off"): (
        lambda e, w: (f"/api/inspections/{_run(e, performed=True)}/sign-off", {}), _run_ok()),
    ("PUT", "/api/inspections/{run_id}/items/{item_id}/photo"): (
        lambda e, w: (f"/api/inspections/{_run(e)}/items/his-app-services/photo",
                      {"content": PNG, "headers": {"content-type": "image/png"}}), _run_ok(201)),
    ("GET", "/api/inspections/photos/{photo_id}"): (
        lambda e, w: (f"/api/inspections/photos/{_photo(e)}", {}), _run_ok()),
    ("GET", "/api/inspections/followups"): (lambda e, w: ("/api/inspections/followups", {}), 200),
    ("POST", "/api/inspections/followups/{followup_id}/done"): (
        lambda e, w: (f"/api/inspections/followups/{_followup(e)}/done", {}), _run_ok()),
    ("GET", "/api/warnings"): (lambda e, w: ("/api/warnings", {}), 200),
    ("GET", "/api/warnings/sources"): (lambda e, w: ("/api/warnings/sources", {}), 200),
    ("POST", "/api/warnings/sources"): (lambda e, w: ("/api/warnings/sources", {"json": {
        **_hospital(w), "url": "http://monitor.invalid:9100/metrics"}}), 201),
    ("POST", "/api/warnings/samples"): (lambda e, w: ("/api/warnings/samples", {
        "params": _hospital(w), "json": {"samples": _samples(e)}}), 200),
    ("GET", "/api/warnings/thresholds/{hospital_id}"): (
        lambda e, w: (f"/api/warnings/thresholds/{HOSPITAL_A}", {}), _named_ok()),
    ("PUT", "/api/warnings/thresholds/{hospital_id}"): (
        lambda e, w: (f"/api/warnings/thresholds/{HOSPITAL_A}", {"json": {"values": {"storage_days": 10}}}), 200),
    # Pages.
    ("GET", "/inspections"): (lambda e, w: ("/inspections", {}), 200),
    ("POST", "/inspections/new"): (lambda e, w: ("/inspections/new", {"data": {
        "template_id": "his-routine", "due_date": "2026-12-20", "hospital_id": HOSPITAL_A}}), 303),
    ("GET", "/inspections/plans"): (lambda e, w: ("/inspections/plans", {}), 200),
    ("POST", "/inspections/plans/{hospital_id}"): (lambda e, w: (f"/inspections/plans/{HOSPITAL_A}", {
        "data": {"template_ids": "his-routine", "mode": "remote", "active": "1"}}), 303),
    ("GET", "/inspections/{run_id}"): (lambda e, w: (f"/inspections/{_run(e)}", {}), _run_ok()),
    ("GET", "/inspections/{run_id}/perform"): (lambda e, w: (f"/inspections/{_run(e)}/perform", {}), _run_ok()),
    ("POST", "/inspections/{run_id}/perform"): (lambda e, w: (f"/inspections/{_run(e)}/perform", {
        "data": {"result_his-app-services": "pass", "reading_his-app-services": "yes"}}), _run_ok()),
    ("POST", "/inspections/{run_id}/sign-off"): (
        lambda e, w: (f"/inspections/{_run(e, performed=True)}/sign-off", {"data": {}}), _run_ok(303)),
    ("GET", "/warnings"): (lambda e, w: ("/warnings", {}), 200),
}
