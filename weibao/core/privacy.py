"""Masks patient data in free text before it is indexed, shown in results or logged.

What is masked, in this order (earlier tokens contain no digits, so later patterns
cannot match inside them):

1. Resident ID numbers (居民身份证号): 18 characters, 17 digits and a digit or X, a
   plausible region digit and birth date. With a correct ISO 7064 MOD 11-2 check digit
   the finding is ``id_number``; with a wrong one it is still masked, as
   ``id_number_unverified`` — a mistyped ID number identifies its owner just as well.
   An 18-digit run without a plausible birth date (order and trace numbers) is left as
   it is, whole: no pattern ever matches inside a longer run of digits, so such a number
   is never half-masked as a phone number either.
2. After a cue such as 身份证号/证件号: whatever ID-like value follows.
3. Mobile numbers 1[3-9]x xxxx xxxx with optional +86/86/0086 and spaces or dashes.
4. Landlines 0AA(A)-LLLL(L)LLL with optional brackets, spaces or dashes.
5. Medical-record, admission and outpatient numbers after cues (病历号/住院号/门诊号/
   ID号/MRN …), plus a hospital's own patterns (settings.pii_patterns).
6. Patient names after cues (患者/病人/姓名/患儿 …): a common surname and one or two
   more Chinese characters; the cue is kept, the name becomes [姓名].
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

ID_TOKEN = "[身份证号]"
MOBILE_TOKEN = "[手机号]"
PHONE_TOKEN = "[电话]"
RECORD_TOKEN = "[病历号]"
NAME_TOKEN = "[姓名]"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_ID_RE = re.compile(r"(?<!\d)([1-9]\d{16}[0-9Xx])(?![0-9A-Za-z])")
_ID_CUE_RE = re.compile(
    r"((?:身份证号码|身份证号|身份证|证件号码|证件号)\s*[:：]?\s*)([0-9Xx*]{6,18})"
)
_MOBILE_RE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"
)
_LANDLINE_RE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?(?:\(0\d{2,3}\)|0\d{2,3})[\s-]?\d{3,4}[\s-]?\d{4}"
    r"(?:\s*(?:转|ext\.?|-)\s*\d{1,5})?(?!\d)"
)
_RECORD_RE = re.compile(
    r"((?:病历号|病案号|住院号|门诊号|就诊号|就诊卡号|登记号|ID号|MRN|Patient\s*ID)"
    r"\s*(?:[:：#]|是|为)?\s*)([A-Za-z0-9][A-Za-z0-9-]{2,29})",
    re.IGNORECASE,
)

_SURNAMES_2 = (
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫",
    "慕容", "令狐", "司徒", "夏侯", "尉迟", "公孙",
    "长孙", "宇文", "轩辕", "单于", "端木", "南宫",
)
_SURNAMES_1 = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申"
    "欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴"
    "蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席"
    "卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟"
    "邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强"
    "帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍"
)
# Words that start right after a cue but are not a name: "患者反映…", "姓名字段…".
_NOT_NAME_STARTS = (
    "反映", "反馈", "信息", "列表", "数据", "资料",
    "主索引", "姓名", "家属", "端", "的", "在", "说",
    "称", "诉", "是", "等", "和", "及", "与", "因",
    "已", "于", "被", "从", "把", "向", "给", "将",
    "无法", "不能", "登录", "挂号", "就诊", "住院",
    "入院", "出院", "打印", "报告", "病历", "档案",
    "卡", "表", "栏", "字段",
)
# What typically follows a two-character name; a third character there is not part of it.
_AFTER_NAME = (
    "反映", "反馈", "说", "称", "诉", "的", "在",
    "是", "等", "和", "及", "与", "因", "已", "于",
    "被", "来", "去", "到", "要", "想", "需",
    "就诊", "住院", "入院", "出院", "挂号", "无法",
    "不能", "家属", "主诉", "表示", "要求", "需要",
    "今天", "昨天", "今日", "昨日", "男", "女", "性别",
    "年龄", "岁", "先生", "女士", "反复", "一直", "刚",
    "又", "也", "都", "还", "打印", "缴费", "结算",
    "报告", "医保", "拿", "做", "查", "看", "、",
    "，",
)
_NAME_CUE_RE = re.compile(
    r"(病人姓名|患者姓名|患儿姓名|姓名|患者|病人|患儿|病患|伤员)(\s*[:：]?\s*)"
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_EN_NAME_RE = re.compile(
    r"((?:patient(?:'s)?\s+name|patient)\s*[:：]\s*)([A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})"
)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    start: int  # offsets in the original text
    end: int


@dataclass(slots=True)
class MaskResult:
    text: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.findings)


def id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _plausible_birth(digits: str) -> bool:
    try:
        born = date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    return date(1890, 1, 1) <= born <= date.today()


def classify_id_number(value: str) -> str | None:
    """"id_number", "id_number_unverified" (bad check digit) or None when not ID-like."""
    value = value.upper()
    if len(value) != 18 or not value[:17].isdigit() or value[0] not in "12345678":
        return None
    if not _plausible_birth(value):
        return None
    return "id_number" if id_check_digit(value[:17]) == value[17] else "id_number_unverified"


class _Masker:
    """Applies the patterns one after another, keeping offsets into the original text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.findings: list[Finding] = []

    def sub(self, pattern: re.Pattern[str], kind_of, group: int = 0) -> None:  # type: ignore[no-untyped-def]
        out: list[str] = []
        pos = 0
        for m in pattern.finditer(self.text):
            kind, token = kind_of(m)
            if kind is None:
                continue
            start, end = m.span(group)
            out.append(self.text[pos:start])
            out.append(token)
            self.findings.append(Finding(kind, start, end))
            pos = end
        if out:
            out.append(self.text[pos:])
            self.text = "".join(out)


