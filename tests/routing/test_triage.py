from __future__ import annotations

import pytest

from weibao.routing.errors import Conflict
from weibao.routing.lifecycle import TRANSITIONS, check_transition
from weibao.routing.triage import Mentioned, Neighbour, priority_for, triage


@pytest.mark.parametrize(
    ("text", "system", "symptom", "department", "expected"),
    [
        ("急诊挂号系统打不开了", "registration", "outage", "emergency", "P1"),
        ("ICU中央站全部黑屏", "icu", "outage", "icu", "P1"),
        # Everyone in the hospital locked out is the hospital's business stopped.
        ("全院HIS都登不上", "his", "login_failure", None, "P1"),
        ("HIS挂了", "his", "outage", "outpatient", "P1"),
        ("互联网医院小程序打不开", "internet_hospital", "outage", "outpatient", "P2"),
        ("服务器文件被勒索病毒加密了", "infrastructure", "security", None, "P1"),
        ("怎么给病人退号", "registration", "how_to", "outpatient", "P4"),
        ("腕带打不出来", "nursing", "print_failure", "inpatient", "P3"),
        ("医保结算失败", "insurance", "settlement_failure", "insurance_office", "P2"),
    ],
)
def test_priority_rules(text: str, system: str, symptom: str, department: str | None, expected: str) -> None:
    priority, rule = priority_for(text, system, symptom, department)
    assert priority == expected and rule


def test_linking_and_neighbours_vote_and_the_evidence_says_so() -> None:
    result = triage(
        "放射科看不了片子",
        [Mentioned("pacs", 0.8, "片子")],
        [Mentioned("image_load", 0.7, "看不了片子")],
        [Mentioned("radiology", 0.9, "放射科")],
        [Neighbour("T-1", 1, "pacs", "slow", "radiology"), Neighbour("T-2", 2, "pacs", "image_load", "radiology")],
    )
    assert (result.system, result.symptom, result.department) == ("pacs", "image_load", "radiology")
    sources = {e["source"] for e in result.evidence}
    assert {"text", "similar_tickets", "rule"} <= sources


def test_without_any_signal_triage_leaves_fields_empty_and_defaults_to_p3() -> None:
    result = triage("有点问题", [], [], [], [])
    assert result.system is None and result.symptom is None and result.priority == "P3"


def test_invalid_transition_names_the_allowed_ones() -> None:
    with pytest.raises(Conflict, match="allowed: in_progress, pending_customer, resolved"):
        check_transition("assigned", "closed")
    assert "in_progress" in TRANSITIONS["closed"]


def test_a_close_runner_up_is_kept_as_an_alternative_and_a_distant_one_is_not() -> None:
    close = triage(
        "急诊医生调阅不了片子",
        [Mentioned("pacs", 0.95, "片子")],
        [],
        [Mentioned("emergency", 0.7, "急诊")],
        [Neighbour("T-1", 1, "emergency", "image_load", "emergency")],
    )
    assert close.system == "emergency"  # 1.0 from the nearest ticket against 0.95 from the text
    assert close.alternatives["system"] == {"pacs": round(0.95 / 1.0, 3)}
    assert "department" not in close.alternatives  # one candidate only
    assert close.as_dict()["alternatives"] == close.alternatives
    distant = triage("放射科看不了片子", [Mentioned("pacs", 0.9, "片子"), Mentioned("emr", 0.2, "病历")], [], [], [])
    assert distant.alternatives == {}


def test_a_vague_ticket_gets_no_invented_system_a_flag_and_a_question() -> None:
    result = triage(
        "系统有问题，用不了，快来人",
        [],
        [Mentioned("outage", 0.7, "用不了")],
        [],
        [Neighbour("T-1", 1, "emr", "outage", "inpatient"), Neighbour("T-2", 2, "his", "outage", "outpatient"),
         Neighbour("T-3", 3, "lis", "outage", "laboratory")],
    )
    assert result.system is None and result.department is None
    assert result.low_confidence and result.clarify == "which_system"
    assert result.priority == "P3"
    assert {"code": "unknown_system", "matched": ""} in result.priority_reasons


def test_a_ticket_that_does_not_say_how_far_it_reaches_asks_about_the_impact() -> None:
    silent = triage("PACS 看片子报错", [Mentioned("pacs", 0.9, "PACS")], [Mentioned("crash_error", 0.8, "报错")], [], [])
    assert silent.system == "pacs" and not silent.priority_reasons
    assert silent.clarify == "which_impact" and not silent.low_confidence
    told = triage("只有这一台电脑 PACS 看片子报错，其他电脑正常", [Mentioned("pacs", 0.9, "PACS")],
                  [Mentioned("crash_error", 0.8, "报错")], [], [])
    assert told.clarify is None and told.priority == "P3"  # one workstation: nothing to ask
    question = triage("请问 PACS 怎么调窗宽窗位", [Mentioned("pacs", 0.9, "PACS")], [Mentioned("how_to", 0.8, "怎么")], [], [])
    assert question.priority == "P4" and question.clarify is None


def test_a_text_without_a_system_takes_one_only_when_the_similar_tickets_agree() -> None:
    agreed = triage(
        "电脑提示IP地址冲突",
        [],
        [],
        [],
        [Neighbour("T-1", 1, "infrastructure", "outage", "information_dept"),
         Neighbour("T-2", 2, "infrastructure", "outage", "information_dept"),
         Neighbour("T-3", 3, "terminal", "outage", "outpatient")],
    )
    assert agreed.system == "infrastructure"
    assert any(e["source"] == "similar_tickets" and e["field"] == "system" for e in agreed.evidence)
