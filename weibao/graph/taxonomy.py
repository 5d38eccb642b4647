"""The taxonomy ids of DESIGN.md: systems, symptoms and departments.

These ids are a contract shared by the API, the CLI, the seed data and the tests;
names are kept in Simplified Chinese and English. Aliases live in data/ontology/.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Term:
    id: str
    zh: str
    en: str

    def name(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


SYSTEMS: dict[str, Term] = {
    t.id: t
    for t in (
        Term("his", "医院信息系统（门诊/住院/收费）", "hospital information system"),
        Term("registration", "挂号/预约/分诊叫号", "registration, appointments, queue calling"),
        Term("emr", "电子病历", "electronic medical record"),
        Term("lis", "检验信息系统", "laboratory information system"),
        Term("pacs", "影像归档与通信/放射信息", "PACS / RIS imaging"),
        Term("insurance", "医保结算与医保接口", "medical-insurance settlement"),
        Term("pharmacy", "药房与药品管理", "pharmacy"),
        Term("nursing", "护理信息系统/移动护理", "nursing, mobile nursing"),
        Term("or_anesthesia", "手术麻醉系统", "operating room and anesthesia"),
        Term("icu", "重症监护系统", "ICU"),
        Term("emergency", "急诊系统（预检分诊/留观）", "emergency department"),
        Term("integration", "集成平台/接口引擎（HL7、FHIR、WebService）", "integration engine"),
        Term("infrastructure", "服务器/数据库/网络/存储", "servers, database, network, storage"),
        Term("terminal", "终端/打印机/自助机/读卡器/扫码枪", "terminals, printers, kiosks, readers"),
        Term("internet_hospital", "互联网医院/小程序/移动端", "online hospital, mini programs"),
    )
}

SYMPTOMS: dict[str, Term] = {
    t.id: t
    for t in (
        Term("slow", "卡顿/响应慢", "slow, hanging"),
        Term("outage", "宕机/无法访问", "down, unreachable"),
        Term("login_failure", "无法登录/权限", "cannot log in, permissions"),
        Term("crash_error", "报错/闪退", "error message, crash"),
        Term("interface_error", "接口失败/超时", "interface call fails or times out"),
        Term("data_sync", "数据不同步/不一致/丢失", "data missing, out of sync, inconsistent"),
        Term("print_failure", "打印异常", "printing fails"),
        Term("settlement_failure", "结算/收费/支付失败", "billing, settlement or payment fails"),
        Term("image_load", "影像无法加载/显示", "images do not load or display"),
        Term("device_connect", "设备连接失败", "instrument or peripheral cannot connect"),
        Term("storage_alarm", "存储空间告警", "disk or storage alarm"),
        Term("cert_license", "证书/授权过期", "certificate or licence expired"),
        Term("upgrade_regression", "升级后异常", "broken after an upgrade"),
        Term("security", "病毒/漏洞/安全事件", "malware, vulnerability, security incident"),
        Term("how_to", "操作咨询/培训", "how-to question, training"),
    )
}

DEPARTMENTS: dict[str, Term] = {
    t.id: t
    for t in (
        Term("emergency", "急诊科", "emergency"),
        Term("outpatient", "门诊", "outpatient"),
        Term("inpatient", "住院部/病区", "inpatient"),
        Term("laboratory", "检验科", "laboratory"),
        Term("radiology", "放射科/影像科", "radiology"),
        Term("pharmacy", "药剂科/药房", "pharmacy"),
        Term("surgery", "手术室/外科", "surgery"),
        Term("icu", "重症医学科", "icu"),
        Term("nursing", "护理部", "nursing"),
        Term("insurance_office", "医保办", "insurance office"),
        Term("finance", "财务科/收费处", "finance"),
        Term("information_dept", "信息科", "information department"),
    )
}

AUDIENCES: tuple[str, ...] = ("clinician", "it_staff", "engineer", "management")
LANGUAGES: tuple[str, ...] = ("zh", "en")
