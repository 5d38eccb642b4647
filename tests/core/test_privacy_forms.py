"""Patient data as people really type it, and the near-misses that must stay as written.

Each row: (text, expected). `expected` is the whole masked text, or a `Gone`/`Kept` pair
of substrings that must disappear / must remain. Every row is also checked for
idempotence: masking a masked text changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from weibao.core import privacy
from weibao.core.privacy import (
    PLACEHOLDERS,
    configure,
    configured_defaults,
    id_check_digit,
    luhn_ok,
    mask_pii,
    patterns_for,
)
from weibao.core.settings import Settings


def make_id(first17: str) -> str:
    return first17 + id_check_digit(first17)


def luhn_complete(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_ok(prefix + d))


ID = make_id("11010519900307123")  # 110105199003071239
ID_X = make_id("11010519491231002")  # 11010519491231002X
CARD16 = luhn_complete("622202123456789")  # 16 digits, UnionPay prefix
CARD19 = luhn_complete("621700123456789012")  # 19 digits
NOT_CARD16 = CARD16[:-1] + str((int(CARD16[-1]) + 1) % 10)  # fails Luhn
FW = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def full_width(s: str) -> str:
    return s.translate(FW)


def g4(s: str, sep: str = " ") -> str:
    return sep.join(s[i : i + 4] for i in range(0, len(s), 4))


@dataclass(frozen=True)
class Gone:
    gone: tuple[str, ...]
    kept: tuple[str, ...] = ()


def row(case_id: str, text: str, expected: str | Gone):  # type: ignore[no-untyped-def]
    return pytest.param(text, expected, id=case_id)


POSITIVES = [
    # mobiles
    row("mobile-full-width", "请回电１３９１２３４５６７８谢谢", "请回电[手机号]谢谢"),
    row("mobile-spaces", "手机 139 1234 5678 白天打", "手机 [手机号] 白天打"),
    row("mobile-dashes", "联系139-1234-5678", "联系[手机号]"),
    row("mobile-dots", "电话139.1234.5678。", "电话[手机号]。"),
    row("mobile-plus86-spaces", "call +86 139 1234 5678 now", "call [手机号] now"),
    row("mobile-plus86-dashes", "+86-139-1234-5678", "[手机号]"),
    row("mobile-bracket-plus86", "(+86)13912345678 家属", "[手机号] 家属"),
    row("mobile-full-width-bracket-plus86", "（＋８６）１３９ １２３４ ５６７８", "[手机号]"),
    row("mobile-0086", "0086 139 1234 5678", "[手机号]"),
    row("mobile-glued-86", "拨8613912345678", "拨[手机号]"),
    row("mobile-ideographic-space", "手机１３９\u3000１２３４\u3000５６７８", "手机[手机号]"),
    # landlines
    row("landline-full-width-dash", "座机０５７１－８７６５４３２１", "座机[电话]"),
    row("landline-extension", "科室 010-62345678转123 找张工", "科室 [电话] 找张工"),
    # ID numbers
    row("id-contiguous-lower-x", f"身份证{ID_X.lower()}", "身份证[身份证号]"),
    row(
        "id-6-8-4-spaces",
        f"身份证 {ID[:6]} {ID[6:14]} {ID[14:]} 已核对",
        "身份证 [身份证号] 已核对",
    ),
    row("id-6-8-4-dashes-no-cue", f"证件 {ID[:6]}-{ID[6:14]}-{ID[14:]}", "证件 [身份证号]"),
    row("id-4-4-4-4-2", f"号码 {g4(ID)}", "号码 [身份证号]"),
    row("id-4-4-4-4-2-lower-x", f"号码 {g4(ID_X).lower()}", "号码 [身份证号]"),
    row("id-6-4-4-4", f"{ID[:6]} {ID[6:10]} {ID[10:14]} {ID[14:]}", "[身份证号]"),
    row("id-full-width", f"身份证号：{full_width(ID_X)}", "身份证号：[身份证号]"),
    row("id-full-width-no-cue", f"患者 {full_width(ID)} 登记", "患者 [身份证号] 登记"),
    row("id-cue-malformed-grouped", "身份证号是 1101 0519 49", "身份证号是 [身份证号]"),
    # names
    row("name-split-after-surname", "患者张 三反映打印失败", "患者[姓名]反映打印失败"),
    row("name-space-after-cue-and-surname", "病人 王 小明 说打印不了", "病人 [姓名] 说打印不了"),
    row("name-every-char-spaced", "患者王 小 明挂号失败", "患者[姓名]挂号失败"),
    row("name-cue-with-colon", "患者姓名：张三", "患者姓名：[姓名]"),
    row(
        "name-cue-full-width-colon-space",
        "患者姓名：\u3000李四，无法结算",
        "患者姓名：\u3000[姓名]，无法结算",
    ),
    row("name-two-char-surname-split", "患儿欧阳 娜娜在急诊", "患儿[姓名]在急诊"),
    row("name-cue-jiao", "患者叫王小明", "患者叫[姓名]"),
    # record numbers
    row("record-full-width-colon-digits", "住院号：１２３４５６", "住院号：[病历号]"),
    row("record-shi", "住院号 是 123456", "住院号 是 [病历号]"),
    row("record-grouped-by-spaces", "住院号 2024 0012 34 已出院", "住院号 [病历号] 已出院"),
    row(
        "record-outpatient-then-date-kept",
        "门诊号 12345 2026-11-26挂号",
        "门诊号 [病历号] 2026-11-26挂号",
    ),
    row("record-bingan-dash", "病案号:BA-00123", "病案号:[病历号]"),
    row("record-visit-card", f"就诊卡号 {g4(CARD16)}", "就诊卡号 [病历号]"),
    row("record-mrn-space", "MRN 12345 not found", "MRN [病历号] not found"),
    row("record-mrn-hash", "mrn#12345", "mrn#[病历号]"),
    row("record-medical-record-no", "medical record no. 12345", "medical record no. [病历号]"),
    row(
        "record-medical-record-number",
        "Medical Record Number: A-778899",
        "Medical Record Number: [病历号]",
    ),
    row("record-full-width-mrn", "ＭＲＮ：１２３４５", "ＭＲＮ：[病历号]"),
    row(
        "record-accession-after-jianchahao",
        "检查号 CT20261126001 图像没传过来",
        "检查号 [病历号] 图像没传过来",
    ),
    # bank cards
    row("bank-16-contiguous-luhn", f"退款到 {CARD16}", "退款到 [银行卡号]"),
    row("bank-16-grouped-spaces", f"卡 {g4(CARD16)} 扣费两次", "卡 [银行卡号] 扣费两次"),
    row("bank-19-grouped-dashes", f"{g4(CARD19, '-')}", "[银行卡号]"),
    row("bank-cue-fails-luhn", f"银行卡号：{NOT_CARD16}", "银行卡号：[银行卡号]"),
    row("bank-cue-kahao", f"卡号 {g4(NOT_CARD16)}", "卡号 [银行卡号]"),
    row("bank-full-width", f"银行卡{full_width(CARD16)}", "银行卡[银行卡号]"),
    # several at once
    row(
        "mixed-ticket",
        f"患者张 三（身份证 {g4(ID)}，手机 +86 139-1234-5678，住院号：ZY998877）放射科看不了片子",
        Gone(("张 三", "1234", "ZY998877", ID[:6]), ("放射科看不了片子", "患者[姓名]")),
    ),
]

NEAR_MISSES = [
    row("version-semver", "升级到 v5.3.2 后报错", "升级到 v5.3.2 后报错"),
    row("version-build", "版本 5.10.1.20231101", "版本 5.10.1.20231101"),
    row("ip-address", "服务器 192.168.10.25 不通", "服务器 192.168.10.25 不通"),
    row("ip-with-port", "连接 10.0.0.1:8080 超时", "连接 10.0.0.1:8080 超时"),
    row("ticket-code", "工单 T-2026-00012 已关闭", "工单 T-2026-00012 已关闭"),
    row("iso-date", "2026-11-26 上线", "2026-11-26 上线"),
    row("chinese-date-time", "2026年11月26日 09:30 宕机", "2026年11月26日 09:30 宕机"),
    row("compact-date", "日志 20261126 之后", "日志 20261126 之后"),
    row("oracle-error", "ORA-12541: TNS:no listener", "ORA-12541: TNS:no listener"),
    row("http-status", "HTTP 502 Bad Gateway", "HTTP 502 Bad Gateway"),
    row("hresult", "错误 0x80070005 拒绝访问", "错误 0x80070005 拒绝访问"),
    row("sqlstate", "SQLSTATE 40001 deadlock", "SQLSTATE 40001 deadlock"),
    row("port-alone", "端口 1521 和 8080 被占用", "端口 1521 和 8080 被占用"),
    row("sizes", "磁盘 500GB 剩余 1024MB", "磁盘 500GB 剩余 1024MB"),
    row("durations", "耗时 3600 秒, 30min, 1500ms", "耗时 3600 秒, 30min, 1500ms"),
    row("short-service-numbers", "拨打120或110", "拨打120或110"),
    row("hotline-400", "客服 400-820-1234", "客服 400-820-1234"),
    row("hotline-400-contiguous", "客服4008201234", "客服4008201234"),
    row(
        "uuid", "id=550e8400-e29b-41d4-a716-446655440000", "id=550e8400-e29b-41d4-a716-446655440000"
    ),
    row("hl7-pid", "PID|1||12345^^^HIS||", "PID|1||12345^^^HIS||"),
    row("trace-timestamp-19-digits", "trace 2026112609301234567", "trace 2026112609301234567"),
    row("order-16-fails-luhn", f"订单 {NOT_CARD16}", f"订单 {NOT_CARD16}"),
    row(
        "order-18-no-birth-date",
        "订单号 138123456789012345 已退款",
        "订单号 138123456789012345 已退款",
    ),
    row("card-grouping-without-luhn", f"流水 {g4(NOT_CARD16)}", f"流水 {g4(NOT_CARD16)}"),
    row("mrn-without-digits", "MRN field is empty", "MRN field is empty"),
    row("record-cue-without-number", "病历号是什么格式", "病历号是什么格式"),
    row("cue-then-verb-not-name", "患者王反映挂号慢", "患者王反映挂号慢"),
    row("cue-then-particle-not-name", "抢救病人来了没法分诊", "抢救病人来了没法分诊"),
    row("cue-then-negation-not-name", "患者都不能挂号", "患者都不能挂号"),
    row("name-cue-without-name", "患者信息无法同步", "患者信息无法同步"),
    row("full-width-text-kept", "ＰＡＣＳ 看不了片子，ｖ５．３", "ＰＡＣＳ 看不了片子，ｖ５．３"),
]


@pytest.mark.parametrize(("text", "expected"), POSITIVES + NEAR_MISSES)
def test_written_forms(text: str, expected: str | Gone) -> None:
    masked = mask_pii(text, (), ()).text
    if isinstance(expected, Gone):
        for secret in expected.gone:
            assert secret not in masked, masked
        for keep in expected.kept:
            assert keep in masked, masked
    else:
        assert masked == expected
    assert mask_pii(masked, (), ()).text == masked, "masking twice changed the text"


def test_there_are_enough_forms() -> None:
    assert len(POSITIVES) >= 40 and len(NEAR_MISSES) >= 25


def test_placeholders_hold_no_digits() -> None:
    assert not any(ch.isdigit() for token in PLACEHOLDERS for ch in token)


def test_findings_name_what_was_found() -> None:
    text = f"{g4(ID)}，{CARD16}，139 1234 5678，身份证号 1101 0519 49"
    kinds = [f.kind for f in mask_pii(text, (), ()).findings]
    assert kinds == ["id_number", "id_number_cued", "mobile", "bank_card"]


# -- public phones and module defaults --------------------------------------------------


@pytest.fixture
def restore_defaults():  # type: ignore[no-untyped-def]
    saved = privacy._defaults
    yield
    privacy._defaults = saved


@pytest.mark.parametrize(
    ("public", "text"),
    [
        ("0571-87654321", "请拨打维保热线 0571 8765 4321"),
        ("0571-87654321", "热线（0571）87654321转8001"),
        ("+86 571 8765 4321", "热线 0571-87654321"),
        ("13800001111", "值班手机 +86 138-0000-1111"),
        ("138 0000 1111", "值班手机 １３８００００１１１１"),
    ],
)
def test_public_phones_compared_by_digits_stay(public: str, text: str) -> None:
    assert mask_pii(text, (), [public]).text == text


def test_other_phones_are_masked_next_to_a_public_one() -> None:
    text = "热线 0571-87654321，患者手机 139 1234 5678"
    assert mask_pii(text, (), ["057187654321"]).text == "热线 0571-87654321，患者手机 [手机号]"


def test_configure_sets_defaults_for_calls_without_context(restore_defaults) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        pii_patterns={"h-a": [r"HZ\d{6}"], "*": [r"CARD-\d{4}"], "h-b": [r"HZ\d{6}"]},
        public_phones=["0571-87654321"],
    )
    configure(settings)
    patterns, phones = configured_defaults()
    assert patterns == (r"CARD-\d{4}", r"HZ\d{6}")
    assert phones == frozenset({"57187654321"})
    text = "HZ123456 与 CARD-9876，热线 0571-87654321，座机 010-62345678"
    assert mask_pii(text).text == "[病历号] 与 [病历号]，热线 0571-87654321，座机 [电话]"
    # Explicit arguments replace the defaults.
    only_a = mask_pii("HZ123456 热线 0571-87654321", patterns_for(settings, "h-c"), ())
    assert only_a.text == "HZ123456 热线 [电话]"
    configure(None)
    assert configured_defaults() == ((), frozenset())
    assert mask_pii("HZ123456").text == "HZ123456"


def test_configure_rejects_a_bad_pattern(restore_defaults) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(re.error):
        configure(SimpleNamespace(pii_patterns={"h-a": ["("]}, public_phones=[]))
