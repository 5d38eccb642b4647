"""The learned priority model: bounded by the rules, fed by corrections, optional."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from weibao.core import migrate
from weibao.core.accounts import Hospital
from weibao.core.db import Database, session_scope
from weibao.routing import priority_model
from weibao.routing.corrections import TicketCorrection, latest_priorities
from weibao.routing.models import PRIORITIES, Ticket
from weibao.routing.priority import decide
from weibao.routing.priority_model import (
    PrioritySample,
    bounded_level,
    decide_priority,
    hard_floor,
    load,
    model_path,
    train,
)
from weibao.routing.training import ticket_priority_samples, train_priority_and_save
from weibao.routing.triage import Mentioned, triage

TEXTS = [
    ("全院HIS都打不开了，挂号收费全停", "his", "outage", None),
    ("急诊挂号系统挂不了号，病人排队越来越多", "registration", "outage", "emergency"),
    ("手术中麻醉系统闪退，正在手术", "or_anesthesia", "crash_error", "surgery"),
    ("一台电脑打印机打不出来，其他电脑正常", "terminal", "print_failure", None),
    ("请问怎么修改密码？", "his", "how_to", None),
    ("How do I export a report from the EMR?", "emr", "how_to", None),
    ("The whole ward cannot sign orders in the EMR", "emr", "crash_error", "inpatient"),
    ("LIS报告打印缺页", "lis", "print_failure", None),
    ("医保结算超时，病人在窗口等", "insurance", "settlement_failure", None),
    ("PACS loads slowly in radiology, takes minutes", "pacs", "slow", "radiology"),
    ("勒索病毒，文件被加密了", "infrastructure", "security", None),
    ("药房发药系统报错，发不了药", "pharmacy", "crash_error", "pharmacy"),
]


def _skewed_model(level: str) -> priority_model.PriorityModel:
    """A model trained to say `level` for everything: the strongest pull away from the rules."""
    samples = [PrioritySample(text, system, symptom, department, level)
               for text, system, symptom, department in TEXTS]
    other = "P1" if level != "P1" else "P4"
    samples.append(PrioritySample("无关的一句话", None, None, None, other, weight=0.01))
    model, _ = train(samples * 3, margin=0.0, enabled=True)
    return model


@pytest.mark.parametrize("level", PRIORITIES)
def test_the_model_never_moves_the_rules_two_levels_nor_across_a_floor(level: str) -> None:
    model = _skewed_model(level)
    moves = 0
    for text, system, symptom, department in TEXTS:
        rule = decide(text, system, symptom, department)
        moved = model.adjust(rule, text, system, symptom, department)
        moves += moved.priority != rule.priority
        assert abs(PRIORITIES.index(moved.priority) - PRIORITIES.index(rule.priority)) <= 1, (text, moved)
        if hard_floor(rule, text, system, department):
            assert moved.priority == rule.priority, (text, moved)
        # The rules' reasons stay the explanation; a move adds one reason of its own.
        assert moved.reasons[:len(rule.reasons)] == rule.reasons
        if moved.priority != rule.priority:
            assert moved.reasons[-1]["code"] == "learned_adjustment"
    # The pull is real: every rule level away from `level` that is not a floor moves.
    assert moves >= 3


def test_a_model_saved_disabled_leaves_the_rules_alone() -> None:
    model = _skewed_model("P4")
    model.enabled = False
    for text, system, symptom, department in TEXTS:
        rule = decide(text, system, symptom, department)
        assert model.adjust(rule, text, system, symptom, department) == rule


def test_bounded_level_only_takes_a_neighbour_that_beats_the_rules_by_the_margin() -> None:
    for rule_level, probabilities in itertools.product(range(4), itertools.permutations([0.05, 0.1, 0.25, 0.6])):
        level = bounded_level(rule_level, probabilities, 0.1)
        assert abs(level - rule_level) <= 1
        if level != rule_level:
            assert probabilities[level] >= probabilities[rule_level] + 0.1
    assert bounded_level(0, [0.1, 0.1, 0.1, 0.7], 0.0) == 0  # the far level is out of reach
    assert bounded_level(1, [0.1, 0.3, 0.35, 0.25], 0.1) == 1  # not clearly surer: the rules


def test_floors_a_question_stays_p4_and_work_stopped_in_a_safety_area_stays_p1() -> None:
    question = decide("请问怎么修改密码？", "his", "how_to", None)
    assert question.priority == "P4" and hard_floor(question, "请问怎么修改密码？", "his", None)
    stopped = decide("急诊挂号挂不了，正在抢救", "emergency", "outage", "emergency")
    assert stopped.priority == "P1" and hard_floor(stopped, "急诊挂号挂不了，正在抢救", "emergency", "emergency")
    for level in ("P2", "P3"):
        model = _skewed_model(level)
        assert model.adjust(question, "请问怎么修改密码？", "his", "how_to", None).priority == "P4"
        assert model.adjust(stopped, "急诊挂号挂不了，正在抢救", "emergency", "outage",
                            "emergency").priority == "P1"


def test_without_a_model_file_the_rules_alone_decide(tmp_path: Path) -> None:
    loader = priority_model._Loaded()
    path = model_path(tmp_path)
    assert loader.get(path) is None
    priority_model.use(loader.get(path))
    try:
        for text, system, symptom, department in TEXTS:
            assert decide_priority(text, system, symptom, department) == decide(text, system, symptom, department)
        result = triage("一台电脑打印机打不出来，其他电脑正常", [Mentioned("terminal", 1.0)],
                        [Mentioned("print_failure", 1.0)], [], [])
        rule = decide("一台电脑打印机打不出来，其他电脑正常", "terminal", "print_failure", "outpatient")
        assert (result.priority, result.priority_reasons) == (rule.priority, rule.reasons)
    finally:
        priority_model.use_file()
    # A file appears (a `weibao train` elsewhere): the loader picks it up on its next look.
    _skewed_model("P4").save(path)
    loader._checked = 0.0
    assert loader.get(path) is not None
    # A broken file: the rules alone, as without one.
    path.write_bytes(b"not a model")
    loader._checked = 0.0
    assert loader.get(path) is None


def _database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    migrate.upgrade(database.engine)
    return database


def _ticket(session, code: str, title: str, priority: str, status: str = "closed") -> Ticket:  # type: ignore[no-untyped-def]
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    ticket = Ticket(code=code, hospital_id="h1", title=title, description="", system="his", symptom="crash_error",
                    department="outpatient", priority=priority, status=status, created_at=now,
                    response_due=now + timedelta(hours=1), resolution_due=now + timedelta(hours=8))
    session.add(ticket)
    session.flush()
    return ticket


def test_a_corrected_priority_is_the_label_of_the_next_training(tmp_path: Path) -> None:
    database = _database(tmp_path)
    text = "门诊医生站开处方报错"
    with session_scope(database.sessions) as session:
        session.add(Hospital(id="h1", name="测试医院"))
        session.flush()
        for i in range(12):
            _ticket(session, f"T-{i}", f"{text} {i}", "P2")
            _ticket(session, f"Q-{i}", f"请问怎么打印发票 {i}", "P4")
        corrected = _ticket(session, "T-X", text, "P2")
        session.add(TicketCorrection(ticket_id=corrected.id, hospital_id="h1", actor="eng-1",
                                     predicted={"priority": "P2"}, priority="P3", reason="one room only"))
        open_one = _ticket(session, "T-O", "收费处打印机卡纸", "P2", status="in_progress")
        session.add(TicketCorrection(ticket_id=open_one.id, hospital_id="h1", actor="eng-1",
                                     predicted={"priority": "P2"}, priority="P4", reason="a request"))
    with session_scope(database.sessions) as session:
        assert latest_priorities(session) == {corrected.id: "P3", open_one.id: "P4"}
        samples = {s.text: s for s in ticket_priority_samples(session)}
        # The correction wins over the ticket's own level, weighs more, and an open ticket
        # an engineer corrected teaches too.
        assert samples[text].priority == "P3" and samples[text].source == "correction"
        assert samples[text].weight > samples[f"{text} 0"].weight
        assert samples["收费处打印机卡纸"].priority == "P4"
        model, report = train_priority_and_save(session, None, tmp_path)
    assert report.by_source == {"ticket": 24, "correction": 2}
    assert model.counts["P3"] == 1 and model.counts["P4"] == 13
    saved = load(model_path(tmp_path))
    assert saved is not None and report.size_bytes == model_path(tmp_path).stat().st_size
    assert np.allclose(saved.weights, model.weights)
