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
    NavItem("search", "/", ("anonymous", *EVERYONE_SIGNED_IN)),
    NavItem("new_ticket", "/tickets/new", EVERYONE_SIGNED_IN),
    NavItem("audit_log", "/audit", ("manager", "admin")),
    NavItem("estate_nav_remote_access", "/remote-access", ("hospital_it", "engineer", "manager", "admin")),
]


def nav_for(role: str) -> list[NavItem]:
    """The links shown to `role`, in order."""
    return [item for item in NAV_ITEMS if role in item.roles]
