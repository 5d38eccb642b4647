"""Impact-aware priority: scope, critical areas and moments, blocked flow, workaround, question form."""

from __future__ import annotations

import pytest

from weibao.routing.priority import decide


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # A whole hospital stopped is P1 whatever the system.
        ("整个医院的网络都断了，哪里都进不去", "infrastructure", "outage", "P1", "scope_hospital"),
        ("the whole hospital network is down", "infrastructure", "outage", "P1", "scope_hospital"),
        # An operation in progress, the emergency department unable to register.
        ("麻醉系统在手术中闪退了", "or_anesthesia", "crash_error", "P1", "critical_moment"),
        ("anaesthesia charting crashed during the operation", "or_anesthesia", "crash_error", "P1", "critical_area"),
        ("急诊挂号挂不上号，病人排长队", "registration", "crash_error", "P1", "blocked_flow"),
        ("ED cannot register patients at all", "registration", "crash_error", "P1", "blocked_flow"),
        # Degraded: slow for a department, no workaround.
        ("骨科整个科室写病历都很慢", "emr", "slow", "P2", "scope_group"),
        # One workstation or a workaround: partial.
        ("只有这台电脑打不开片子，其他电脑正常", "pacs", "image_load", "P3", "scope_single"),
        ("label printer jammed, we are writing labels by hand", "terminal", "print_failure", "P3", "workaround"),
        # Questions are consultations.
        ("请问怎么修改已经提交的护理记录？", "nursing", "how_to", "P4", "question"),
        ("how do I change my signature picture", "emr", None, "P4", "question"),
        # Monitoring: the alert's own severity.
        ("[FIRING] severity=warning disk 82% on his-app-01", "infrastructure", "storage_alarm", "P3", "alert_warning"),
        ("【Zabbix】接口失败率 40%，严重程度：灾难", "integration", "interface_error", "P1", "alert_critical"),
        # Security: encryption spreads, a single infected stick does not.
        ("服务器文件被加密了，要比特币", "infrastructure", "security", "P1", "ransomware"),
    ],
)
def test_priority_reads_the_impact(text: str, system: str, symptom: str | None, expected: str, reason: str) -> None:
    decision = decide(text, system, symptom, None)
    assert decision.priority == expected, decision
    assert reason in {r["code"] for r in decision.reasons}, decision.reasons
    assert decision.rule


def test_a_complaint_phrased_with_zenme_ban_is_not_a_question() -> None:
    decision = decide("HIS全院都登不上了，怎么办", "his", "login_failure", None)
    assert decision.priority == "P1"
    assert "question" not in {r["code"] for r in decision.reasons}


def test_no_system_and_no_impact_stays_p3_and_says_the_system_is_unknown() -> None:
    decision = decide("用不了了，快来人", None, "outage", None)
    assert decision.priority == "P3"
    assert decision.reasons == [{"code": "unknown_system", "matched": ""}]


def test_every_reason_names_the_words_that_triggered_it() -> None:
    decision = decide("ICU 正在抢救的病人监护数据进不来", "icu", "device_connect", "icu")
    matched = {r["code"]: r["matched"] for r in decision.reasons}
    assert decision.priority == "P1"
    assert matched["critical_area"] and matched["critical_moment"] in "正在抢救"
