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


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # A safety signal that does not get through is P1 even without a stopped flow.
        ("危急值结果出来了病房没收到提醒", "lis", "data_sync", "P1", "safety_risk"),
        ("critical results are not being flagged to the ward", "lis", "data_sync", "P1", "safety_risk"),
        # Resuscitation is a critical moment by itself.
        ("正在抢救的病人腕带打不出来", "terminal", "print_failure", "P1", "critical_moment"),
        # The resuscitation room as a place is a safety area, not a moment.
        ("抢救室电脑的腕带打印机打不出来", "terminal", "print_failure", "P2", "critical_area"),
        # A long or growing queue at a failing step of the emergency department; a queue alone is P2.
        ("急诊收费窗口很卡，病人排了很长的队", "his", "slow", "P1", "people_waiting"),
        ("急诊收费窗口很卡，病人在排队", "his", "slow", "P2", "people_waiting"),
        # Tomorrow's list is not this moment's emergency.
        ("手术室排程里看不到明天的手术申请，明天的手术排不了", "or_anesthesia", "data_sync", "P2", "blocked_flow"),
        # Hospital-wide but only slower: degraded, not stopped.
        ("全院打开病历都要等一两分钟", "emr", "slow", "P2", "scope_hospital"),
        ("opening results takes minutes on every ward, hospital-wide", "lis", "slow", "P2", "scope_hospital"),
        # Figures to reconcile, part of an output missing: nothing has stopped.
        ("门诊收费日报和财务系统金额对不上", "his", "data_sync", "P3", "mismatch"),
        ("stock figures in the pharmacy system don't match the shelf count", "pharmacy", "data_sync", "P3", "mismatch"),
        ("出院小结打印出来少了最后一页", "emr", "print_failure", "P3", "partial_output"),
        # Patients waiting at a counter for a failing step, outside safety areas: P2.
        ("入院处打不出押金收据，病人在等着", "his", "print_failure", "P2", "people_waiting"),
        # Re-keying results by hand is a burden, not a way round; typing one number is.
        ("血气分析仪结果传不到LIS，只能一个个手工录", "lis", "device_connect", "P2", "workaround"),
        ("scanner won't read the wristband so we type the patient number by hand", "nursing", "device_connect",
         "P3", "workaround"),
        # A question with no complaint is a consultation whatever symptom was linked.
        ("Is it possible to reprint yesterday's discharge summary from the ward?", "emr", "print_failure",
         "P4", "question"),
        # A question about a warning's impact.
        ("服务器右下角提示授权快到期了，会不会影响使用？", "infrastructure", "cert_license", "P3", "impact_question"),
        # A critical alert on a store that is full (writes refused), not one filling.
        ("[FIRING] severity=critical tablespace USERS is full, ORA-01653", "his", "storage_alarm", "P1", "alert_critical"),
        ("[FIRING] severity=critical volume /data usage 91%", "pacs", "storage_alarm", "P2", "alert_critical"),
    ],
)
def test_impact_rules_for_unseen_phrasing(text: str, system: str, symptom: str, expected: str, reason: str) -> None:
    decision = decide(text, system, symptom, None)
    assert decision.priority == expected, decision
    assert reason in {r["code"] for r in decision.reasons}, decision.reasons


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected"),
    [
        # A catheterisation lab with the patient on the table is a procedure room mid-case.
        ("Cath lab viewer will not open the old angiogram\nThe patient is on the table now",
         "pacs", "image_load", "P1"),
        ("导管室调不出病人以前的造影\n病人已经在手术台上了", "pacs", "image_load", "P1"),
        # Written requests are service requests, even with words like "discharged" inside.
        ("Request for access to discharged charts\nThe audit team needs read-only access", "emr",
         "login_failure", "P4"),
        ("Questions about the upgrade window\nWhich modules are unavailable during it?", "his",
         "upgrade_regression", "P4"),
        ("Please disable the accounts of a nurse who left", "his", "login_failure", "P4"),
        ("Need a new account for a visiting surgeon\nHe starts on Monday", "emr", "login_failure", "P4"),
        # The vendor's VPN, written against Chinese text, is remote access, not the hospital down.
        ("工程师说连不上医院的VPN，没法远程处理", "infrastructure", "outage", "P3"),
        # Every counter of the cashier's hall refusing to settle is the business stopped.
        ("收费处全部结算报错\n大厅排满了人", "his", "settlement_failure", "P1"),
    ],
)
def test_requests_procedure_rooms_vendor_access_and_whole_counters(
    text: str, system: str, symptom: str, expected: str
) -> None:
    assert decide(text, system, symptom, None).priority == expected


def test_one_patient_checked_twice_is_not_one_workstation() -> None:
    # "同一个病人" (the same patient) says nothing about how many stations are affected.
    decision = decide("输血前扫码核对提示不符，核对过是同一个病人，输血暂停了", "nursing", "data_sync", None)
    assert "scope_single" not in {r["code"] for r in decision.reasons}
