"""Ticket lists for people: whose tickets, filtered and paged, most urgent first.

`TicketFilter` says who is looking (the reporter, an engineer profile, a hospital, or
the whole desk) and what they narrowed it to; `find` returns one page and the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from weibao.core.db import utcnow
from weibao.routing.errors import Invalid
from weibao.routing.models import OPEN_STATUSES, PRIORITIES, STATUSES, Ticket

PAGE_SIZE = 25
STATUS_FILTERS = ("open", "all", *STATUSES)


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """Which tickets; None means no restriction on that field."""

    hospital_id: str | None = None  # the caller's scope or a chosen hospital
    reporter_user_id: int | None = None
    assignee_id: str | None = None
    status: str = "open"  # "open", "all" or one status
    priority: str | None = None
    system: str | None = None
    breached: bool = False
    page: int = 1


@dataclass(frozen=True, slots=True)
class TicketPage:
    tickets: list[Ticket]
    total: int
    page: int
    pages: int


def check(filters: TicketFilter) -> None:
    """Invalid naming the field for a value no ticket can have."""
    if filters.status not in STATUS_FILTERS:
        raise Invalid(f"status must be one of {', '.join(STATUS_FILTERS)}", "status")
    if filters.priority is not None and filters.priority not in PRIORITIES:
        raise Invalid(f"priority must be one of {', '.join(PRIORITIES)}", "priority")
    if filters.page < 1:
        raise Invalid("page must be 1 or more", "page")


def _where(query: Select[tuple[Ticket]], filters: TicketFilter, now: datetime) -> Select[tuple[Ticket]]:
    if filters.hospital_id is not None:
        query = query.where(Ticket.hospital_id == filters.hospital_id)
    if filters.reporter_user_id is not None:
        query = query.where(Ticket.reporter_user_id == filters.reporter_user_id)
    if filters.assignee_id is not None:
        query = query.where(Ticket.assignee_id == filters.assignee_id)
    if filters.status == "open":
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    elif filters.status != "all":
        query = query.where(Ticket.status == filters.status)
    if filters.priority:
        query = query.where(Ticket.priority == filters.priority)
    if filters.system:
        query = query.where(Ticket.system == filters.system)
    if filters.breached:
        # The SLA check records breaches every minute; an open ticket past its due time
        # and not yet checked counts too.
        query = query.where(or_(
            Ticket.response_state == "breached",
            Ticket.resolution_state == "breached",
            (Ticket.status.in_(OPEN_STATUSES)) & (Ticket.resolution_due < now),
        ))
    return query


def find(session: Session, filters: TicketFilter, page_size: int = PAGE_SIZE) -> TicketPage:
    """One page of matching tickets: open before closed, then by priority and due time."""
    check(filters)
    now = utcnow()
    total = session.scalar(_where(select(func.count()).select_from(Ticket), filters, now)) or 0  # type: ignore[arg-type]
    pages = max(1, -(-total // page_size))
    page = min(filters.page, pages)
    is_open = case((Ticket.status.in_(OPEN_STATUSES), 0), else_=1)
    query = _where(select(Ticket), filters, now).order_by(
        is_open, Ticket.priority, Ticket.resolution_due, Ticket.id.desc()
    ).offset((page - 1) * page_size).limit(page_size)
    return TicketPage(list(session.scalars(query)), total, page, pages)
