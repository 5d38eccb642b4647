"""The one access policy: which role holds which permission, and how routes declare theirs.

Every route names exactly one permission through `require(permission)`; `create_app`
refuses to start when a route has none, and the route-matrix test reads the same table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import fastapi.routing
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy import false
from sqlalchemy.sql import Select

from weibao.core import audit
from weibao.core.accounts import HOSPITAL_ROLES, ROLES
from weibao.core.db import session_scope
from weibao.web.deps import Caller, CallerDep
from weibao.web.security.errors import SecurityProblem
from weibao.web.security.ratelimit import client_address
from weibao.web.security.session import CSRF_HEADER, UNSAFE_METHODS, csrf_matches

PUBLIC = "public"
SIGNED_IN = ("clinician", "hospital_it", "engineer", "manager", "admin")
VENDOR_LEADS = ("manager", "admin")

# permission -> roles that hold it. Anonymous callers hold only "public", plus
# "kb.read" while settings.public_search is on.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    PUBLIC: ("anonymous", *SIGNED_IN),
    "kb.read": SIGNED_IN,
    "account.self": SIGNED_IN,
    "tokens.own": SIGNED_IN,
    "chat.use": SIGNED_IN,
    "tickets.read": SIGNED_IN,  # hospital roles: own hospital only (scope_to_hospital)
    "tickets.create": SIGNED_IN,
    # Working a ticket. The service manager steers (reassign, escalate, with a reason)
    # but does not move a ticket's status, resolve it or turn it into an article.
    "tickets.transition": ("engineer", "admin"),
    "tickets.resolve": ("engineer", "admin"),  # engineers: only tickets assigned to them
    "tickets.resolve_any": ("admin",),  # resolve whoever the assignee is
    "tickets.promote": ("engineer", "admin"),
    "tickets.reassign": ("engineer", *VENDOR_LEADS),
    "tickets.escalate": ("engineer", *VENDOR_LEADS),
    "tickets.read_all": ("engineer", *VENDOR_LEADS),
    # Correct triage's systems, symptoms or priority (stored, fed to `weibao train`).
    "tickets.correct": ("engineer", "admin"),
    # The reporter's side: reply, confirm the fix or reopen, rate (own hospital's tickets).
    "tickets.follow_up": ("clinician", "hospital_it"),
    "tickets.attach": SIGNED_IN,  # screenshots and logs; downloads need tickets.read
    "notify.manage": ("admin",),  # notification channels of hospitals and engineers
    # Draft articles (promoted from tickets, not yet reviewed) stay inside the vendor.
    "articles.read_drafts": ("engineer", *VENDOR_LEADS),
    # Authoring: write and edit articles; review others' (never one's own: kb.authoring).
    "articles.write": ("engineer", *VENDOR_LEADS),
    "articles.review": ("engineer", *VENDOR_LEADS),
    "articles.feedback": SIGNED_IN,  # one vote per reader and article (the latest counts)
    "reports.read": ("hospital_it", *VENDOR_LEADS),  # hospital_it: own hospital only
    # Knowledge gaps: engineers write the missing articles; hospital_it: own hospital only.
    "gaps.read": ("hospital_it", "engineer", *VENDOR_LEADS),
    "contracts.manage": ("admin",),
    "reviews.manage": VENDOR_LEADS,  # quarterly reviews and their action items
    "users.read": ("hospital_it", *VENDOR_LEADS),  # hospital_it: own hospital only
    "audit.read": VENDOR_LEADS,
    "users.manage": ("admin",),
    "hospitals.manage": ("admin",),
    "engineers.manage": ("admin",),
    "settings.manage": ("admin",),
    # Estate (weibao.estate). Hospital IT reads and decides for its own hospital only.
    "estate.read": ("hospital_it", "engineer", *VENDOR_LEADS),
    "estate.manage": ("engineer", *VENDOR_LEADS),  # installations import, release catalogue
    "changes.read": ("hospital_it", "engineer", *VENDOR_LEADS),
    "changes.create": ("engineer", *VENDOR_LEADS),
    "changes.update": ("engineer", *VENDOR_LEADS),  # start, done, rolled back, cancel
    # Hospital IT approves for its hospital, the manager for the vendor (estate.changes).
    "changes.approve": ("hospital_it", *VENDOR_LEADS),
    "blackouts.manage": ("hospital_it", *VENDOR_LEADS),
    "remote_access.request": ("engineer",),  # needs a linked engineer profile
    "remote_access.read": ("hospital_it", "engineer", *VENDOR_LEADS),
    # Approve, deny, revoke, set the maximum: that hospital's IT or an admin (estate.access).
    "remote_access.decide": ("hospital_it", "admin"),
    # The bastion host asks with a token of the hospital's IT (admins name the hospital).
    "remote_access.check": ("hospital_it", "admin"),
    "remote_access.review": VENDOR_LEADS,  # break-glass grants, after the fact
    # Preventive maintenance (weibao.inspections). Hospital IT: its own hospital only; it
    # may schedule and record a (remote) inspection, and signs performed ones off.
    "inspections.read": ("hospital_it", "engineer", *VENDOR_LEADS),
    "inspections.schedule": ("hospital_it", "engineer", *VENDOR_LEADS),
    "inspections.perform": ("hospital_it", "engineer", "admin"),
    "inspections.sign_off": ("hospital_it", "admin"),
    "inspections.plan": ("engineer", *VENDOR_LEADS),  # plans and warning thresholds
    "warnings.read": ("hospital_it", "engineer", *VENDOR_LEADS),
    # Monitoring posts metric samples with a hospital_it token (vendor roles name the hospital).
    "warnings.ingest": ("hospital_it", "engineer", *VENDOR_LEADS),
    # Training (weibao.training): vendor staff plan and record sessions; hospital IT reads
    # its own hospital's (and the handbooks) and gives feedback; clinicians none.
    "trainings.read": ("hospital_it", "engineer", *VENDOR_LEADS),
    "trainings.manage": ("engineer", *VENDOR_LEADS),
    "trainings.feedback": ("hospital_it", "engineer", *VENDOR_LEADS),
}
# A caller who must change the password may still do these, and nothing else.
ALLOWED_BEFORE_PASSWORD_CHANGE = frozenset({PUBLIC, "account.self"})

assert all(r in ("anonymous", *ROLES) for roles in PERMISSIONS.values() for r in roles)


def allows(permission: str, role: str, *, public_search: bool) -> bool:
    """True when `role` holds `permission` under the current settings."""
    if permission == "kb.read" and role == "anonymous" and public_search:
        return True
    return role in PERMISSIONS[permission]


def permissions_of(role: str, *, public_search: bool) -> list[str]:
    """Every permission the role holds."""
    return [p for p in PERMISSIONS if allows(p, role, public_search=public_search)]


def _deny(request: Request, caller: Caller, permission: str) -> None:
    database = request.app.state.database
    with session_scope(database.sessions) as session:
        audit.record(
            session,
            action="auth.denied",
            actor_user_id=caller.user_id,
            actor_name=caller.username or "",
            actor_role=caller.role,
            hospital_id=caller.hospital_id,
            target=f"{request.method} {request.url.path}",
            ip=client_address(request),
            detail={"permission": permission},
        )


def require(permission: str) -> Callable[..., Caller]:
    """A dependency that returns the caller when they hold `permission`, else 401/403."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def dependency(request: Request, caller: CallerDep) -> Caller:
        settings = request.app.state.settings
        if not allows(permission, caller.role, public_search=settings.public_search):
            if caller.is_anonymous:
                raise SecurityProblem(401, "sign-in required")
            _deny(request, caller, permission)
            raise SecurityProblem(
                403, f"role {caller.role} does not have permission {permission}"
            )
        if caller.must_change_password and permission not in ALLOWED_BEFORE_PASSWORD_CHANGE:
            raise SecurityProblem(
                403, "change your password first", {"X-Redirect": "/account/password"}
            )
        # Browsers send the cookie on their own; an unsafe API call made with the session
        # (not a token) must also prove it comes from our pages.
        if (
            caller.via == "session"
            and request.method in UNSAFE_METHODS
            and request.url.path.startswith("/api/")
            and not csrf_matches(request, request.headers.get(CSRF_HEADER))
        ):
            raise SecurityProblem(403, f"missing or wrong {CSRF_HEADER} header")
        return caller

    # Read back by dependant_permission() when the route table is checked: an attribute
    # of the function, set through its __dict__ (mypy knows no `permission` on a function).
    vars(dependency)["permission"] = permission
    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    return dependency


