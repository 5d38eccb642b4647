"""Masking of patient data: ID numbers, phones, record numbers and cued names."""

from __future__ import annotations

import pytest

from weibao.core.privacy import classify_id_number, id_check_digit, mask_pii, patterns_for
from weibao.core.settings import Settings


def make_id(first17: str) -> str:
    return first17 + id_check_digit(first17)


VALID_ID = make_id("11010519491231002")  # ends in X
VALID_ID_2 = make_id("33010619850312141")


def wrong_check(value: str) -> str:
    other = "0" if value[-1] != "0" else "1"
    return value[:-1] + other


def test_check_digit_matches_the_published_example() -> None:
    assert VALID_ID == "11010519491231002X"
    assert classify_id_number(VALID_ID) == "id_number"
    assert classify_id_number(VALID_ID.lower()) == "id_number"


@pytest.mark.parametrize("text", [f"身份证{VALID_ID}", f"ID {VALID_ID_2}, please check"])
def test_valid_id_numbers_are_masked(text: str) -> None:
    result = mask_pii(text)
    assert "[身份证号]" in result.text and VALID_ID not in result.text
    assert VALID_ID_2 not in result.text
    assert [f.kind for f in result.findings] == ["id_number"]


def test_id_number_with_a_wrong_check_digit_is_masked_as_unverified() -> None:
    bad = wrong_check(VALID_ID_2)
    result = mask_pii(f"患者证件 {bad} 登记错误")
    assert bad not in result.text and "[身份证号]" in result.text
    assert result.findings[0].kind == "id_number_unverified"


def test_eighteen_digits_without_a_birth_date_stay_whole_and_are_not_a_phone() -> None:
    order = "138123456789012345"  # starts like a mobile number; month 34 is no date
    result = mask_pii(f"订单号 {order} 已退款")
    assert result.text == f"订单号 {order} 已退款" and not result.findings


def test_id_number_after_a_cue_is_masked_even_when_malformed() -> None:
    result = mask_pii("身份证号：1101051949123")
    assert result.text == "身份证号：[身份证号]"


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("请回电13812345678谢谢", "[手机号]"),
        ("call +86 138-1234-5678 now", "[手机号]"),
        ("电话 86 138 1234 5678", "[手机号]"),
        ("座机010-62345678", "[电话]"),
        ("科室电话 0571 8765 4321", "[电话]"),
        ("(0571)87654321转123", "[电话]"),
    ],
)
def test_phone_formats_are_masked(text: str, token: str) -> None:
    result = mask_pii(text)
    assert token in result.text
    assert not any(ch.isdigit() for ch in result.text), result.text


def test_a_mobile_number_inside_a_longer_digit_run_is_not_cut_out() -> None:
    assert mask_pii("trace 9913812345678990").text == "trace 9913812345678990"


def test_record_numbers_after_cues_are_masked_and_the_cue_kept() -> None:
    result = mask_pii("住院号：ZY2024001，门诊号 MZ-778899，MRN: 889900，病历号为A12345")
    assert result.text == "住院号：[病历号]，门诊号 [病历号]，MRN: [病历号]，病历号为[病历号]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("患者张三丰反映挂号卡顿", "患者[姓名]反映挂号卡顿"),
        ("患者张三反映打印失败", "患者[姓名]反映打印失败"),
        ("病人姓名：李四，无法结算", "病人姓名：[姓名]，无法结算"),
        ("患儿欧阳娜娜在急诊留观", "患儿[姓名]在急诊留观"),
        ("The 患者王小明 could not log in", "The 患者[姓名] could not log in"),
        ("patient: John Smith called twice", "patient: [姓名] called twice"),
    ],
)
def test_names_after_cues_are_masked_in_mixed_text(text: str, expected: str) -> None:
    assert mask_pii(text).text == expected


@pytest.mark.parametrize(
    "text", ["患者反映系统很卡", "病人信息无法同步", "姓名字段为空", "患者列表加载慢", "the patient list"]
)
def test_cue_words_without_a_name_are_left_alone(text: str) -> None:
    assert mask_pii(text).text == text


def test_everything_in_one_ticket_text() -> None:
    text = (
        f"患者张三丰（身份证{VALID_ID}，手机 13912345678，住院号 ZY998877）"
        "在放射科看不了片子，科室电话 0571-87654321。"
    )
    masked = mask_pii(text).text
    for secret in ("张三丰", VALID_ID, "13912345678", "ZY998877", "87654321"):
        assert secret not in masked
    assert "放射科看不了片子" in masked


def test_hospital_patterns_from_settings_apply_on_top() -> None:
    settings = Settings(pii_patterns={"h-a": [r"HZ\d{6}"], "*": [r"CARD-\d{4}"]})
    patterns = patterns_for(settings, "h-a")
    assert mask_pii("卡号 HZ123456 与 CARD-9876", patterns).text == "卡号 [病历号] 与 [病历号]"
    assert "HZ123456" in mask_pii("HZ123456", patterns_for(settings, "h-b")).text


def test_empty_text() -> None:
    assert mask_pii("").text == "" and not mask_pii("").findings
