"""The inspection service over a real database (SQLite and PostgreSQL): amendments,
recurring findings across hospitals, plans refused before anything is stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.web.security.conftest import HOSPITAL_A, HOSPITAL_B, build_env
from weibao.core.settings import REPO_DIR
from weibao.inspections.service import InspectionService, ResultEntry
from weibao.inspections.templates import load_templates
from weibao.routing.desk import Scope
from weibao.routing.errors import Forbidden, Invalid, NotFound

DUE = dt.date(2026, 11, 20)


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> InspectionService:
    env = build_env(tmp_path, database_url)
    return InspectionService(env.desk, load_templates(REPO_DIR / "data" / "inspections"),
                             clock=lambda: dt.datetime(2026, 11, 21, 3, tzinfo=dt.UTC))


def test_when_an_amendment_fails_an_item_it_opens_its_ticket_then_never_again(service: InspectionService) -> None:
    run = service.create_run(HOSPITAL_A, "servers-routine", DUE, "eng").run
    first = service.submit(run.id, [ResultEntry("srv-disk", "pass", 60.0)], "eng")
    assert first.tickets == [] and first.status == "done"
    worse = service.submit(run.id, [ResultEntry("srv-disk", "fail", 96.0, "日志盘")], "eng")
    assert len(worse.tickets) == 1
    again = service.submit(run.id, [ResultEntry("srv-disk", "fail", 97.0)], "eng")
    assert again.tickets == [] and {r.item_id: r.ticket_code for r in again.results}["srv-disk"] == worse.tickets[0]
    assert service.counts() == {"due": 0, "overdue": 0, "done": 1}


def test_items_wrong_in_two_hospitals_are_a_recurring_problem(service: InspectionService) -> None:
    for hospital in (HOSPITAL_A, HOSPITAL_B):
        run = service.create_run(hospital, "servers-routine", DUE, "eng").run
        service.submit(run.id, [ResultEntry("srv-time-sync", "warn", 3.0), ResultEntry("srv-cpu", "pass", 20.0)], "eng")
    run = service.create_run(HOSPITAL_A, "servers-routine", DUE, "eng").run
    service.submit(run.id, [ResultEntry("srv-memory", "warn", 85.0)], "eng")
    (finding,) = service.recurring()
    assert (finding.item_id, finding.hospitals, finding.warns, finding.fails) == (
        "srv-time-sync", (HOSPITAL_A, HOSPITAL_B), 2, 0)
    assert (finding.system, finding.symptom) == ("infrastructure", "data_sync")


def test_refusals_name_the_field_and_store_nothing(service: InspectionService) -> None:
    with pytest.raises(Invalid) as refused:
        service.save_plan(HOSPITAL_A, ["his-routine", "nope"])
    assert refused.value.field == "template_ids[1]"
    assert service.plans() == []
    with pytest.raises(Forbidden):
        service.create_run(HOSPITAL_B, "his-routine", DUE, "it", Scope(hospital_id=HOSPITAL_A))
    with pytest.raises(NotFound):
        service.create_run("h-nowhere", "his-routine", DUE, "eng")
    run = service.create_run(HOSPITAL_A, "his-routine", DUE, "eng").run
    with pytest.raises(NotFound):
        service.get_run(run.id, Scope(hospital_id=HOSPITAL_B))
    with pytest.raises(Invalid) as photo:
        service.add_photo(run.id, "his-app-services", "application/pdf", b"%PDF")
    assert photo.value.field == "photo"
    with pytest.raises(Invalid) as key:
        service.submit(run.id, [ResultEntry("his-app-services", "pass", True)], "eng", idempotency_key="k" * 201)
    assert key.value.field == "Idempotency-Key"
    assert service.get_run(run.id).results == [] and service.get_run(run.id).status == "overdue"


def test_a_warn_item_makes_one_follow_up_that_is_closed_inside_its_hospital(service: InspectionService) -> None:
    run = service.create_run(HOSPITAL_A, "servers-routine", DUE, "eng").run
    view = service.submit(run.id, [ResultEntry("srv-cpu", "warn", 85.0)], "eng")
    service.submit(run.id, [ResultEntry("srv-cpu", "warn", 86.0)], "eng")
    (task,) = service.followups()
    assert task.id == view.followups[0].id and task.due_date == dt.date(2026, 11, 21) + dt.timedelta(days=14)
    assert service.followups(Scope(hospital_id=HOSPITAL_B)) == []
    with pytest.raises(NotFound):
        service.close_followup(task.id, Scope(hospital_id=HOSPITAL_B))
    assert service.close_followup(task.id, Scope(hospital_id=HOSPITAL_A)).status == "done"
    assert service.followups() == [] and len(service.followups(status="done")) == 1
