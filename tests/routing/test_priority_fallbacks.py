"""Priority (issue 13): what a fallback, a share of failures, the one person on duty or a full
store say about the level. Phrasings of our own, not copied from the development sets."""

from __future__ import annotations

import pytest

from weibao.routing.priority import decide


def assert_level(text: str, system: str, symptom: str, expected: str, reason: str | None = None) -> None:
    """The rules give `text` the level `expected`, with `reason` among their reasons."""
    decision = decide(text, system, symptom, None)
    assert decision.priority == expected, decision
    if reason is not None:
        assert reason in {r["code"] for r in decision.reasons}, decision.reasons


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # A department back on paper or working by hand has no way round: degraded (P2).
        ("整个病区的PDA都扫不了码，护士只能手工核对", "nursing", "device_connect", "P2", "manual_fallback"),
        ("The whole dialysis unit lost the network, nurses are charting on paper", "infrastructure",
         "device_connect", "P2", "manual_fallback"),
        # ... one workstation doing it by hand stays partial.
        ("只有我这台电脑打不开，先手写了", "his", "crash_error", "P3", "scope_single"),
        # A real way round for the department: another client, a retry, another way to pay.
        ("影像在网页版打不开，换客户端能看", "pacs", "image_load", "P3", "workaround"),
        ("Insurance calls time out at discharge, a retry usually goes through", "insurance", "interface_error",
         "P3", "workaround"),
        ("自助机银行卡付不了，扫码支付还能用", "terminal", "settlement_failure", "P3", "workaround"),
    ],
)
def test_fallbacks_and_ways_round(text: str, system: str, symptom: str, expected: str, reason: str) -> None:
    assert_level(text, system, symptom, expected, reason)


def test_words_that_deny_a_way_round_are_none() -> None:
    decision = decide("Orders from the ward doctors are not showing at the nurse station, no workaround", "his",
                      "data_sync", None)
    assert decision.priority == "P2" and "workaround" not in {r["code"] for r in decision.reasons}, decision


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # A share of the attempts fails, the rest go through: partial.
        ("About 1 in 20 lab orders times out when sent to the LIS", "integration", "interface_error", "P3",
         "intermittent"),
        ("接口偶尔报超时", "integration", "interface_error", "P3", "intermittent"),
        # ... not in a patient-safety area, and not where patients already wait.
        ("急诊挂号有时候提示超时，病人排队越来越长", "registration", "interface_error", "P2", "people_waiting"),
    ],
)
def test_a_share_of_failures(text: str, system: str, symptom: str, expected: str, reason: str) -> None:
    assert_level(text, system, symptom, expected, reason)


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected", "reason"),
    [
        # The one person on duty at a desk: when that user is stopped, the desk is.
        ("I'm the only cashier on the night shift and my account is locked", "his", "login_failure", "P2",
         "sole_staff"),
        ("药房今天就他一个人值班，他的账号登录不了", "pharmacy", "login_failure", "P2", "sole_staff"),
        # The same failure patient after patient: several affected.
        ("Online payment taken but no appointment booked, the fourth case today", "internet_hospital",
         "settlement_failure", "P2", "scope_group"),
    ],
)
def test_one_user_who_is_the_whole_desk(text: str, system: str, symptom: str, expected: str, reason: str) -> None:
    assert_level(text, system, symptom, expected, reason)


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected"),
    [
        # A full store that already refuses saves: stopped (P1); an alarm about filling is not.
        ("数据库表空间满了，医生站保存病历报错", "infrastructure", "storage_alarm", "P1"),
        ("The data disk of the HIS database is full and saves sometimes fail", "his", "storage_alarm", "P2"),
        # In the operating room with the patient already on the table: a critical moment.
        ("Anaesthetist locked out of the anaesthesia system, patient already on the table", "or_anesthesia",
         "login_failure", "P1"),
        # A resus patient without a wristband: P1 in English as in Chinese.
        ("ED label printer down, a trauma in resus has no wristband", "terminal", "print_failure", "P1"),
        # A licence that runs out next week still works: P3; one that expired yesterday breaks the app: P2.
        ("The PACS licence expires next week, please renew", "pacs", "cert_license", "P3"),
        ("小程序证书昨天到期了，患者全部打不开", "internet_hospital", "cert_license", "P2"),
    ],
)
def test_stops_and_moments(text: str, system: str, symptom: str, expected: str) -> None:
    assert_level(text, system, symptom, expected)


@pytest.mark.parametrize(
    ("text", "system", "symptom", "expected"),
    [
        # "All the PCs", but the other floors are fine: that floor, not the whole hospital.
        ("所有电脑都上不了网，其他楼层正常", "infrastructure", "outage", "P2"),
        # A device that stopped sending data is not a business flow that stopped.
        ("NICU: two incubators stopped sending temperatures to the ICU system, nurses chart on paper", "icu",
         "device_connect", "P2"),
        # One PC that blue-screens, read as a security matter, nothing found on it: a fault there.
        ("One PC in the pharmacy keeps blue-screening, the other one works", "terminal", "security", "P3"),
        # ... while malware on it is an incident to contain.
        ("One PC in the pharmacy has a virus from a USB stick", "terminal", "security", "P2"),
    ],
)
def test_an_area_and_a_device_are_not_everything(text: str, system: str, symptom: str, expected: str) -> None:
    assert_level(text, system, symptom, expected)
