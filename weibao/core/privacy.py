"""Masks patient data in free text before it is indexed, shown in results or logged.

Matching runs on a copy of the text in which full-width digits, letters and punctuation
(１３９, ＭＲＮ, ：, （）, the ideographic space) and typographic dashes are mapped one to one
to ASCII, so offsets agree and the replacements land in the original: text outside the
masked spans is returned exactly as written.

What is masked, in this order (placeholders contain no digits, so later patterns cannot
match inside them, and masking a masked text changes nothing):

1. Resident ID numbers (居民身份证号): 18 characters, 17 digits and a digit or X/x, a
   plausible region digit and birth date, written as one run or grouped the ways people
   type them (6-8-4, 6-4-4-4, 4-4-4-4-2, by spaces or dashes). With a correct ISO 7064
   MOD 11-2 check digit the finding is ``id_number``; with a wrong one it is still masked,
   as ``id_number_unverified`` — a mistyped ID number identifies its owner just as well.
   An 18-digit run without a plausible birth date (order and trace numbers) is left as
   it is, whole: no pattern ever matches inside a longer run of digits, so such a number
   is never half-masked as a phone number either.
2. After a cue such as 身份证号/证件号: whatever ID-like value follows.
3. Bank-card numbers after a cue (银行卡/卡号/card no …, not 就诊卡号/医保卡号): any
   12–19 digits, one run or groups of four → [银行卡号].
4. Mobile numbers 1[3-9]x xxxx xxxx, one run or grouped 3-4-4 by spaces, dashes or dots
   (the same separator twice), with optional +86/86/0086/(+86).
5. Landlines 0AA(A)-LLLL(L)LLL with optional brackets, spaces or dashes and extension.
   400/800 numbers are companies' hotlines and not personal: no pattern matches them.
   Phones listed as public (the vendor's hotline, ``Settings.public_phones``) are kept;
   they are compared by digits, ignoring +86/0086 and the trunk 0.
6. Record numbers after cues → [病历号]: 病历号/病案号/住院号/门诊号/就诊(卡)号/登记号/
   医保卡号/社保卡号/诊疗卡号, MRN, Patient ID, medical record no., and — decided here —
   record-like exam numbers (检查号/检查单号/申请单号/检验号/标本号/影像号/条码号/
   accession no.): in the hospital's systems each one leads to one patient. The value
   must contain a digit; it may be grouped by spaces ("住院号 2024 0012 34").
7. Bank-card numbers without a cue: 16–19 digits (one run or groups of four) that start
   like a card (3–6, 94/95) and pass the Luhn check → [银行卡号]. They come after the
   record cues, so a bank card used as 就诊卡 is masked as [病历号]. Trace numbers starting
   with 1 or 2 (timestamps) and numbers failing Luhn stay; about one in ten other
   16–19-digit numbers starting 3–6 passes Luhn by chance and is masked.
8. A hospital's own patterns (settings.pii_patterns) → [病历号].
9. Patient names after cues (患者/病人/姓名/患者姓名/患儿 …): a common surname and one or
   two more Chinese characters, also split by a space ("患者张 三", "病人 王 小明"); the cue
   is kept, the name becomes [姓名].

Left alone on purpose: versions, IP addresses and ports, ticket codes, dates and times,
error codes, sizes, short service numbers (120, 110), UUIDs, and identifiers without a
cue such as HL7 field values ("PID|1||12345^^^HIS").

Defaults: ``configure(settings)`` records the union of all hospitals' ``pii_patterns``
and the ``public_phones``; ``mask_pii(text)`` called without them (the storage layer has
no hospital at hand) uses these. Passing ``extra_patterns`` or ``public_phones``
explicitly replaces the corresponding default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

ID_TOKEN = "[身份证号]"
MOBILE_TOKEN = "[手机号]"
PHONE_TOKEN = "[电话]"
RECORD_TOKEN = "[病历号]"
NAME_TOKEN = "[姓名]"
BANK_TOKEN = "[银行卡号]"
PLACEHOLDERS = (ID_TOKEN, MOBILE_TOKEN, PHONE_TOKEN, RECORD_TOKEN, NAME_TOKEN, BANK_TOKEN)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# One character in, one character out: full-width digits, letters and the signs that occur
# in numbers (＋－．＃＊), the ideographic space and typographic dashes. Chinese punctuation
# (，：（） …) is left alone: the patterns accept it as written.
_FULL_WIDTH = "０-９Ａ-Ｚａ-ｚ＋－．＃＊\u3000\u2010-\u2014\u2212"
_TO_ASCII = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_TO_ASCII[0x3000] = 0x20
_TO_ASCII.update({ord(ch): ord("-") for ch in "\u2010\u2011\u2012\u2013\u2014\u2212"})
_FULL_WIDTH_RUN = re.compile(f"[{_FULL_WIDTH}]+")

# The patterns below start with a character or a class and test what precedes the match
# in a lookbehind after that first character: a leading lookbehind would make `re` try
# every position of the text instead of jumping to the candidate characters.
# "Not preceded by X" after one consumed character: (?<!X[\s\S]).
_NOT_AFTER_DIGIT_OR_PLUS = r"(?<![\d+][\s\S])(?<!\d[.\-][\s\S])"

# Separators inside a grouped number: one space or dash (the same one throughout).
_ID_RE = re.compile(
    r"[1-9](?<!\d[1-9])\d{3}(?:"
    r"\d{13}[0-9Xx](?![0-9A-Za-z])"
    r"|(?<![A-Za-z][1-9]\d{3})(?<!\d[ \-][1-9]\d{3})(?:"
    r"\d\d(?P<a>[ \-])\d{8}(?P=a)\d{3}"
    r"|\d\d(?P<b>[ \-])\d{4}(?P=b)\d{4}(?P=b)\d{3}"
    r"|(?P<c>[ \-])\d{4}(?P=c)\d{4}(?P=c)\d{4}(?P=c)\d"
    r")[0-9Xx](?![0-9A-Za-z])(?![ \-]\d))"
)
_ID_CUE_RE = re.compile(
    r"((?:身份证号码|身份证号|身份证|证件号码|证件号)\s*(?:[:：]|是|为)?\s*)"
    r"([0-9Xx*]{6,18}|[0-9Xx*]{2,8}(?:[ \-][0-9Xx*]{2,8}){1,5})(?![0-9A-Za-z])"
)
_CUE_TAIL = r"\s*(?:[:：#]|是|为|is)?\s*)"
_BANK_VALUE = r"(\d{4}(?:[ \-]?\d{4}){2,3}(?:[ \-]?\d{1,3})?)(?![0-9A-Za-z])"
_NOT_A_BANK = ("就诊", "诊疗", "医保", "社保", "健康", "门诊", "住院", "会员")
_BANK_CUE_ZH_RE = re.compile(
    r"((?:卡(?:(?<=银行卡)号?|"
    + "".join(f"(?<!{w}卡)" for w in _NOT_A_BANK)
    + r"号)|账(?<=银行账)[号户])"
    + _CUE_TAIL
    + _BANK_VALUE
)
_BANK_CUE_EN_RE = re.compile(
    r"((?:bank\s*card(?:\s*(?:no\.?|number|#))?|card\s*(?:no\.?|number|#))"
    + _CUE_TAIL
    + _BANK_VALUE,
    re.IGNORECASE,
)
# Card-like starts: 3-6, and 94/95 (old domestic debit cards), checked in Python.
_BANK_RE = re.compile(
    r"[3-69](?<![0-9A-Za-z][3-69])(?<![0-9A-Za-z][.\-][3-69])(?:"
    r"\d{15,18}(?![0-9A-Za-z])(?![.\-][0-9A-Za-z])"
    r"|\d{3}(?P<s>[ \-])\d{4}(?P=s)\d{4}(?P=s)\d{4}(?:(?P=s)\d{1,3})?"
    r"(?![0-9A-Za-z])(?![ .\-]\d)"
    r")"
)
_MOBILE_RE = re.compile(
    r"(?:[(（]" + _NOT_AFTER_DIGIT_OR_PLUS + r"\s*(?:\+|00)?86\s*[)）][ .\-]?\s*1"
    r"|\+" + _NOT_AFTER_DIGIT_OR_PLUS + r"86[ .\-]?\s*1"
    r"|0" + _NOT_AFTER_DIGIT_OR_PLUS + r"086[ .\-]?\s*1"
    r"|8" + _NOT_AFTER_DIGIT_OR_PLUS + r"6[ .\-]?\s*1"
    r"|1" + _NOT_AFTER_DIGIT_OR_PLUS + r")"
    r"[3-9]\d(?P<s>[ .\-]?)\d{4}(?P=s)\d{4}(?!\d)(?![.\-]\d)"
)
_NOT_IN_A_GROUPED_NUMBER = r"(?<![\d+][\s\S])(?<!\d[ .\-][\s\S])"
_AREA = r"(?:[(（]0\d{2,3}[)）]|0\d{2,3})"
_LANDLINE_RE = re.compile(
    r"(?P<main>(?:"
    r"\+" + _NOT_IN_A_GROUPED_NUMBER + r"86[\s-]?" + _AREA
    + r"|0" + _NOT_IN_A_GROUPED_NUMBER + r"086[\s-]?" + _AREA
    + r"|8" + _NOT_IN_A_GROUPED_NUMBER + r"6[\s-]?" + _AREA
    + r"|[(（]" + _NOT_IN_A_GROUPED_NUMBER + r"0\d{2,3}[)）]"
    r"|0" + _NOT_IN_A_GROUPED_NUMBER + r"\d{2,3}"
    r")[\s-]?\d{3,4}[\s-]?\d{4})"
    r"(?:\s*(?:转|ext\.?|-)\s*\d{1,5})?(?!\d)(?![.\-]\d)"
)
_RECORD_VALUE = (
    r"((?=[A-Za-z\-]*\d)[A-Za-z0-9][A-Za-z0-9\-]{2,29}(?: \d{2,8}(?![0-9A-Za-z\-:./]))*)"
)
_RECORD_ZH_CUES = (
    "病历", "病案", "住院", "门诊", "就诊卡", "就诊", "诊疗卡", "登记", "医保卡", "社保卡",
    "检查单", "检查", "检验", "申请单", "标本", "影像", "条码", "ID", "id", "Id",
)
_RECORD_ZH_RE = re.compile(
    r"(号(?:"
    + "|".join(f"(?<={w}号)" for w in _RECORD_ZH_CUES)
    + r")码?"
    + _CUE_TAIL
    + _RECORD_VALUE
)
_RECORD_EN_RE = re.compile(
    r"((?:MRN|Patient\s*ID|medical\s+record(?:\s*(?:no\.?|number|num\.?|#))?"
    r"|record\s*(?:no\.?|number|#)|accession(?:\s*(?:no\.?|number|#))?)"
    + _CUE_TAIL
    + _RECORD_VALUE,
    re.IGNORECASE,
)
_RECORD_EN_WORDS = ("mrn", "patient", "record", "accession")
_DIGIT = re.compile(r"\d")

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
# Particles and negations: a "given name" starting with one is a sentence going on after a
# surname-like word ("病人来了没法分诊", "患者都不能挂号"), not a name.
_NOT_GIVEN_FIRST = frozenset("了着过没不吗呢吧啊呀")
# What typically follows a name; a character there is not part of it.
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
# Words of two or more characters: right after a surname they are no given name
# ("患者王反映…" names no one in full).
_AFTER_SURNAME = tuple(w for w in _AFTER_NAME if len(w) > 1)
def _words_re(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(sorted(map(re.escape, words), key=len, reverse=True)))


_SURNAME_2_RE = _words_re(_SURNAMES_2)
_NOT_NAME_RE = _words_re(_NOT_NAME_STARTS)
_AFTER_NAME_RE = _words_re(_AFTER_NAME)
_AFTER_SURNAME_RE = _words_re(_AFTER_SURNAME)
_NAME_CUE_RE = re.compile(
    r"(病人姓名|患者姓名|患儿姓名|就诊人姓名|姓名|患者|病人|患儿|病患|伤员|就诊人)"
    r"(\s*(?:[:：]|是|叫)?\s*)"
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_EN_NAME_RE = re.compile(
    r"((?:patient(?:'s)?\s+name|patient)\s*[:：]\s*)([A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})"
)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    start: int  # offsets in the text as it was before this finding's step
    end: int


@dataclass(slots=True)
class MaskResult:
    text: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.findings)


@dataclass(frozen=True, slots=True)
class _Defaults:
    patterns: tuple[str, ...] = ()
    public_phones: frozenset[str] = frozenset()


_defaults = _Defaults()


def configure(settings: object | None) -> None:
    """Records the defaults of `mask_pii`: every hospital's `pii_patterns` (their union)
    and the `public_phones`. `configure(None)` clears them. Bad regexes fail here."""
    global _defaults
    if settings is None:
        _defaults = _Defaults()
        return
    configured: dict[str, list[str]] = getattr(settings, "pii_patterns", {}) or {}
    keys = sorted(configured, key=lambda k: (k != "*", k))
    patterns = tuple(dict.fromkeys(p for k in keys for p in configured[k] or ()))
    _compile(patterns)
    phones = getattr(settings, "public_phones", ()) or ()
    _defaults = _Defaults(patterns, _phone_keys(tuple(phones)))


def configured_defaults() -> tuple[tuple[str, ...], frozenset[str]]:
    """The patterns and public-phone keys set by `configure` (for tests and diagnostics)."""
    d = _defaults
    return d.patterns, d.public_phones


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
    """"id_number", "id_number_unverified" (bad check digit) or None when not ID-like.

    Spaces and dashes between the digits are ignored; full-width digits count.
    """
    value = value.translate(_TO_ASCII).replace(" ", "").replace("-", "").upper()
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return None
    if value[0] not in "12345678" or not _plausible_birth(value):
        return None
    return "id_number" if id_check_digit(value[:17]) == value[17] else "id_number_unverified"


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by bank cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _to_ascii(text: str) -> str:
    """`text` with full-width forms mapped to ASCII, character for character."""
    return _FULL_WIDTH_RUN.sub(lambda m: m.group().translate(_TO_ASCII), text)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if "0" <= ch <= "9")


def _phone_key(value: str) -> str:
    """A phone number's digits without the country code and the trunk 0."""
    digits = _digits(value.translate(_TO_ASCII))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) >= 12:
        digits = digits[2:]
    return digits[1:] if digits.startswith("0") else digits


