"""Training over HTTP: plan, record held, feedback, access per role, planned vs done
against the contract (and the service report counting them), bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, text

from tests.web.security.conftest import ENGINEER, HOSPITAL_A, HOSPITAL_B, Env
from weibao.core.db import session_scope
from weibao.service.contracts import ContractInput, create_version
from weibao.service.reports import Period, service_report
from weibao.training.models import TrainingFeedback, TrainingSession

PLAN = {"hospital_id": HOSPITAL_A, "audience": "clinician", "topic": "HIS 门诊医生站操作培训",
        "planned_at": "2026-11-10T14:00:00+08:00", "trainer_id": ENGINEER}


def _plan(env: Env, **changes: Any) -> dict[str, Any]:
    response = env.client("engineer").post("/api/trainings", json={**PLAN, **changes})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _held(env: Env, training_id: int, **changes: Any) -> dict[str, Any]:
    body = {"held_at": "2026-11-10T14:05:00+08:00", "attendee_count": 18,
            "attendee_names": ["张医生", "李护士"], **changes}
    response = env.client("engineer").post(f"/api/trainings/{training_id}/held", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _count(env: Env) -> int:
    with session_scope(env.database.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(TrainingSession)) or 0)


def test_plan_hold_and_feedback(env: Env) -> None:
    planned = _plan(env)
    assert planned["status"] == "planned" and planned["held_at"] is None
    held = _held(env, planned["id"])
    assert held["status"] == "held" and held["attendee_count"] == 18
    it = env.client("hospital_it")
    comment = "讲得清楚，联系电话13812345678"
    assert it.post(f"/api/trainings/{planned['id']}/feedback", json={"score": 5, "comment": comment}).status_code == 201
    assert it.post(f"/api/trainings/{planned['id']}/feedback", json={"score": 3}).status_code == 201
    items = it.get("/api/trainings", params={"year": 2026}).json()["items"]
    assert [i["id"] for i in items] == [planned["id"]]
    assert items[0]["feedback_average"] == 4.0 and items[0]["feedback_count"] == 2
    assert len(items[0]["comments"]) == 1 and items[0]["comments"][0]["score"] == 5  # score-only has none
    assert "讲得清楚" in items[0]["comments"][0]["comment"]
    page = env.client("manager").get("/trainings", params={"hospital_id": HOSPITAL_A, "year": 2026}).text
    assert "反馈意见" in page and "讲得清楚" in page
    with session_scope(env.database.sessions) as session:
        stored = session.execute(text("SELECT comment FROM training_feedback")).scalars().all()
    # Personal data is masked before it is stored: the phone number never reaches the table.
    assert stored and all("13812345678" not in c for c in stored)


def test_access_per_role(env: Env) -> None:
    mine = _plan(env)
    other = _plan(env, hospital_id=HOSPITAL_B)
    _held(env, other["id"])
    assert env.client("clinician").get("/api/trainings").status_code == 403
    assert env.client("clinician").get("/trainings").status_code == 403
    it = env.client("hospital_it")
    assert [i["id"] for i in it.get("/api/trainings").json()["items"]] == [mine["id"]]
    assert it.get("/api/trainings", params={"hospital_id": HOSPITAL_B}).status_code == 403
    assert it.post("/api/trainings", json=PLAN).status_code == 403
    assert it.post(f"/api/trainings/{mine['id']}/held", json={"held_at": "2026-11-10T14:00:00+08:00",
                                                              "attendee_count": 3}).status_code == 403
    # Another hospital's training is not found, not merely refused.
    assert it.post(f"/api/trainings/{other['id']}/feedback", json={"score": 4}).status_code == 404
    vendor = env.client("manager").get("/api/trainings").json()["items"]
    assert {i["id"] for i in vendor} == {mine["id"], other["id"]}
    page = it.get("/trainings")
    assert page.status_code == 200 and "培训计划与记录" in page.text
    assert "/api/trainings/handbook?audience=clinician" in page.text
    assert "安排培训" not in page.text  # hospital IT does not plan


def test_bad_input_names_the_field_and_stores_nothing(env: Env) -> None:
    client = env.client("engineer")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"audience": "engineer"}, "audience"),
        ({"planned_at": "2026-11-10T14:00:00"}, "planned_at"),
        ({"hospital_id": "h-none"}, "hospital_id"),
        ({"trainer_id": "eng-none"}, "trainer_id"),
        ({"article_ids": ["no-such-article"]}, "article_ids"),
        ({"topic": ""}, "topic"),
    ]
    for change, field in cases:
        response = client.post("/api/trainings", json={**PLAN, **change})
        assert response.status_code == 422, (change, response.text)
        assert field in str(response.json()["detail"]), (field, response.text)
    assert _count(env) == 0
    planned = _plan(env)
    it = env.client("hospital_it")
    not_held = it.post(f"/api/trainings/{planned['id']}/feedback", json={"score": 4})
    assert not_held.status_code == 422 and "training_id" in not_held.text
    _held(env, planned["id"])
    assert it.post(f"/api/trainings/{planned['id']}/feedback", json={"score": 6}).status_code == 422
    too_many = client.post(f"/api/trainings/{planned['id']}/held", json={
        "held_at": "2026-11-10T14:00:00+08:00", "attendee_count": 1, "attendee_names": ["甲", "乙"]})
    assert too_many.status_code == 422 and "attendee_names" in too_many.text
    ahead = client.post(f"/api/trainings/{planned['id']}/held", json={
        "held_at": "2099-01-01T09:00:00+08:00", "attendee_count": 3})
    assert ahead.status_code == 422 and "held_at" in ahead.text
    assert client.post("/api/trainings/999999/held", json={
        "held_at": "2026-11-10T14:00:00+08:00", "attendee_count": 1}).status_code == 404
    with session_scope(env.database.sessions) as session:
        assert session.scalar(select(func.count()).select_from(TrainingFeedback)) == 0
        row = session.get(TrainingSession, planned["id"])
        assert row is not None and row.attendee_count == 18  # the refused record changed nothing


def test_planned_vs_done_against_the_contract(env: Env) -> None:
    with session_scope(env.database.sessions) as session:
        create_version(session=session, hospital_id=HOSPITAL_A, actor="test", allow_past=True, data=ContractInput(
            tier="premium", valid_from=dt.date(2026, 1, 1), trainings_per_year={"clinician": 4, "it_staff": 2}))
    done = _plan(env)
    _held(env, done["id"])
    _plan(env, planned_at="2026-12-15T09:00:00+08:00")  # still to come
    _plan(env, audience="it_staff", planned_at="2025-12-15T09:00:00+08:00")  # another year
    summary = env.client("hospital_it").get("/api/trainings/summary", params={"year": 2026}).json()
    rows = {r["audience"]: r for r in summary["audiences"]}
    assert rows["clinician"] == {"audience": "clinician", "committed": 4, "done": 1, "scheduled": 1, "missing": 3}
    assert rows["it_staff"] == {"audience": "it_staff", "committed": 2, "done": 0, "scheduled": 0, "missing": 2}
    assert rows["management"]["committed"] == 0
    assert env.client("manager").get("/api/trainings/summary", params={"year": 2026}).status_code == 422
    # The service report counts the held session in its month, and none in the month before.
    with session_scope(env.database.sessions) as session:
        november = service_report(session=session, hospital_id=HOSPITAL_A, period=Period.parse("2026-11"),
                                  compare=False)
        october = service_report(session=session, hospital_id=HOSPITAL_A, period=Period.parse("2026-10"),
                                 compare=False)
    assert november["trainings"]["done"] == 1
    assert october["trainings"]["done"] == 0


def test_page_for_vendor_staff(env: Env) -> None:
    planned = _plan(env)
    page = env.client("manager").get("/trainings", params={"hospital_id": HOSPITAL_A, "year": 2026})
    assert page.status_code == 200
    html = page.text
    assert "HIS 门诊医生站操作培训" in html and "值班工程师" in html
    assert "11月10日 14:00" in html or "2026年11月10日 14:00" in html  # local time, not ISO
    assert "2026-11-10T" not in html
    assert "安排培训" in html and f'data-training="{planned["id"]}"' in html
    assert "合同约定与完成情况" in html
    english = env.client("manager").get("/trainings", params={"hospital_id": HOSPITAL_A, "year": 2026,
                                                              "lang": "en"})
    assert english.status_code == 200
    unknown = env.client("manager").get("/trainings", params={"hospital_id": "h-none"})
    assert unknown.status_code == 200 and "没有这家医院" in unknown.text
