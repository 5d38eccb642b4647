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
        # How to patch a vulnerability, nothing compromised: a consultation (writers 2 and 3);
        # "should we" alone is a decision to take, P3.
        ("Scan report lists a CVE on the PACS server. What's the patch schedule?", "infrastructure",
         "security", "P4", "vulnerability_question"),
        ("漏洞扫描说数据库服务器有高危漏洞，补丁怎么打？", "infrastructure", "security", "P4", "question"),
        ("两台服务器3389端口有漏洞，没发现中招，要不要先关掉？", "infrastructure", "security", "P3",
         "vulnerability_question"),
        ("Is there a report in the LIS that lists rejected samples per ward?", "lis", "interface_error", "P4",
         "question"),
        # A service request, nothing broken.
        ("Please create a PACS account for the new radiographer", "pacs", "login_failure", "P4", "service_request"),
        ("麻烦给两个进修医生开通电子病历账号", "emr", "login_failure", "P4", "service_request"),
        # Stock on the books against the shelf: figures to reconcile, even read as an outage.
        ("Inventory count wrong for heparin: the system says 80 vials, the shelf has 5", "pharmacy", "outage", "P3",
         "mismatch"),
        ("药库账物不符，系统比实际多了三十盒", "pharmacy", "data_sync", "P3", "mismatch"),
        # A dispensing machine's work done by hand: a burden for the whole pharmacy (P2), not a
        # way round (P3) nor a stop (P1).
        ("The pill packaging machine stopped taking orders, we are packing by hand", "pharmacy", "device_connect",
         "P2", "workaround"),
        ("Dispensing robot is down, staff are picking every prescription manually", "pharmacy", "outage", "P2",
         "workaround"),
        # The online hospital down for everyone: patients come to the counters (P2); the HIS
        # down for everyone stays P1.
        ("互联网医院小程序所有人都打不开", "internet_hospital", "outage", "P2", "scope_hospital"),
        ("Whole hospital: the HIS cannot be opened by anyone", "his", "outage", "P1", "scope_hospital"),
        # A ransom note is ransomware whatever the symptom was read as.
        ("电脑上文件扩展名都被改了，桌面有个文件说要付钱才能恢复", "terminal", "crash_error", "P1", "ransomware"),
        # A department or a trainee being set up.
        ("新成立的康复科在HIS里选不到", "his", "data_sync", "P3", "new_setup"),
    ],
)
def test_scope_and_questions(text: str, system: str, symptom: str, expected: str, reason: str) -> None:
    decision = decide(text, system, symptom, None)
    assert decision.priority == expected, decision
    assert reason in {r["code"] for r in decision.reasons}, decision.reasons


def test_a_department_alone_does_not_make_a_safety_area() -> None:
    """Triage's department may be the similar tickets' guess: it raises nothing by itself."""
    text = "骨科新来的规培医生登录HIS提示没有权限，开不了医嘱"
    assert decide(text, "his", "login_failure", "icu").priority == decide(text, "his", "login_failure", None).priority
    assert decide(text, "his", "login_failure", "icu").priority != "P1"
    # Named in the text, or a safety system, it still does.
    assert decide("ICU医生开不了医嘱，正在抢救", "his", "crash_error", None).priority == "P1"
    assert decide("开不了医嘱，正在抢救", "icu", "crash_error", None).priority == "P1"
