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

MESSAGES.update({
    # Installations
    "estate_inst_title": {"zh": "医院系统与版本", "en": "Installed systems and versions"},
    "estate_inst_hint": {
        "zh": "各医院在用系统的版本、模块、环境、服务器和接口，以及升级记录。",
        "en": "What each hospital runs: versions, modules, environment, hosts, interfaces and upgrades.",
    },
    "estate_inst_all_hospitals": {"zh": "全部医院", "en": "All hospitals"},
    "estate_inst_product": {"zh": "产品", "en": "Product"},
    "estate_inst_version": {"zh": "版本", "en": "Version"},
    "estate_inst_environment": {"zh": "环境", "en": "Environment"},
    "estate_env_production": {"zh": "生产", "en": "production"},
    "estate_env_test": {"zh": "测试", "en": "test"},
    "estate_inst_modules": {"zh": "模块", "en": "Modules"},
    "estate_inst_hosts": {"zh": "服务器", "en": "Hosts"},
    "estate_inst_interfaces": {"zh": "接口", "en": "Interfaces"},
    "estate_inst_upgrades": {"zh": "升级记录", "en": "Upgrades"},
    "estate_inst_recent": {"zh": "近期升级", "en": "recently upgraded"},
    "estate_inst_none": {"zh": "还没有登记系统。", "en": "No installations recorded."},
    "estate_inst_import": {"zh": "批量导入（CSV 或 XLSX）", "en": "Import (CSV or XLSX)"},
    "estate_inst_import_hint": {
        "zh": "表头列名（按原样填写）：必填医院编号、系统、版本，可选环境、产品、模块、服务器、接口"
              "（多个值用分号分隔，接口写作「系统:协议」）。有任何错误行时整批不导入。",
        "en": "Column headers (typed as shown): required hospital id, system, version; optional environment, "
              "product, modules, hosts, interfaces (several values separated by ;, interfaces as "
              "system:protocol). A file with any bad row is not imported at all.",
    },
    "estate_inst_import_columns": {"zh": "表头：", "en": "Header:"},
    "estate_inst_file": {"zh": "文件", "en": "File"},
    "estate_inst_dry_run": {"zh": "仅检查，不写入", "en": "Check only, write nothing"},
    "estate_inst_upload": {"zh": "上传", "en": "Upload"},
    "estate_inst_report": {
        "zh": "共 {rows} 行：新增 {created}，更新 {updated}，未变 {unchanged}。",
        "en": "{rows} rows: {created} new, {updated} changed, {unchanged} unchanged.",
    },
    "estate_inst_applied": {"zh": "已导入。", "en": "Imported."},
    "estate_inst_checked": {"zh": "检查完成，未写入。", "en": "Checked; nothing written."},
    "estate_inst_rejected": {"zh": "存在错误行，整批未导入：", "en": "Bad rows; nothing was imported:"},
    "estate_inst_line": {"zh": "第 {line} 行", "en": "line {line}"},
    # Releases and backlog
    "estate_rel_title": {"zh": "版本发布与升级积压", "en": "Releases and upgrade backlog"},
    "estate_rel_backlog": {"zh": "升级积压", "en": "Upgrade backlog"},
    "estate_rel_backlog_hint": {
        "zh": "落后于安全补丁、强制版本（如医保接口）或已停止支持的生产系统，按落后天数排序。",
        "en": "Production systems behind a security patch or a mandatory version (e.g. an insurance "
              "interface), or on a version out of support; longest first.",
    },
    "estate_rel_backlog_none": {"zh": "没有落后的医院。", "en": "No hospital lags behind."},
    "estate_rel_installed": {"zh": "在用版本", "en": "Installed"},
    "estate_rel_target": {"zh": "应升级到", "en": "Upgrade to"},
    "estate_rel_reason": {"zh": "原因", "en": "Why"},
    "estate_rel_reason_security": {"zh": "安全补丁", "en": "security patch"},
    "estate_rel_reason_mandatory": {"zh": "强制版本", "en": "mandatory version"},
    "estate_rel_reason_end_of_support": {"zh": "已停止支持", "en": "out of support"},
    "estate_rel_since": {"zh": "起始日期", "en": "Since"},
    "estate_rel_days": {"zh": "落后天数", "en": "Days behind"},
    "estate_rel_catalogue": {"zh": "版本目录", "en": "Release catalogue"},
    "estate_rel_released": {"zh": "发布日期", "en": "Released"},
    "estate_rel_notes": {"zh": "说明", "en": "Notes"},
    "estate_rel_flags": {"zh": "类型", "en": "Kind"},
    "estate_rel_security": {"zh": "安全", "en": "security"},
    "estate_rel_mandatory": {"zh": "强制", "en": "mandatory"},
    "estate_rel_eos": {"zh": "停止支持", "en": "End of support"},
    "estate_rel_fixes": {"zh": "修复的已知问题", "en": "Known issues fixed"},
    "estate_rel_none": {"zh": "目录为空。", "en": "The catalogue is empty."},
    # Changes
    "estate_chg_title": {"zh": "变更管理", "en": "Changes"},
    "estate_chg_hint": {
        "zh": "变更需医院信息科和厂商服务经理双方批准；封网窗口内或与其他变更重叠的时间不能安排。",
        "en": "A change needs the approval of the hospital's IT and of the vendor's manager; windows "
              "inside a blackout or over another change are refused.",
    },
    "estate_chg_list": {"zh": "变更单", "en": "Change requests"},
    "estate_chg_none": {"zh": "暂无变更。", "en": "No changes."},
    "estate_chg_window": {"zh": "时间窗口", "en": "Window"},
    "estate_chg_downtime": {"zh": "预计停机（分钟）", "en": "Downtime (minutes)"},
    "estate_chg_systems": {"zh": "涉及系统", "en": "Systems"},
    "estate_chg_departments": {"zh": "涉及科室", "en": "Departments"},
    "estate_chg_rollback": {"zh": "回退方案", "en": "Rollback plan"},
    "estate_chg_test": {"zh": "测试方案", "en": "Test plan"},
    "estate_chg_target": {"zh": "目标版本", "en": "Target version"},
    "estate_chg_title_field": {"zh": "标题", "en": "Title"},
    "estate_chg_kind": {"zh": "类型", "en": "Kind"},
    "estate_chg_kind_upgrade": {"zh": "升级", "en": "upgrade"},
    "estate_chg_kind_patch": {"zh": "补丁", "en": "patch"},
    "estate_chg_kind_config": {"zh": "配置", "en": "configuration"},
    "estate_chg_kind_infrastructure": {"zh": "基础设施", "en": "infrastructure"},
    "estate_chg_kind_other": {"zh": "其他", "en": "other"},
    "estate_chg_approvals": {"zh": "审批", "en": "Approvals"},
    "estate_chg_hospital_ok": {"zh": "医院已批", "en": "hospital approved"},
    "estate_chg_side": {"zh": "代表哪一方批准", "en": "Approve on behalf of"},
    "estate_chg_vendor_ok": {"zh": "厂商已批", "en": "vendor approved"},
    "estate_chg_status_submitted": {"zh": "待审批", "en": "submitted"},
    "estate_chg_status_approved": {"zh": "已批准", "en": "approved"},
    "estate_chg_status_rejected": {"zh": "已驳回", "en": "rejected"},
    "estate_chg_status_in_progress": {"zh": "实施中", "en": "in progress"},
    "estate_chg_status_done": {"zh": "已完成", "en": "done"},
    "estate_chg_status_rolled_back": {"zh": "已回退", "en": "rolled back"},
    "estate_chg_status_cancelled": {"zh": "已取消", "en": "cancelled"},
    "estate_chg_approve": {"zh": "批准", "en": "Approve"},
    "estate_chg_reject": {"zh": "驳回", "en": "Reject"},
    "estate_chg_move_in_progress": {"zh": "开始实施", "en": "Start"},
    "estate_chg_move_done": {"zh": "完成", "en": "Done"},
    "estate_chg_move_rolled_back": {"zh": "已回退", "en": "Rolled back"},
    "estate_chg_move_cancelled": {"zh": "取消", "en": "Cancel"},
    "estate_chg_new": {"zh": "新建变更", "en": "Plan a change"},
    "estate_chg_start": {"zh": "开始时间", "en": "Start"},
    "estate_chg_end": {"zh": "结束时间", "en": "End"},
    "estate_chg_submit": {"zh": "提交变更", "en": "Submit the change"},
    "estate_chg_calendar": {"zh": "变更日历（未来 14 天）", "en": "Change calendar (next 14 days)"},
    "estate_chg_calendar_none": {"zh": "未来 14 天没有变更或封网。", "en": "Nothing in the next 14 days."},
    "estate_chg_blackout": {"zh": "封网", "en": "blackout"},
    "estate_chg_regressions": {"zh": "变更后回归观察", "en": "Regression watch"},
    "estate_chg_regressions_hint": {
        "zh": "比较变更前 7 天与变更后 7 天涉及系统的工单数；明显上升时标红。",
        "en": "Tickets for the affected systems in the 7 days before vs after each change; a clear rise is flagged.",
    },
    "estate_chg_before": {"zh": "变更前", "en": "Before"},
    "estate_chg_after": {"zh": "变更后", "en": "After"},
    "estate_chg_rise": {"zh": "工单上升", "en": "tickets rose"},
    "estate_chg_watching": {"zh": "观察中", "en": "watching"},
    "estate_chg_regressions_none": {"zh": "近 30 天没有已实施的变更。", "en": "No change carried out in the last 30 days."},
    "estate_bo_title": {"zh": "封网窗口", "en": "Blackout windows"},
    "estate_bo_none": {"zh": "未设置封网窗口。", "en": "No blackout windows."},
    "estate_bo_name": {"zh": "名称", "en": "Name"},
    "estate_bo_when": {"zh": "时间", "en": "When"},
    "estate_bo_kind_weekly": {"zh": "每周", "en": "weekly"},
    "estate_bo_kind_monthly": {"zh": "每月", "en": "monthly"},
    "estate_bo_kind_once": {"zh": "一次性", "en": "once"},
    "estate_bo_days": {"zh": "日期（每周：0=周一…6=周日；每月：1–31，-1=月末）", "en": "Days (weekly: 0=Mon…6=Sun; monthly: 1–31, -1 = last day)"},
    "estate_bo_add": {"zh": "添加封网窗口", "en": "Add a blackout window"},
    "estate_bo_last_day": {"zh": "月末", "en": "last day"},
    "estate_weekday_0": {"zh": "周一", "en": "Mon"},
    "estate_weekday_1": {"zh": "周二", "en": "Tue"},
    "estate_weekday_2": {"zh": "周三", "en": "Wed"},
    "estate_weekday_3": {"zh": "周四", "en": "Thu"},
    "estate_weekday_4": {"zh": "周五", "en": "Fri"},
    "estate_weekday_5": {"zh": "周六", "en": "Sat"},
    "estate_weekday_6": {"zh": "周日", "en": "Sun"},
    "estate_err_window_start": {
        "zh": "时间冲突：", "en": "Time conflict: ",
    },
})

