"""UI strings for the navigation bar's menus (weibao.web.navigation.GROUPS)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "nav_group_tickets": {"zh": "工单", "en": "Tickets"},
    "nav_group_knowledge": {"zh": "知识", "en": "Knowledge"},
    "nav_group_service": {"zh": "服务", "en": "Service"},
    "nav_group_operations": {"zh": "运维", "en": "Operations"},
    "nav_group_admin": {"zh": "管理", "en": "Admin"},
    "nav_menu_label": {"zh": "主导航", "en": "Main navigation"},
    "nav_current_group": {"zh": "（当前所在）", "en": " (current section)"},
}