def Permission(permission: str) -> Any:
    """`caller: Caller = Permission("kb.read")` in a route signature."""
    return Depends(require(permission))


def _walk(dependant: Any) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep
        yield from _walk(dep)


def dependant_permission(dependant: Any) -> str | None:
    """The permission declared somewhere in a dependency tree, or None."""
    found: set[str] = {
        permission
        for dep in _walk(dependant)
        if (permission := getattr(dep.call, "permission", None))
    }
    if len(found) > 1:
        raise RuntimeError(f"several permissions declared: {sorted(found)}")
    return found.pop() if found else None


@dataclass(frozen=True, slots=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    permission: str | None
    in_schema: bool


def iter_api_routes(routes: Sequence[Any]) -> Iterator[RouteInfo]:
    """Every API route and page of an app, with its full path and declared permission.

    Newer FastAPI keeps included routers as lazy branches; `iter_route_contexts`
    flattens them, with the router's prefix and dependencies applied.
    """
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    for item in flatten(routes) if flatten else routes:
        original = getattr(item, "original_route", item)
        if not isinstance(original, APIRoute):
            continue
        yield RouteInfo(
            path=item.path,
            methods=frozenset(item.methods or ()),
            permission=dependant_permission(item.dependant),
            in_schema=bool(item.include_in_schema),
        )


def check_routes(routes: Sequence[Any]) -> None:
    """Raises when an API route or page declares no permission."""
    missing = [
        f"{sorted(r.methods)} {r.path}" for r in iter_api_routes(routes) if r.permission is None
    ]
    if missing:
        raise RuntimeError(f"routes without a permission: {', '.join(missing)}")


def scope_to_hospital(stmt: Select[Any], model: Any, caller: Caller) -> Select[Any]:
    """Limits a query to the caller's hospital when the caller is bound to one.

    Vendor roles see every hospital; anonymous callers see nothing.
    """
    if caller.is_anonymous:
        return stmt.where(false())
    if caller.role in HOSPITAL_ROLES:
        if not caller.hospital_id:
            return stmt.where(false())
        return stmt.where(model.hospital_id == caller.hospital_id)
    return stmt


def record_cross_hospital_read(
    session: Any, *, caller: Caller, hospital_id: str | None, target: str, ip: str = ""
) -> None:
    """Audits a read of a hospital's record by someone from outside that hospital."""
    if hospital_id is None or caller.hospital_id == hospital_id:
        return
    audit.record(
        session,
        action="ticket.read_cross_hospital",
        actor_user_id=caller.user_id,
        actor_name=caller.username or "",
        actor_role=caller.role,
        hospital_id=hospital_id,
        target=target,
        ip=ip,
    )
