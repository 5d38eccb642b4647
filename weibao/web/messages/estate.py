"""UI strings of the estate pages: installations, releases, changes, remote access."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # Navigation
    "estate_nav_remote_access": {"zh": "远程访问", "en": "Remote access"},
    "estate_nav_installations": {"zh": "系统版本", "en": "Installations"},
    "estate_nav_changes": {"zh": "变更管理", "en": "Changes"},
    "estate_nav_releases": {"zh": "版本发布", "en": "Releases"},
    # Remote access
    "estate_ra_title": {"zh": "远程访问授权", "en": "Remote access"},
    "estate_ra_hint_it": {
        "zh": "工程师申请远程访问本院系统。批准后按申请时长自动到期，可随时撤销；所有操作均记入审计日志。",
        "en": "Engineers ask to reach your hospital's systems. An approval expires after the "
        "minutes asked for and can be revoked at any time; everything is in the audit log.",
    },
    "estate_ra_pending": {"zh": "待审批的申请", "en": "Waiting for a decision"},
    "estate_ra_active": {"zh": "生效中的授权", "en": "Active grants"},
    "estate_ra_review": {"zh": "紧急授权待复核", "en": "Break-glass grants to review"},
    "estate_ra_history": {"zh": "历史记录", "en": "History"},
    "estate_ra_none": {"zh": "暂无记录。", "en": "Nothing here."},
    "estate_ra_new": {"zh": "申请远程访问", "en": "Ask for remote access"},
    "estate_ra_hospital": {"zh": "医院", "en": "Hospital"},
    "estate_ra_system": {"zh": "系统", "en": "System"},
    "estate_ra_engineer": {"zh": "工程师", "en": "Engineer"},
    "estate_ra_purpose": {"zh": "目的", "en": "Purpose"},
    "estate_ra_method": {"zh": "方式", "en": "Method"},
    "estate_ra_minutes": {"zh": "时长（分钟）", "en": "Minutes"},
    "estate_ra_ticket": {"zh": "关联工单", "en": "Ticket"},
    "estate_ra_status": {"zh": "状态", "en": "Status"},
    "estate_ra_requested_at": {"zh": "申请时间", "en": "Asked at"},
    "estate_ra_expires": {"zh": "到期时间", "en": "Expires"},
    "estate_ra_decided_by": {"zh": "审批人", "en": "Decided by"},
    "estate_ra_reason": {"zh": "说明（可选）", "en": "Reason (optional)"},
    "estate_ra_break_glass": {"zh": "紧急授权（P1，7×24 医院）", "en": "Break-glass (P1, 7x24 hospital)"},
    "estate_ra_break_glass_flag": {"zh": "紧急", "en": "break-glass"},
    "estate_ra_submit": {"zh": "提交申请", "en": "Send the request"},
    "estate_ra_approve": {"zh": "批准", "en": "Approve"},
    "estate_ra_deny": {"zh": "拒绝", "en": "Deny"},
    "estate_ra_revoke": {"zh": "撤销", "en": "Revoke"},
    "estate_ra_mark_reviewed": {"zh": "已复核", "en": "Mark reviewed"},
    "estate_ra_done": {"zh": "已处理。", "en": "Done."},
    "estate_ra_no_profile": {
        "zh": "您的账号尚未关联工程师档案，请联系管理员关联后再申请。",
        "en": "Your account is not linked to an engineer profile; ask an administrator to link it.",
    },
    "estate_ra_status_pending": {"zh": "待审批", "en": "pending"},
    "estate_ra_status_approved": {"zh": "已批准", "en": "approved"},
    "estate_ra_status_denied": {"zh": "已拒绝", "en": "denied"},
    "estate_ra_status_revoked": {"zh": "已撤销", "en": "revoked"},
    "estate_ra_status_expired": {"zh": "已到期", "en": "expired"},
    "estate_ra_method_vpn": {"zh": "VPN 接入", "en": "VPN"},
    "estate_ra_method_bastion": {"zh": "堡垒机", "en": "bastion host"},
    "estate_ra_method_remote_desktop": {"zh": "远程桌面", "en": "remote desktop"},
    "estate_ra_method_screen_share": {"zh": "屏幕共享", "en": "screen sharing"},
    "estate_refused": {"zh": "无法完成：", "en": "Not done: "},
    "estate_times_local": {"zh": "时间为医院当地时间。", "en": "Times are the hospital's local time."},
}

MESSAGES.update({
    "estate_err_forbidden": {
        "zh": "只有该医院的信息科或管理员可以处理此项。",
        "en": "Only that hospital's IT (or an administrator) may do this.",
    },
    "estate_err_conflict": {
        "zh": "当前状态不允许此操作，请刷新后查看最新状态。",
        "en": "Not possible in its current state; reload to see the latest.",
    },
    "estate_err_not_found": {"zh": "未找到该记录。", "en": "Not found."},
    "estate_err_invalid": {"zh": "请检查填写的内容：", "en": "Please check: "},
    "estate_err_minutes": {
        "zh": "时长需在 1 分钟到医院设定的上限之间。",
        "en": "Minutes must be between 1 and the hospital's maximum.",
    },
    "estate_err_break_glass": {
        "zh": "紧急授权仅适用于 7×24 医院的 P1 工单。",
        "en": "Break-glass needs a P1 ticket at a hospital with 7x24 cover.",
    },
    "estate_err_ticket_id": {"zh": "该医院没有这个工单。", "en": "No such ticket at this hospital."},
})
