"""A time zone stored before zones were validated does not make a hospital's tickets fail."""

from __future__ import annotations

from sqlalchemy import update

from tests.web.security.conftest import HOSPITAL_A, Env
from weibao.core.accounts import Hospital
from weibao.core.db import session_scope


def test_tickets_of_a_hospital_with_an_unknown_stored_zone_still_work(env: Env) -> None:
    with session_scope(env.database.sessions) as session:
        session.execute(update(Hospital).where(Hospital.id == HOSPITAL_A).values(timezone="Mars/Olympus"))
    it = env.client("hospital_it")
    created = it.post("/api/tickets", json={"title": "门诊收费窗口打印机卡纸"})
    assert created.status_code == 201, created.text
    code = created.json()["id"]
    assert created.json()["sla"]["response_due"].endswith("+08:00")
    assert it.get(f"/api/tickets/{code}").status_code == 200
    assert it.get("/api/tickets").status_code == 200
    assert it.get(f"/tickets/{code}").status_code == 200
