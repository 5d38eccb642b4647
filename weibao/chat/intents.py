"""What a chat message is: a greeting, thanks, "still broken", a ticket query, or a problem.

Pure functions over the text. Out-of-scope needs to know whether entity linking found
anything, so the dialogue asks `is_out_of_scope` after linking a problem.
"""

from __future__ import annotations

import re
from enum import StrEnum

from weibao.kb.tokenize import normalize


class Intent(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    STILL_BROKEN = "still_broken"
    TICKET_STATUS = "ticket_status"
    OUT_OF_SCOPE = "out_of_scope"
    PROBLEM = "problem"


TICKET_CODE = re.compile(r"\bT-(\d{4})-(\d{5})\b", re.IGNORECASE)

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_GREETINGS = (
    "你好", "您好", "在吗", "在么", "在不在", "哈喽", "嗨", "早上好", "上午好", "中午好",
    "下午好", "晚上好", "早", "hello", "hi", "hey", "good morning", "good afternoon",
    "good evening", "anyone there",
)
_THANKS = (
    "谢谢", "多谢", "感谢", "谢了", "好的", "好了", "可以了", "解决了", "搞定了", "明白了",
    "知道了", "行了", "ok", "okay", "thanks", "thank you", "thx", "great", "it works",
    "that worked", "solved", "fixed", "got it", "works now",
)
_STILL_BROKEN = re.compile(
    r"还是不行|还是不可以|还是没用|还不行|仍然不行|依然不行|没用|没有用|不管用|不好使|没效果|没有效果"
    r"|没解决|没有解决|不起作用|试过了|都试了|还是(?:打不|登不|进不|看不|连不|报错|卡|慢|一样)"
    r"|still (?:broken|not working|doesn'?t work|fails|failing|the same|no good)"
    r"|(?:did ?n[o']t|did not) (?:help|work|fix)|(?:does ?n[o']t|does not) help|not fixed|no luck"
    r"|same problem|same error|no change",
    re.IGNORECASE,
)
# Words that say a message is about hospital software, even when linking finds no entity.
_DOMAIN_CUES = (
    "系统", "电脑", "软件", "打印", "报错", "错误", "登录", "登陆", "密码", "卡", "慢", "医保",
    "病历", "挂号", "检验", "化验", "影像", "片子", "发票", "收费", "结算", "工单", "接口",
    "服务器", "网络", "数据库", "扫码", "读卡", "腕带", "报告", "处方", "药", "护士站", "医生站",
    "工作站", "叫号", "自助机", "条码", "标签", "设备", "仪器", "升级", "证书", "授权", "闪退",
    "白屏", "黑屏", "转圈", "打不开", "进不去", "用不了", "不能用", "没反应",
    "system", "error", "print", "login", "log in", "sign in", "password", "server", "network",
    "database", "slow", "crash", "freez", "hang", "timeout", "time out", "interface", "hl7",
    "fhir", "pacs", "his", "lis", "emr", "ris", "insurance", "invoice", "billing", "ticket",
    "scanner", "reader", "kiosk", "label", "wristband", "report", "upgrade", "certificate",
    "licen", "screen", "down", "unreachable", "how do", "how to", "can't", "cannot", "won't",
    "步", "哪里", "在哪", "设置", "按钮", "菜单", "界面", "页面", "step", "where", "button", "menu",
)


def _bare(text: str) -> str:
    return _PUNCT.sub(" ", normalize(text)).strip()


def _only(text: str, phrases: tuple[str, ...]) -> bool:
    """True when the message is nothing but these phrases, punctuation and fillers (啊, so…)."""
    rest = _bare(text)
    if not rest:
        return False
    for phrase in sorted(phrases, key=len, reverse=True):
        if phrase.isascii():
            rest = re.sub(rf"\b{re.escape(phrase)}\b", " ", rest)
        else:
            rest = rest.replace(phrase, " ")
    rest = re.sub(r"[啊呀哦哈嗯噢吧呢啦了的哈您你]|\b(?:so|much|very|a|lot|you|again|all|there|everyone|team)\b", " ", rest)
    return not rest.strip()


def ticket_codes(text: str) -> list[str]:
    """Ticket codes in the text, normalised to T-YYYY-NNNNN."""
    return [f"T-{m.group(1)}-{m.group(2)}" for m in TICKET_CODE.finditer(normalize(text))]


def classify(text: str) -> Intent:
    """The intent that can be told from the words alone; problems are refined later."""
    if ticket_codes(text):
        return Intent.TICKET_STATUS
    if _only(text, _GREETINGS):
        return Intent.GREETING
    if _STILL_BROKEN.search(normalize(text)):
        return Intent.STILL_BROKEN
    if _only(text, _THANKS + _GREETINGS):
        return Intent.THANKS
    return Intent.PROBLEM


def without_still_broken(text: str) -> str:
    """The message without its "still broken" phrases: 「改了密码电子病历还是登不上」 keeps
    「改了密码电子病历」, 「还是不行」 keeps nothing."""
    return _STILL_BROKEN.sub(" ", normalize(text)).strip()


def has_domain_cue(text: str) -> bool:
    norm = normalize(text)
    return any(cue in norm for cue in _DOMAIN_CUES)


def is_out_of_scope(text: str, *, linked_anything: bool) -> bool:
    """A problem message that names no system, symptom or software word is off-topic."""
    return not linked_anything and not has_domain_cue(text)
