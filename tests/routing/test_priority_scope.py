"""Priority rules from the third writer's development set (data/eval/heldout3), kept only
where the other writers agree. Phrasings here are written for the tests."""

from __future__ import annotations

import pytest

from weibao.routing.priority import decide


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # One numbered device is one workstation: the next kiosk or PC does the job (P3).
        ("住院部5号自助机黑屏了", "terminal", "outage", "P3", "scope_single"),
        ("Kiosk #7 at the west entrance shows a blue screen", "terminal", "outage", "P3", "scope_single"),
        ("超声科3号工作站打不开影像", "pacs", "image_load", "P3", "scope_single"),
        # Every window of a flow is the whole flow stopped.
        ("所有的挂号窗口都报错，挂不了号", "registration", "crash_error", "P1", "scope_hospital"),
        # "Two minutes for one patient" is a per-patient time, not one patient's problem.
        ("急诊预检分诊录一个病人要三分钟，一直转圈", "emergency", "slow", "P2", "critical_area"),
        # "What's the process" is a question: a vulnerability asked about is not an incident.
        ("Scan report lists a CVE on the PACS server. What's the patch schedule?", "infrastructure",
         "security", "P3", "vulnerability_question"),
    ],
)
def test_scope_and_questions(text: str, system: str, symptom: str, expected: str, reason: str) -> None:
    decision = decide(text, system, symptom, None)
    assert decision.priority == expected, decision
    assert reason in {r["code"] for r in decision.reasons}, decision.reasons
