"""UI strings in Simplified Chinese (default) and English."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from weibao.routing.models import STATUS_NAMES
from weibao.web.messages import collect

LANGS = ("zh", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "system_map_hint": {
        "zh": "该系统常见的问题、处理方法和知识库文章；点击文章可查看详情。",
        "en": "The system's common problems, the fixes that worked and the articles; click an article to read it.",
    },
    "fix": {"zh": "处理方法", "en": "Fix"},
    "times_worked": {"zh": "有效次数", "en": "Times it worked"},
    "articles": {"zh": "文章", "en": "Articles"},
    "engineers": {"zh": "处理过的工程师", "en": "Engineers who applied it"},
    "new_ticket": {"zh": "报修", "en": "Report a problem"},
    "new_ticket_hint": {
        "zh": "写下现象、科室、时间和报错文字。输入时下方会推荐可能解决问题的文章。",
        "en": "Describe what happens, where, when, and any error text. Matching articles appear as you type.",
    },
    "hospital": {"zh": "医院", "en": "Hospital"},
    "ticket": {"zh": "工单", "en": "Ticket"},
    "ticket_title": {"zh": "问题标题", "en": "Title"},
    "ticket_title_placeholder": {"zh": "如：急诊挂号窗口卡死", "en": "e.g. ER registration window frozen"},
    "ticket_description": {"zh": "问题描述", "en": "Description"},
    "ticket_description_placeholder": {
        "zh": "哪个科室、几号窗口/电脑、从什么时候开始、报错提示是什么",
        "en": "Which department and computer, since when, what error text",
    },
    "maybe_solved_by": {"zh": "这些文章也许能直接解决：", "en": "These articles may solve it right away:"},
    "priority_override": {"zh": "调整紧急程度（需说明原因）", "en": "Change the priority (with a reason)"},
    "priority": {"zh": "紧急程度", "en": "Priority"},
    "priority_auto": {"zh": "自动判断", "en": "Automatic"},
    "priority_P1": {"zh": "紧急", "en": "urgent"},
    "priority_P2": {"zh": "高", "en": "high"},
    "priority_P3": {"zh": "中", "en": "medium"},
    "priority_P4": {"zh": "咨询", "en": "question"},
    "priority_reason": {"zh": "原因", "en": "Reason"},
    "submit_ticket": {"zh": "提交工单", "en": "Submit"},
    **{f"status_{status}": {"zh": zh, "en": en} for status, (zh, en) in STATUS_NAMES.items()},
    "sla_response": {"zh": "响应时限", "en": "Response"},
    "sla_resolution": {"zh": "解决时限", "en": "Resolution"},
    "sla_met": {"zh": "已达成", "en": "met"},
    "sla_breached": {"zh": "已超时", "en": "breached"},
    "due": {"zh": "截止", "en": "due"},
    "overdue": {"zh": "已超时", "en": "overdue"},
    "assignee": {"zh": "处理工程师", "en": "Engineer"},
    "triage_why": {"zh": "分诊依据", "en": "Why this triage"},
    "resolved_case": {"zh": "已解决案例", "en": "Resolved case"},
    "resolved_case_hint": {
        "zh": "来自已解决的工单，已去除医院、报告人和患者信息。",
        "en": "From a resolved ticket, without the hospital, the reporter or patient details.",
    },
    "open_ticket_itself": {"zh": "查看工单及处理记录", "en": "Open the ticket and its history"},
    "priority_rule": {"zh": "优先级规则", "en": "Priority rule"},
    "triage_alternatives": {"zh": "也可能是", "en": "Could also be"},
    "unassigned": {"zh": "待分派（已升级给服务经理）", "en": "unassigned (escalated to the service manager)"},
    "resolution": {"zh": "解决方案", "en": "Resolution"},
    "root_cause": {"zh": "根本原因", "en": "Root cause"},
    "change_status": {"zh": "变更状态", "en": "Change status"},
    "reason": {"zh": "原因", "en": "Reason"},
    "comments": {"zh": "留言", "en": "Comments"},
    "my_queue": {"zh": "我的工单", "en": "My queue"},
    "unassigned_queue": {"zh": "待分派工单", "en": "Unassigned queue"},
    "queue_empty": {"zh": "暂无工单。", "en": "No tickets."},
    "app_name": {"zh": "维保知识库", "en": "WeiBao knowledge base"},
    "tagline": {
        "zh": "描述您遇到的问题，例如「放射科电脑上看不了片子」",
        "en": "Describe the problem, e.g. “HL7 messages stuck in the integration engine”",
    },
    "search": {"zh": "搜索", "en": "Search"},
    "search_placeholder": {"zh": "输入问题，如：挂号窗口卡顿", "en": "Type a problem"},
    "all_systems": {"zh": "全部系统", "en": "All systems"},
    "all_symptoms": {"zh": "全部问题类型", "en": "All problem types"},
    "all_audiences": {"zh": "全部读者", "en": "All readers"},
    "all_languages": {"zh": "全部语言", "en": "All languages"},
    "results_for": {"zh": "搜索结果", "en": "Results"},
    "no_results": {
        "zh": "没有找到相关文章。请换个说法，或联系信息科报修。",
        "en": "Nothing found. Try other words, or report the problem to IT.",
    },
    "took": {"zh": "用时", "en": "took"},
    "understood": {"zh": "识别为", "en": "Understood as"},
    "audience_clinician": {"zh": "临床", "en": "Clinician"},
    "audience_it_staff": {"zh": "信息科", "en": "Hospital IT"},
    "audience_engineer": {"zh": "工程师", "en": "Engineer"},
    "lang_zh": {"zh": "中文", "en": "Chinese"},
    "lang_en": {"zh": "英文", "en": "English"},
    "systems": {"zh": "系统", "en": "Systems"},
    "symptoms": {"zh": "问题类型", "en": "Problem types"},
    "departments": {"zh": "科室", "en": "Departments"},
    "updated": {"zh": "更新于", "en": "Updated"},
    "version": {"zh": "版本", "en": "Version"},
    "fixes": {"zh": "处理方法", "en": "Fixes"},
    "history": {"zh": "历史版本", "en": "Earlier versions"},
    "back": {"zh": "返回搜索", "en": "Back to search"},
    "not_found": {"zh": "未找到该页面", "en": "Page not found"},
    "switch_lang": {"zh": "English", "en": "中文"},
    # Accounts and sign-in
    "sign_in": {"zh": "登录", "en": "Sign in"},
    "sign_out": {"zh": "退出", "en": "Sign out"},
    "username": {"zh": "用户名", "en": "Username"},
    "password": {"zh": "密码", "en": "Password"},
    "login_failed": {"zh": "用户名或密码错误。", "en": "Wrong username or password."},
    "login_locked": {
        "zh": "登录失败次数过多，账号已暂时锁定，请稍后再试或联系管理员。",
        "en": "Too many failed sign-ins: the account is locked for a while. "
        "Try later or ask an administrator.",
    },
    "change_password": {"zh": "修改密码", "en": "Change password"},
    "must_change_password": {
        "zh": "首次登录请先修改密码。",
        "en": "Please choose a new password before you continue.",
    },
    "current_password": {"zh": "当前密码", "en": "Current password"},
    "new_password": {"zh": "新密码（至少 10 位）", "en": "New password (10 characters or more)"},
    "repeat_password": {"zh": "再次输入新密码", "en": "Repeat the new password"},
    "password_wrong": {"zh": "当前密码不正确。", "en": "The current password is wrong."},
    "password_mismatch": {"zh": "两次输入的新密码不一致。", "en": "The new passwords differ."},
    "password_weak": {
        "zh": "新密码太短，至少需要 10 位。",
        "en": "The new password is too short: 10 characters or more.",
    },
    "save": {"zh": "保存", "en": "Save"},
    "signed_in_as": {"zh": "当前用户", "en": "Signed in as"},
    "role_anonymous": {"zh": "访客", "en": "Guest"},
    "role_clinician": {"zh": "临床医护", "en": "Clinician"},
    "role_hospital_it": {"zh": "信息科", "en": "Hospital IT"},
    "role_engineer": {"zh": "工程师", "en": "Engineer"},
    "role_manager": {"zh": "服务经理", "en": "Service manager"},
    "role_admin": {"zh": "管理员", "en": "Administrator"},
    "forbidden": {"zh": "没有权限", "en": "Not allowed"},
    "too_many": {"zh": "请求过于频繁", "en": "Too many requests"},
    "rate_limited": {
        "zh": "请求过于频繁，请 {seconds} 秒后再试。",
        "en": "Too many requests; please try again in {seconds} s.",
    },
    "rate_limited_search": {
        "zh": "搜索过于频繁，请 {seconds} 秒后再试。",
        "en": "Too many searches; please try again in {seconds} s.",
    },
    "rate_limited_login": {
        "zh": "登录尝试过于频繁，请 {seconds} 秒后再试。",
        "en": "Too many sign-in attempts; please try again in {seconds} s.",
    },
    "problem": {"zh": "无法完成请求", "en": "The request could not be completed"},
    # Audit log
    "audit_log": {"zh": "审计日志", "en": "Audit log"},
    "audit_actor": {"zh": "操作人", "en": "Who"},
    "audit_action": {"zh": "操作", "en": "What"},
    "audit_since": {"zh": "起始时间", "en": "From"},
    "audit_until": {"zh": "截止时间", "en": "Until"},
    "audit_at": {"zh": "时间（UTC）", "en": "Time (UTC)"},
    "audit_target": {"zh": "对象", "en": "Target"},
    "audit_hospital": {"zh": "医院", "en": "Hospital"},
    "audit_ip": {"zh": "来源地址", "en": "Address"},
    "audit_detail": {"zh": "详情", "en": "Detail"},
    "all_actions": {"zh": "全部操作", "en": "All actions"},
    "filter": {"zh": "筛选", "en": "Filter"},
    "no_events": {"zh": "没有符合条件的记录。", "en": "No matching events."},
    # Chat widget
    "chat_open": {"zh": "智能助手", "en": "Assistant"},
    "chat_title": {"zh": "维保智能助手", "en": "WeiBao assistant"},
    "chat_close": {"zh": "关闭", "en": "Close"},
    "chat_placeholder": {
        "zh": "描述问题，如「腕带打印不出来」，按 Enter 发送",
        "en": "Describe the problem; Enter sends",
    },
    "chat_send": {"zh": "发送", "en": "Send"},
    "chat_you": {"zh": "我", "en": "You"},
    "chat_bot": {"zh": "助手", "en": "Assistant"},
    "chat_sources": {"zh": "参考资料", "en": "Sources"},
    "chat_open_ticket": {"zh": "提交工单（已预填）", "en": "Open the prefilled ticket"},
    "chat_view_ticket": {"zh": "查看工单", "en": "View the ticket"},
    "chat_error": {"zh": "暂时无法回复，请稍后再试。", "en": "No reply right now; try again later."},
    "chat_intro": {
        "zh": "您好！请描述遇到的问题，我会从知识库里找处理办法。",
        "en": "Hello! Describe the problem and I will look for a fix in the knowledge base.",
    },
}


def _merge_area_catalogues() -> None:
    for key, entry in collect().items():
        if key in MESSAGES:
            raise ValueError(f"UI message key {key!r} defined twice (in weibao.web.messages)")
        MESSAGES[key] = entry


_merge_area_catalogues()


def request_lang(request: Request) -> str:
    """?lang= wins, then the lang cookie, then Chinese."""
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in LANGS else "zh"


def translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        entry = MESSAGES.get(key)
        return entry.get(lang, entry["zh"]) if entry else key

    return t
