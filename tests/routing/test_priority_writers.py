"""Priority rules that hold across writers: a second development set by another writer
(data/eval/heldout2) showed over-escalation of one-workstation problems, warnings with
headroom and certificates with days left. Phrasings here are written for the tests."""

from __future__ import annotations

import pytest

from weibao.routing.priority import decide


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # Other workstations, rooms or windows work: one place, partial (DESIGN P3).
        ("儿科2诊室医生站开不了检验单，别的诊室好的", "lis", "crash_error", "P3", "scope_single"),
        ("Lab order entry fails in clinic room 4, the other rooms are fine", "lis", "crash_error", "P3",
         "scope_single"),
        ("收费处一台电脑结算报错，另外一台能用", "his", "settlement_failure", "P3", "scope_single"),
        ("影像调阅空白，换一台电脑可以", "pacs", "image_load", "P3", "scope_single"),
        # Storage with room left is a warning; full, failing disks or >= 95 % stay P2.
        ("【Zabbix】app02 磁盘 D: 使用率 91%", "infrastructure", "storage_alarm", "P3", "storage_headroom"),
        ("monitoring: EMR file share usage at 89%", "infrastructure", "storage_alarm", "P3", "storage_headroom"),
        ("PACS online storage usage 97%, a few days left", "pacs", "storage_alarm", "P2", ""),
        ("存储阵列一块硬盘故障，RAID5 降级", "infrastructure", "storage_alarm", "P2", ""),
        # A certificate that still has days to run has not stopped anything.
        ("[FIRING] CertExpiring: portal certificate expires in 9 days", "internet_hospital", "cert_license", "P3",
         "expiring_soon"),
        ("CA证书还有10天到期，提醒一下", "emr", "cert_license", "P3", "expiring_soon"),
        # ... one that has expired and stops signing is not a warning.
        ("CA证书已经过期，全科医生都签不了名", "emr", "cert_license", "P2", ""),
        # Dispensing is core business: slow dispensing for the pharmacy is degraded (P2).
        ("门诊药房发药界面每次刷新要二十秒", "pharmacy", "slow", "P2", ""),
    ],
)
def test_priority_across_writers(text: str, system: str, symptom: str, expected: str, reason: str) -> None:
    decision = decide(text, system, symptom, None)
    assert decision.priority == expected, decision
    if reason:
        assert reason in {r["code"] for r in decision.reasons}, decision.reasons


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # Part of a printout missing is partial output, also in a safety area.
        ("麻醉记录单只打出来第一页", "or_anesthesia", "print_failure", "P3", "partial_output"),
        ("The ICU chart prints only the first page", "icu", "print_failure", "P3", "partial_output"),
        # The vendor's remote access delays the fix; the wards work on.
        ("堡垒机连不上，你们工程师没法远程", "infrastructure", "device_connect", "P3", "vendor_access"),
        ("Your support engineer can't get in over the VPN", "infrastructure", "outage", "P3", "vendor_access"),
        # Setting up someone new is one account's problem, outside safety areas.
        ("新入职的护士在护理系统里看不到病人", "nursing", "login_failure", "P3", "new_setup"),
        ("A new doctor cannot be picked as requester in the LIS", "lis", "data_sync", "P3", "new_setup"),
        ("急诊新来的医生登不上", "emergency", "login_failure", "P2", ""),
        # A question that carries a failure (a timeout, money taken) is a complaint, not a consultation.
        ("医保结算超时了，钱也扣了，怎么处理？", "insurance", "settlement_failure", "P2", ""),
    ],
)
def test_partial_and_setup_problems(text: str, system: str, symptom: str, expected: str, reason: str) -> None:
    decision = decide(text, system, symptom, None)
    assert decision.priority == expected, decision
    if reason:
        assert reason in {r["code"] for r in decision.reasons}, decision.reasons


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # The queue-calling display is P3 for all three writers and the seed desk: call by voice.
        ("三楼候诊区叫号大屏不亮了，护士出去喊号", "registration", "outage", "P3", "queue_display"),
        ("The calling screen in the eye clinic is dead", "registration", "outage", "P3", "queue_display"),
        # ... but registration itself failing is not a display problem.
        ("门诊所有挂号窗口都挂不了号，叫号屏也黑了", "registration", "outage", "P1", "blocked_flow"),
        # "Other buildings are fine" names an area that is down, not one workstation.
        ("急诊楼整个网络断了，其他楼正常", "emergency", "outage", "P1", "critical_area"),
    ],
)
def test_display_and_area_scope(text: str, system: str, symptom: str, expected: str, reason: str) -> None:
    decision = decide(text, system, symptom, None)
    assert decision.priority == expected, decision
    assert reason in {r["code"] for r in decision.reasons}, decision.reasons


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected"),
    [
        # One printer or one late record in a safety area, nothing blocked: partial.
        ("急诊留观单打出来是白纸", "emergency", "print_failure", "P3"),
        ("ICU nurse PC won't print the fluid balance sheet", "icu", "print_failure", "P3"),
        # Patient identification stays a safety matter.
        ("ICU腕带打印机打不出来", "icu", "print_failure", "P2"),
    ],
)
def test_peripherals_in_safety_areas(text: str, system: str, symptom: str, expected: str) -> None:
    assert decide(text, system, symptom, None).priority == expected


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected"),
    [
        # All the PCs of one floor of wards or offices: that floor, not the hospital (P2).
        ("住院部9楼所有电脑都上不了网", "infrastructure", "outage", "P2"),
        ("All PCs on the 5th floor of the admin building lost network", "infrastructure", "outage", "P2"),
        # ... where patients queue (outpatient, emergency), it stays an emergency.
        ("门诊2楼所有电脑都上不了网", "infrastructure", "outage", "P1"),
    ],
)
def test_a_floor_is_not_the_hospital(text: str, system: str, symptom: str, expected: str) -> None:
    assert decide(text, system, symptom, None).priority == expected


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # It works elsewhere (radiology can see it, the physical card works): a way round.
        ("病房医生站调阅影像空白，放射科那边能看", "pacs", "image_load", "P3", "workaround"),
        ("电子医保码扫不出来，刷实体卡可以", "insurance", "device_connect", "P3", "workaround"),
        # Doing a whole service by phone or by hand is a burden, not a way round.
        ("病区收不到医嘱，只能电话口头通知护士", "his", "data_sync", "P2", "workaround"),
        # One kiosk payment taken but not booked: both human writers say P3.
        ("病人在3号自助机缴费，扣了钱但显示失败", "terminal", "settlement_failure", "P3", "one_payment"),
        ("Kiosk charged the patient's card but the bill is still open", "terminal", "settlement_failure", "P3",
         "one_payment"),
    ],
)
def test_ways_round_and_burdens(text: str, system: str, symptom: str, expected: str, reason: str) -> None:
    decision = decide(text, system, symptom, None)
    assert decision.priority == expected, decision
    assert reason in {r["code"] for r in decision.reasons}, decision.reasons


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # One patient's data shown as another's is never P3 (a mix-up to stop); in a
        # patient-safety area it is acted on at once (writers 2, 4 and 5: P1).
        ("ICU 4床的监护数据显示到6床去了", "icu", "device_connect", "P1", "safety_risk"),
        ("The nursing app shows the wrong patient photo for bed 8", "nursing", "data_sync", "P2", "safety_risk"),
        # A vulnerability asked about, nothing compromised: planned work (P3), not an incident.
        ("漏洞扫描说数据库服务器有高危漏洞，要不要先打补丁？", "infrastructure", "security", "P3",
         "vulnerability_question"),
        # ... asked how to patch it, a consultation (writers 2 and 3 grade it P4).
        ("Scanner flagged CVE-2024-1234 on the PACS server, how should we patch it?", "infrastructure", "security",
         "P4", "vulnerability_question"),
        # ... an infection is an incident whatever the phrasing.
        ("服务器中了病毒，要不要先断网？", "infrastructure", "security", "P2", ""),
    ],
)
def test_safety_mixups_and_vulnerabilities(text: str, system: str, symptom: str, expected: str, reason: str) -> None:
    decision = decide(text, system, symptom, None)
    assert decision.priority == expected, decision
    if reason:
        assert reason in {r["code"] for r in decision.reasons}, decision.reasons


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected"),
    [
        # Frozen hospital-wide (lock waits, screens hang): both human writers say P1.
        ("全院HIS都卡住了，数据库大量锁等待", "his", "slow", "P1"),
        ("HIS freezes on every ward, the DBA sees blocking sessions", "his", "slow", "P1"),
        # Only slower hospital-wide stays P2.
        ("全院打开病历都要等一两分钟", "emr", "slow", "P2"),
    ],
)
def test_frozen_versus_slower_hospital_wide(text: str, system: str, symptom: str, expected: str) -> None:
    assert decide(text, system, symptom, None).priority == expected


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # Guards against two-level misses where the writers disagree: an expired certificate
        # that breaks a service is at least P2; "nobody can work" naming no system is P2.
        ("小程序打不开，查了是域名证书昨天过期了", "internet_hospital", "cert_license", "P2", "certificate_expired"),
        ("something is wrong with the system, nobody can work", None, "crash_error", "P2", "unknown_system_wide"),
    ],
)
def test_guards_against_two_level_misses(text: str, system: str | None, symptom: str, expected: str,
                                         reason: str) -> None:
    decision = decide(text, system, symptom, None)
    assert decision.priority == expected, decision
    assert reason in {r["code"] for r in decision.reasons}, decision.reasons


def test_hospital_wide_with_another_device_doing_the_job_is_p2() -> None:
    # The PDAs fail everywhere but the ward PCs do the job: degraded (writer 2 and the seed desk).
    decision = decide("全院PDA都连不上服务器，护士只能回到护士站电脑上执行", "nursing", "outage", None)
    assert decision.priority == "P2"
    assert "other_device" in {r["code"] for r in decision.reasons}
    # Falling back to paper is the emergency procedure itself: still P1.
    assert decide("全院HIS登录都报错，已经启动纸质流程", "his", "outage", None).priority == "P1"


def test_an_outage_label_on_a_text_that_only_says_slow_is_not_p1() -> None:
    # Linking may call it an outage; the words say slower, nothing refused.
    assert decide("检验科查报告要等很久，LIS服务器CPU一直100%", "lis", "outage", None).priority == "P2"
    # A monitoring probe that finds the service unreachable is a hard failure.
    assert decide("【Zabbix】HIS数据库监听端口1521不可达", "his", "outage", None).priority == "P1"
