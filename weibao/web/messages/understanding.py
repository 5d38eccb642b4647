"""UI strings of the understanding: why a priority, what to ask a vague ticket, predicted
versus corrected labels (the ticket page's correction form reads these too)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # Why the priority: one line per reason code of weibao.routing.priority ({matched}: the words).
    "understanding_reason_scope_hospital": {"zh": "影响全院（“{matched}”）", "en": "Affects the whole hospital (“{matched}”)"},
    "understanding_reason_scope_group": {"zh": "影响一个科室或多名用户（“{matched}”）",
                                         "en": "Affects a department or several users (“{matched}”)"},
    "understanding_reason_scope_single": {"zh": "只影响一台电脑或一名用户（“{matched}”）",
                                          "en": "Affects one workstation or user (“{matched}”)"},
    "understanding_reason_critical_area": {"zh": "患者安全相关区域（“{matched}”）",
                                           "en": "Patient-safety area (“{matched}”)"},
    "understanding_reason_critical_moment": {"zh": "正在进行的关键时刻（“{matched}”）",
                                             "en": "At a critical moment (“{matched}”)"},
    "understanding_reason_blocked_flow": {"zh": "业务流程无法进行（“{matched}”）",
                                          "en": "A business flow cannot proceed (“{matched}”)"},
    "understanding_reason_workaround": {"zh": "已有临时办法（“{matched}”）", "en": "A workaround is in use (“{matched}”)"},
    "understanding_reason_question": {"zh": "这是操作咨询（“{matched}”）", "en": "This is a how-to question (“{matched}”)"},
    "understanding_reason_ransomware": {"zh": "疑似勒索病毒（“{matched}”），可能扩散",
                                        "en": "Suspected ransomware (“{matched}”), may spread"},
    "understanding_reason_alert_critical": {"zh": "监控告警级别：严重", "en": "Monitoring alert severity: critical"},
    "understanding_reason_alert_high": {"zh": "监控告警级别：高", "en": "Monitoring alert severity: high"},
    "understanding_reason_alert_warning": {"zh": "监控告警级别：警告", "en": "Monitoring alert severity: warning"},
    "understanding_reason_alert_info": {"zh": "监控告警级别：提示", "en": "Monitoring alert severity: information"},
    "understanding_reason_alert_unknown": {"zh": "监控告警", "en": "Monitoring alert"},
    "understanding_reason_unknown_system": {"zh": "尚不清楚是哪个系统，先按中优先级处理并询问报告人",
                                            "en": "Which system is not yet known: handled as P3 while the reporter is asked"},
    # The priority rules of weibao.routing.priority.decide (see desk_view.RULE_KEYS).
    "understanding_rule_security": {"zh": "安全事件，需尽快控制", "en": "Security incident to contain"},
    "understanding_rule_alert_warning": {"zh": "监控预警：业务尚未中断", "en": "Monitoring warning: nothing has stopped yet"},
    "understanding_rule_safety_stopped": {"zh": "患者安全区域关键时刻业务中断", "en": "Patient-safety area: work stopped at a critical moment"},
    "understanding_rule_hospital_wide": {"zh": "全院范围的核心业务中断或受影响", "en": "Hospital-wide: core business stopped or degraded"},
    "understanding_rule_alert_critical": {"zh": "严重监控告警：服务正在失败", "en": "Critical monitoring alert: a service is failing"},
    "understanding_rule_service_down": {"zh": "服务中断或告警", "en": "A service is down or alarming"},
    "understanding_rule_core_slow": {"zh": "核心系统响应慢，无替代办法", "en": "Core system slow, no workaround"},
    "understanding_rule_storage": {"zh": "存储将满，依赖它的系统会停", "en": "Storage filling: the systems on it will stop"},
    "understanding_rule_core_failing": {"zh": "核心功能失败，未提到替代办法", "en": "Core function failing, no workaround mentioned"},
    # A vague ticket: the flag and the question to the reporter.
    "understanding_unknown_system": {"zh": "系统未知", "en": "Unknown system"},
    "understanding_low_confidence": {"zh": "判断把握不大，请工程师确认", "en": "Low confidence: an engineer should confirm"},
    "understanding_clarify_which_system": {
        "zh": "请问是哪个系统出了问题（例如 HIS、电子病历、检验、影像、医保），影响了多少人？",
        "en": "Which system is it (for example HIS, the EMR, the lab, imaging, insurance), and how many people are affected?",
    },
    "understanding_clarify_which_symptom": {
        "zh": "请描述一下具体现象：打不开、报错、很慢，还是数据不对？",
        "en": "What exactly happens: it does not open, it shows an error, it is slow, or the data is wrong?",
    },
    # Predicted versus corrected (ticket page) and the correction form's labels.
    "understanding_predicted": {"zh": "系统判断", "en": "Predicted"},
    "understanding_corrected": {"zh": "工程师更正", "en": "Corrected"},
    "understanding_source_model": {"zh": "模型推断", "en": "inferred by the model"},
    "understanding_source_dictionary": {"zh": "文中提到", "en": "named in the text"},
    "understanding_correct_title": {"zh": "更正系统、现象或优先级", "en": "Correct systems, symptoms or priority"},
    "understanding_correct_reason": {"zh": "更正原因", "en": "Reason for the correction"},
    "understanding_correct_save": {"zh": "保存更正", "en": "Save the correction"},
    "understanding_correct_saved": {"zh": "已保存更正，将用于下次模型训练。", "en": "Correction saved; the next training will learn from it."},
}
