"""The navigation bar: which pages each role reaches from every page, in a few menus.

One list, so that a feature adds its page in one line and no page is reachable only by
typing its URL. `label` is a UI message key; `roles` are the roles that see the link
("anonymous" for visitors who have not signed in); `group` is the menu it sits in (see
GROUPS). A role with few links sees them flat; so does a menu that would hold one or two.
"""

from __future__ import annotations

from dataclasses import dataclass

STAFF = ("engineer", "manager", "admin")
EVERYONE_SIGNED_IN = ("clinician", "hospital_it", *STAFF)
HOSPITAL_AND_STAFF = ("hospital_it", *STAFF)
REPORTING = ("hospital_it", "manager", "admin")

# Menus in the order shown, each with its label's UI message key.
GROUPS: dict[str, str] = {
    "tickets": "nav_group_tickets",
    "knowledge": "nav_group_knowledge",
    "service": "nav_group_service",
    "operations": "nav_group_operations",
    "admin": "nav_group_admin",
}
# A role with at most this many links sees a flat bar (clinicians, visitors).
FLAT_UP_TO = 6
# A menu with at most this many links for the role is shown as plain links.
MENU_FROM = 3


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: tuple[str, ...]
    group: str


NAV_ITEMS: list[NavItem] = [
    NavItem("desk_nav_home", "/home", EVERYONE_SIGNED_IN, "tickets"),
    NavItem("desk_nav_my_tickets", "/tickets", ("clinician", "hospital_it"), "tickets"),
    NavItem("desk_nav_tickets", "/tickets", STAFF, "tickets"),
    NavItem("desk_nav_queue", "/queue", ("engineer",), "tickets"),
    NavItem("desk_nav_unassigned", "/queue/unassigned", STAFF, "tickets"),
    NavItem("new_ticket", "/tickets/new", EVERYONE_SIGNED_IN, "tickets"),
    NavItem("search", "/", ("anonymous", *EVERYONE_SIGNED_IN), "knowledge"),
    NavItem("authoring_nav_write", "/articles/new", STAFF, "knowledge"),
    NavItem("authoring_nav_review", "/review", STAFF, "knowledge"),
    NavItem("authoring_nav_stale", "/review/stale", STAFF, "knowledge"),
    NavItem("svc_nav_gaps", "/knowledge-gaps", HOSPITAL_AND_STAFF, "knowledge"),
    NavItem("training_nav", "/trainings", HOSPITAL_AND_STAFF, "knowledge"),
    NavItem("svc_nav_dashboard", "/dashboard", REPORTING, "service"),
    NavItem("svc_nav_reports", "/reports", REPORTING, "service"),
    NavItem("svc_nav_contracts", "/contracts", REPORTING, "service"),
    NavItem("svc_nav_reviews", "/reviews", REPORTING, "service"),
    NavItem("insp_nav", "/inspections", HOSPITAL_AND_STAFF, "operations"),
    NavItem("insp_plans_nav", "/inspections/plans", STAFF, "operations"),
    NavItem("warn_nav", "/warnings", HOSPITAL_AND_STAFF, "operations"),
    NavItem("estate_nav_installations", "/installations", HOSPITAL_AND_STAFF, "operations"),
    NavItem("estate_nav_releases", "/releases", HOSPITAL_AND_STAFF, "operations"),
    NavItem("estate_nav_changes", "/changes", HOSPITAL_AND_STAFF, "operations"),
    NavItem("estate_nav_remote_access", "/remote-access", HOSPITAL_AND_STAFF, "operations"),
    NavItem("desk_nav_engineers", "/admin/engineers", ("admin",), "admin"),
    NavItem("notify_channels", "/admin/notifications", ("admin",), "admin"),
    NavItem("audit_log", "/audit", ("manager", "admin"), "admin"),
]


@dataclass(frozen=True)
class NavGroup:
    """One entry of the bar: a menu of links (`menu`), or links shown as they are."""

    key: str
    label: str
    items: tuple[NavItem, ...]
    menu: bool

    def holds(self, path: str) -> bool:
        """Whether the page at `path` is one of this group's links or below one of them."""
        return any(item.href == path or (item.href != "/" and path.startswith(item.href + "/"))
                   for item in self.items)


def nav_for(role: str) -> list[NavItem]:
    """The links shown to `role`, in order."""
    return [item for item in NAV_ITEMS if role in item.roles]


def nav_groups_for(role: str) -> list[NavGroup]:
    """The bar for `role`: its links by menu, in GROUPS order; flat for a role with few links."""
    items = nav_for(role)
    flat = len(items) <= FLAT_UP_TO
    groups: list[NavGroup] = []
    for key, label in GROUPS.items():
        members = tuple(item for item in items if item.group == key)
        if members:
            groups.append(NavGroup(key, label, members, menu=not flat and len(members) >= MENU_FROM))
    return groups
