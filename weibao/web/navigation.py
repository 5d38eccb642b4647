"""The navigation bar: which pages each role reaches from every page.

One list, so that a feature adds its page in one line and no page is reachable only by
typing its URL. `label` is a UI message key; `roles` are the roles that see the link
("anonymous" for visitors who have not signed in).
"""

from __future__ import annotations

from dataclasses import dataclass

STAFF = ("engineer", "manager", "admin")
EVERYONE_SIGNED_IN = ("clinician", "hospital_it", *STAFF)


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: tuple[str, ...]


NAV_ITEMS: list[NavItem] = [
    NavItem("desk_nav_home", "/home", EVERYONE_SIGNED_IN),
    NavItem("search", "/", ("anonymous", *EVERYONE_SIGNED_IN)),
    NavItem("desk_nav_my_tickets", "/tickets", ("clinician", "hospital_it")),
    NavItem("desk_nav_tickets", "/tickets", STAFF),
    NavItem("desk_nav_queue", "/queue", ("engineer",)),
    NavItem("desk_nav_unassigned", "/queue/unassigned", STAFF),
    NavItem("desk_nav_engineers", "/admin/engineers", ("admin",)),
    NavItem("new_ticket", "/tickets/new", EVERYONE_SIGNED_IN),
    NavItem("audit_log", "/audit", ("manager", "admin")),
    NavItem("authoring_nav_write", "/articles/new", STAFF),
    NavItem("authoring_nav_review", "/review", STAFF),
    NavItem("authoring_nav_stale", "/review/stale", STAFF),
    NavItem("training_nav", "/trainings", ("hospital_it", *STAFF)),
    NavItem("insp_nav", "/inspections", ("hospital_it", "engineer", "manager", "admin")),
    NavItem("insp_plans_nav", "/inspections/plans", ("engineer", "manager", "admin")),
    NavItem("warn_nav", "/warnings", ("hospital_it", "engineer", "manager", "admin")),
    NavItem("estate_nav_remote_access", "/remote-access", ("hospital_it", "engineer", "manager", "admin")),
    NavItem("svc_nav_dashboard", "/dashboard", ("hospital_it", "manager", "admin")),
    NavItem("svc_nav_reports", "/reports", ("hospital_it", "manager", "admin")),
    NavItem("svc_nav_contracts", "/contracts", ("hospital_it", "manager", "admin")),
    NavItem("svc_nav_gaps", "/knowledge-gaps", ("hospital_it", "engineer", "manager", "admin")),
    NavItem("svc_nav_reviews", "/reviews", ("hospital_it", "manager", "admin")),
    NavItem("notify_channels", "/admin/notifications", ("admin",)),
    NavItem("estate_nav_installations", "/installations", ("hospital_it", "engineer", "manager", "admin")),
    NavItem("estate_nav_releases", "/releases", ("hospital_it", "engineer", "manager", "admin")),
    NavItem("estate_nav_changes", "/changes", ("hospital_it", "engineer", "manager", "admin")),
]


def nav_for(role: str) -> list[NavItem]:
    """The links shown to `role`, in order."""
    return [item for item in NAV_ITEMS if role in item.roles]