MESSAGES.update({
    "estate_conflict_blackout": {
        "zh": "时间冲突：与封网窗口「{name}」（{start} 起）重叠。",
        "en": "Time conflict: inside the blackout window “{name}” (from {start}).",
    },
    "estate_conflict_change": {
        "zh": "时间冲突：与变更 #{id}「{name}」（{start} 起）重叠。",
        "en": "Time conflict: overlaps change #{id} “{name}” (from {start}).",
    },
})

MESSAGES.update({
    # Shown on a ticket: what the estate told triage (routing/advice.py, estate/advisor.py).
    "estate_factor_known_issue": {
        "zh": "已知问题：本院在用 {installed}，v{fixed} 已修复，参见「{article}」。",
        "en": "Known issue: this hospital runs {installed}; fixed in v{fixed}, see “{article}”.",
    },
    "estate_factor_recent": {
        "zh": "近期升级：{days} 天前从 {from} 升级到 {to}。",
        "en": "Recently upgraded: {days} days ago from {from} to {to}.",
    },
})

MESSAGES.update({
    "estate_ra_policy": {"zh": "本院远程访问规则", "en": "Your hospital's remote-access rules"},
    "estate_ra_max_minutes": {"zh": "单次最长时长（分钟）", "en": "Longest grant (minutes)"},
    "estate_ra_contact": {"zh": "接口人（收到申请通知的账号）", "en": "Contact (account told of requests)"},
    "estate_ra_change_id": {"zh": "关联变更", "en": "Change"},
})

MESSAGES.update({
    "estate_dash_regression": {
        "zh": "变更后工单上升：「{title}」之后 7 天 {after} 单，之前 7 天 {before} 单。",
        "en": "Tickets rose after the change “{title}”: {after} in the 7 days after, {before} before.",
    },
})

MESSAGES.update({
    "estate_rel_new": {"zh": "登记新版本", "en": "Add a release"},
    "estate_rel_tags": {"zh": "合规标签（逗号分隔，如 数据安全法）", "en": "Compliance tags (comma-separated)"},
    "estate_rel_articles": {
        "zh": "修复的已知问题对应的知识库文章编号（逗号分隔）",
        "en": "Knowledge-base articles of the known issues it fixes (ids, comma-separated)",
    },
    "estate_rel_add": {"zh": "登记", "en": "Add"},
})

MESSAGES.update({
    "estate_err_duplicate_version": {
        "zh": "该系统的这个版本已经登记过。", "en": "This version of the system is already listed.",
    },
})
