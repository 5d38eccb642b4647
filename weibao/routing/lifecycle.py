"""The ticket lifecycle: which status may follow which."""

from __future__ import annotations

from weibao.routing.errors import Conflict

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("assigned", "in_progress", "closed"),
    "assigned": ("in_progress", "pending_customer", "resolved"),
    "in_progress": ("pending_customer", "resolved"),
    "pending_customer": ("in_progress", "resolved"),
    "resolved": ("closed", "in_progress"),  # back to in_progress is a reopen
    "closed": ("in_progress",),  # reopen
}


def check_transition(current: str, target: str) -> None:
    allowed = TRANSITIONS.get(current, ())
    if target not in allowed:
        raise Conflict(
            f"cannot go from {current} to {target}; allowed: {', '.join(allowed) or 'none'}",
            field="status",
        )


def is_reopen(current: str, target: str) -> bool:
    return current in ("resolved", "closed") and target == "in_progress"