@lru_cache(maxsize=32)
def _phone_keys(phones: tuple[str, ...]) -> frozenset[str]:
    return frozenset(k for k in (_phone_key(p) for p in phones) if k)


Kind = Callable[[re.Match[str]], tuple[str | None, str]]


class _Masker:
    """Applies the patterns one after another to the ASCII-mapped copy and the original
    alike, so both keep the same offsets."""

    __slots__ = ("findings", "mapped", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.mapped = text if text.isascii() else _to_ascii(text)
        self.findings: list[Finding] = []

    def sub(self, pattern: re.Pattern[str], kind_of: Kind, group: int = 0) -> None:
        spans: list[tuple[int, int, str, str]] = []
        for m in pattern.finditer(self.mapped):
            kind, token = kind_of(m)
            if kind is not None:
                start, end = m.span(group)
                spans.append((start, end, kind, token))
        self.replace(spans)

    def replace(self, spans: list[tuple[int, int, str, str]]) -> None:
        """Replaces (start, end, kind, token) spans, sorted and not overlapping."""
        if not spans:
            return
        same = self.mapped is self.text
        out: list[str] = []
        mapped_out: list[str] = []
        pos = 0
        for start, end, kind, token in spans:
            out.append(self.text[pos:start])
            out.append(token)
            if not same:
                mapped_out.append(self.mapped[pos:start])
                mapped_out.append(token)
            self.findings.append(Finding(kind, start, end))
            pos = end
        out.append(self.text[pos:])
        self.text = "".join(out)
        if same:
            self.mapped = self.text
        else:
            mapped_out.append(self.mapped[pos:])
            self.mapped = "".join(mapped_out)


def _name_end(text: str, start: int) -> int | None:
    """End of the name that starts at `start`, or None when no name starts there.

    A space may follow the surname ("张 三", "王 小明"); then spaces may also separate the
    given name's characters ("王 小 明").
    """
    if _SURNAME_2_RE.match(text, start):
        pos = start + 2
    elif start < len(text) and text[start] in _SURNAMES_1:
        pos = start + 1
    else:
        return None
    if _NOT_NAME_RE.match(text, start):
        return None
    n = len(text)
    spaced = pos + 1 < n and text[pos] == " " and _HAN.match(text[pos + 1]) is not None
    if spaced:
        pos += 1
    given: list[int] = []
    while len(given) < 2 and pos < n and _HAN.match(text[pos]):
        given.append(pos)
        pos += 1
        if spaced and pos + 1 < n and text[pos] == " " and _HAN.match(text[pos + 1]):
            pos += 1
    if not given or text[given[0]] in _NOT_GIVEN_FIRST:
        return None
    if (_AFTER_NAME_RE if spaced else _AFTER_SURNAME_RE).match(text, given[0]):
        return None
    if len(given) == 2 and _AFTER_NAME_RE.match(text, given[1]):
        given.pop()
    return given[-1] + 1


def _mask_names(m: _Masker) -> None:
    text = m.mapped
    spans: list[tuple[int, int, str, str]] = []
    pos = 0
    for cue in _NAME_CUE_RE.finditer(text):
        if cue.start() < pos:
            continue
        end = _name_end(text, cue.end())
        if end is None:
            continue
        spans.append((cue.end(), end, "name", NAME_TOKEN))
        pos = end
    m.replace(spans)
    m.sub(_EN_NAME_RE, lambda x: ("name", NAME_TOKEN), 2)


@lru_cache(maxsize=64)
def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def mask_pii(
    text: str,
    extra_patterns: Iterable[str] | None = None,
    public_phones: Iterable[str] | None = None,
) -> MaskResult:
    """Masks ID numbers, bank cards, phones, record numbers and cued patient names.

    `extra_patterns` are a hospital's own regexes for record numbers, masked as [病历号];
    `public_phones` are numbers left as they are. Either one, when not given, comes from
    `configure(settings)`. Finding offsets refer to the text as it was after the previous
    step; they are for counting and testing, not for slicing the original.
    """
    if not text:
        return MaskResult(text or "", [])
    defaults = _defaults
    patterns = defaults.patterns if extra_patterns is None else tuple(extra_patterns)
    public = defaults.public_phones if public_phones is None else _phone_keys(tuple(public_phones))
    m = _Masker(text)

    mapped = m.mapped
    if _DIGIT.search(mapped):
        lower = mapped.lower()

        def bank_kind(match: re.Match[str]) -> tuple[str | None, str]:
            digits = _digits(match.group())
            card = (digits[0] != "9" or digits[1] in "45") and luhn_ok(digits)
            return ("bank_card" if card else None), BANK_TOKEN

        def mobile_kind(match: re.Match[str]) -> tuple[str | None, str]:
            if public and _phone_key(match.group()) in public:
                return None, ""
            return "mobile", MOBILE_TOKEN

        def landline_kind(match: re.Match[str]) -> tuple[str | None, str]:
            if public and (
                _phone_key(match.group("main")) in public or _phone_key(match.group()) in public
            ):
                return None, ""
            return "landline", PHONE_TOKEN

        m.sub(_ID_RE, lambda x: (classify_id_number(x.group()), ID_TOKEN))
        if "证" in mapped:
            m.sub(_ID_CUE_RE, lambda x: ("id_number_cued", ID_TOKEN), 2)
        if "卡" in mapped or "账" in mapped:
            m.sub(_BANK_CUE_ZH_RE, lambda x: ("bank_card_cued", BANK_TOKEN), 2)
        if "card" in lower:
            m.sub(_BANK_CUE_EN_RE, lambda x: ("bank_card_cued", BANK_TOKEN), 2)
        m.sub(_MOBILE_RE, mobile_kind)
        m.sub(_LANDLINE_RE, landline_kind)
        if "号" in mapped:
            m.sub(_RECORD_ZH_RE, lambda x: ("record_number", RECORD_TOKEN), 2)
        if any(w in lower for w in _RECORD_EN_WORDS):
            m.sub(_RECORD_EN_RE, lambda x: ("record_number", RECORD_TOKEN), 2)
        m.sub(_BANK_RE, bank_kind)
    for pattern in _compile(patterns):
        m.sub(pattern, lambda x: ("record_number", RECORD_TOKEN))
    _mask_names(m)
    return MaskResult(m.text, m.findings)


def patterns_for(settings: object, hospital_id: str | None) -> tuple[str, ...]:
    """The extra regexes for one hospital: its own plus those under "*"."""
    configured: dict[str, list[str]] = getattr(settings, "pii_patterns", {}) or {}
    own = configured.get(hospital_id, []) if hospital_id else []
    return tuple(configured.get("*", [])) + tuple(own)