def _name_end(text: str, start: int) -> int | None:
    """End of the name that starts at `start`, or None when no name starts there."""
    for surname in _SURNAMES_2:
        if text.startswith(surname, start):
            given = start + 2
            break
    else:
        if start >= len(text) or text[start] not in _SURNAMES_1:
            return None
        given = start + 1
    if any(text.startswith(w, start) for w in _NOT_NAME_STARTS):
        return None
    n = 0
    while n < 2 and given + n < len(text) and _HAN.match(text[given + n]):
        n += 1
    if n == 0:
        return None
    if n == 2 and any(text.startswith(w, given + 1) for w in _AFTER_NAME):
        n = 1
    return given + n


def _mask_names(text: str, findings: list[Finding]) -> str:
    out: list[str] = []
    pos = 0
    for m in _NAME_CUE_RE.finditer(text):
        if m.start() < pos:
            continue
        end = _name_end(text, m.end())
        if end is None:
            continue
        out.append(text[pos : m.end()])
        out.append(NAME_TOKEN)
        findings.append(Finding("name", m.end(), end))
        pos = end
    out.append(text[pos:])
    text = "".join(out)

    def english(m: re.Match[str]) -> str:
        findings.append(Finding("name", m.start(2), m.end(2)))
        return m.group(1) + NAME_TOKEN

    return _EN_NAME_RE.sub(english, text)


@lru_cache(maxsize=64)
def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def mask_pii(text: str, extra_patterns: Iterable[str] = ()) -> MaskResult:
    """Masks ID numbers, phones, record numbers and cued patient names.

    `extra_patterns` are a hospital's own regexes for record numbers, masked as [病历号].
    Finding offsets refer to the text as it was after the previous step; they are for
    counting and testing, not for slicing the original.
    """
    if not text:
        return MaskResult(text or "", [])
    m = _Masker(text)

    def id_kind(match: re.Match[str]) -> tuple[str | None, str]:
        return classify_id_number(match.group(1)), ID_TOKEN

    m.sub(_ID_RE, id_kind, 1)
    m.sub(_ID_CUE_RE, lambda x: ("id_number_cued", ID_TOKEN), 2)
    m.sub(_MOBILE_RE, lambda x: ("mobile", MOBILE_TOKEN))
    m.sub(_LANDLINE_RE, lambda x: ("landline", PHONE_TOKEN))
    m.sub(_RECORD_RE, lambda x: ("record_number", RECORD_TOKEN), 2)
    for pattern in _compile(tuple(extra_patterns)):
        m.sub(pattern, lambda x: ("record_number", RECORD_TOKEN))
    text_out = _mask_names(m.text, m.findings)
    return MaskResult(text_out, m.findings)


def patterns_for(settings: object, hospital_id: str | None) -> tuple[str, ...]:
    """The extra regexes for one hospital: its own plus those under "*"."""
    configured: dict[str, list[str]] = getattr(settings, "pii_patterns", {}) or {}
    own = configured.get(hospital_id, []) if hospital_id else []
    return tuple(configured.get("*", [])) + tuple(own)
