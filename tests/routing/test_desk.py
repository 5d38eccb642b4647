"""The ticket desk end to end over the seeded services: real triage, SLA, assignment, loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from weibao.routing.desk import Scope
from weibao.routing.errors import Conflict, Invalid, NotFound
from weibao.routing.planning import TicketDraft

WEDNESDAY_10_SHANGHAI = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def desk(seeded_services):  # type: ignore[no-untyped-def]
    return seeded_services.desk


def test_dry_run_plan_triages_the_issue_example_and_explains_the_assignment(desk) -> None:  # type: ignore[no-untyped-def]
    plan = desk.plan(
        TicketDraft(hospital_id="h-hzsy", title="放射科电脑上看不了片子", description="阅片工作站打开影像一直转圈",
                    at=WEDNESDAY_10_SHANGHAI)
    )
    assert plan.triage.system == "pacs" and plan.triage.symptom in ("image_load", "slow")
    assert plan.triage.department == "radiology"
    assert plan.contract.tier == "premium"
    assert plan.response_due > plan.created_at
    first = plan.eligible[0]
    assert set(first.factors) >= {"system", "department", "history", "load", "dedicated"}
    assert abs(sum(first.factors.values()) - first.score) < 1e-9
    assert plan.suggested_articles and plan.suggested_articles[0]["url"].startswith("/articles/")
    assert any(e["source"] == "similar_tickets" for e in plan.triage.evidence)


def test_p1_outage_in_the_emergency_department(desk) -> None:  # type: ignore[no-untyped-def]
    plan = desk.plan(TicketDraft(hospital_id="h-fsnh", title="急诊预检分诊系统打不开了，全部护士站都进不去",
                                 at=WEDNESDAY_10_SHANGHAI))
    assert plan.priority == "P1"
    assert all(c.tier in ("L2", "L3") for c in plan.eligible)
    assert plan.response_due - plan.created_at == timedelta(hours=1)  # premium: 7×24


def test_reporter_priority_override_needs_a_reason(desk) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid) as info:
        desk.plan(TicketDraft(hospital_id="h-hzsy", title="打印机坏了", priority="P1"))
    assert info.value.field == "priority_reason"


def test_unknown_hospital_is_not_found(desk) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        desk.plan(TicketDraft(hospital_id="h-nope", title="x"))


def test_create_assigns_records_events_and_a_hospital_cannot_see_another(desk) -> None:  # type: ignore[no-untyped-def]
    ticket, plan = desk.create(
        TicketDraft(hospital_id="h-jnwy", title="检验科生化仪结果传不到LIS", description="患者张三丰的标本结果没回来，电话13812345678",
                    priority="P2", priority_reason="标本多，影响出报告"),
        actor="it_jn",
    )
    assert ticket.code.startswith("T-") and ticket.assignee_id == plan.eligible[0].engineer_id
    assert "张三丰" not in ticket.description and "13812345678" not in ticket.description
    kinds = [e.kind for e in desk.events(ticket)]
    assert kinds[:3] == ["created", "priority_overridden", "assigned"] or kinds[:2] == ["created", "assigned"]
    with pytest.raises(NotFound):
        desk.get(ticket.code, Scope(hospital_id="h-hzsy"))
    assert desk.get(ticket.code, Scope(hospital_id="h-jnwy")).id == ticket.id


def test_lifecycle_pause_resolve_makes_the_ticket_searchable_and_counts_for_the_engineer(desk, seeded_kb) -> None:  # type: ignore[no-untyped-def]
    ticket, _ = desk.create(TicketDraft(hospital_id="h-hzsy", title="护士站紫外线消毒记录打印机吐白纸"), actor="t")
    if ticket.assignee_id is None:
        # Left unassigned when earlier tests of the session filled every matching engineer's
        # cap, or outside everyone's shift at the wall-clock hour (routine work waits for it).
        ticket = desk.reassign(ticket.code, "eng-zhouhaitao", "t", "测试指派")
    engineer = ticket.assignee_id
    assert engineer is not None
    before = seeded_kb.graph.engineer_record(ticket.system, ticket.symptom).get(engineer, 0)
    desk.transition(ticket.code, "in_progress", "eng")
    paused = desk.transition(ticket.code, "pending_customer", "eng", "等科室确认")
    assert paused.pauses and paused.pauses[0][1] is None
    with pytest.raises(Conflict, match="allowed: in_progress, resolved"):
        desk.transition(ticket.code, "closed", "eng")
    with pytest.raises(Invalid):
        desk.resolve(ticket.code, "eng", "  ", ["x"])
    desk.resolve(ticket.code, "eng", "热敏打印头老化导致吐白纸", ["更换打印头", "打印测试页确认"], ["fix-terminal-test"])
    hits = seeded_kb.search("热敏打印头老化 吐白纸").hits
    assert any(h.kind == "ticket" and h.id == ticket.code for h in hits[:5])
    assert seeded_kb.graph.engineer_record(ticket.system, ticket.symptom).get(engineer, 0) == before + 1
    draft = desk.promote(ticket.code, "eng")
    assert draft.status == "draft" and "更换打印头" in draft.body
    reopened = desk.transition(ticket.code, "in_progress", "eng", "又坏了")
    assert reopened.resolved_at is None and desk.events(reopened)[-1].kind == "reopened"


def test_reassign_and_escalate_are_events(desk) -> None:  # type: ignore[no-untyped-def]
    ticket, _ = desk.create(TicketDraft(hospital_id="h-cdqy", title="门诊收费处医保结算报错"), actor="t")
    desk.reassign(ticket.code, "eng-zhouhaitao", "manager", "熟悉该院")
    with pytest.raises(NotFound):
        desk.reassign(ticket.code, "eng-nobody", "manager")
    escalated = desk.escalate(ticket.code, "manager", "需要专家")
    assert escalated.escalation_level >= 1
    assert [e.kind for e in desk.events(escalated)][-2:] == ["reassigned", "escalated"]


def test_sla_check_warns_then_breaches_and_escalates(desk) -> None:  # type: ignore[no-untyped-def]
    ticket, _ = desk.create(TicketDraft(hospital_id="h-fsnh", title="ICU中央监护站黑屏，全部床位看不到",
                                        at=WEDNESDAY_10_SHANGHAI), actor="t")
    assert ticket.priority == "P1"
    changes = desk.sla_check(now=WEDNESDAY_10_SHANGHAI + timedelta(minutes=50))
    assert {"ticket": ticket.code, "target": "response", "state": "warning"} in changes
    changes = desk.sla_check(now=WEDNESDAY_10_SHANGHAI + timedelta(minutes=61))
    assert {"ticket": ticket.code, "target": "response", "state": "breached"} in changes
    kinds = [e.kind for e in desk.events(desk.get(ticket.code))]
    assert "sla_warning" in kinds and "sla_breached" in kinds and kinds[-1] == "escalated"


def test_original_text_is_kept_only_when_allowed_and_shown_only_to_the_hospital(seeded_services) -> None:  # type: ignore[no-untyped-def]
    from weibao.routing.desk import TicketDesk

    text = "患者李四的腕带打不出来，电话13912345678"
    plain = TicketDesk(seeded_services.kb, seeded_services.database.sessions)
    ticket, _ = plain.create(TicketDraft(hospital_id="h-szlh", title="腕带打印机", description=text))
    assert ticket.description_original is None and "13912345678" not in ticket.description
    keeping = TicketDesk(seeded_services.kb, seeded_services.database.sessions, keep_original=True)
    kept, _ = keeping.create(TicketDraft(hospital_id="h-szlh", title="腕带打印机", description=text))
    assert keeping.original_text(kept, "h-szlh", None) == text
    assert keeping.original_text(kept, "h-hzsy", None) is None
    assert keeping.original_text(kept, None, None) is None


def test_when_nobody_is_on_the_roster_the_ticket_waits_unassigned_and_is_escalated(seeded_kb, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from weibao.core import migrate
    from weibao.core.db import Database, session_scope
    from weibao.core.settings import REPO_DIR
    from weibao.routing.desk import TicketDesk
    from weibao.routing.seed import load_hospitals

    database = Database(f"sqlite:///{tmp_path / 'empty-roster.db'}")
    migrate.upgrade(database.engine)
    with session_scope(database.sessions) as session:
        load_hospitals(session, REPO_DIR / "data" / "seed_ops" / "hospitals.yaml")  # no engineers
    empty = TicketDesk(seeded_kb, database.sessions)
    ticket, plan = empty.create(TicketDraft(hospital_id="h-hzsy", title="急诊挂号系统打不开了",
                                            at=WEDNESDAY_10_SHANGHAI))
    assert plan.candidates == [] and ticket.assignee_id is None and ticket.status == "new"
    events = empty.events(ticket)
    assert [e.kind for e in events] == ["created", "escalated"]
    assert events[-1].detail == {"to": "service_manager", "queue": "unassigned"} and events[-1].reason
    assert [t.code for t in empty.list(unassigned=True)] == [ticket.code]
