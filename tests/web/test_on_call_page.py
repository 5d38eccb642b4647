"""The ticket page explains an on-call assignment in both languages, and a routine ticket
is not given to an engineer who is only on call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.security.conftest import ENGINEER, HOSPITAL_A, Env, build_env
from weibao.core import migrate
from weibao.core.db import Database, session_scope
from weibao.routing.models import Engineer
from weibao.routing.planning import TicketDraft

ALWAYS_ON_CALL = [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "00:00",
                   "on_call": True}]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("on-call-page")
    url = f"sqlite:///{tmp / 'on-call.db'}"
    migrate.upgrade(Database(url).engine)
    built = build_env(tmp, url)
    with session_scope(built.database.sessions) as session:
        engineer = session.get(Engineer, ENGINEER)
        assert engineer is not None
        engineer.shifts = ALWAYS_ON_CALL
    yield built
    built.database.engine.dispose()


def test_urgent_ticket_reaches_the_on_call_engineer_and_the_page_says_so(env: Env) -> None:
    ticket, _ = env.desk.create(TicketDraft(hospital_id=HOSPITAL_A, title="急诊挂号全部进不去", priority="P1",
                                            priority_reason="急诊停摆"), "clinician")
    assert ticket.assignee_id == ENGINEER
    manager = env.client("manager")
    zh = manager.get(f"/tickets/{ticket.code}", params={"lang": "zh"}).text
    assert "可响应时段" in zh and "正常班次外，由值班工程师响应" in zh
    en = manager.get(f"/tickets/{ticket.code}", params={"lang": "en"}).text
    assert "Availability" in en and "Outside the normal shift, reached on call" in en


def test_routine_ticket_waits_rather_than_wake_the_on_call_engineer(env: Env) -> None:
    ticket, plan = env.desk.create(TicketDraft(hospital_id=HOSPITAL_A, title="打印机偶尔卡纸", priority="P4",
                                               priority_reason="不急"), "clinician")
    assert ticket.assignee_id is None and ticket.status == "new"
    assert "on call takes P1/P2 only" in str(plan.candidates[0].excluded_because)
