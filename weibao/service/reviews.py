"""Quarterly service reviews: the quarter's report plus action items agreed with the hospital.

An item stays on every later review of the hospital until it is done or dropped (carried
forward); the review's export is the quarterly report with its items appended.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from weibao.core.accounts import Hospital
from weibao.routing.errors import Conflict, Invalid, NotFound
from weibao.service.models import ACTION_STATUSES, ActionItem, ServiceReview
from weibao.service.reports import Period, service_report

OPEN_ITEM_STATUSES = ("open", "in_progress")


def create(*, session: Session, hospital_id: str, quarter: str, held_on: dt.date | None, notes: str,
           actor: str) -> ServiceReview:
    """A review of `quarter` (YYYY-Qn); one per hospital and quarter."""
    if session.get(Hospital, hospital_id) is None:
        raise NotFound(f"hospital {hospital_id!r} not found", "hospital_id")
    period = Period.parse(quarter)
    if period.months != 3:
        raise Invalid("quarter must be YYYY-Qn", "quarter")
    if len(notes) > 5000:
        raise Invalid("notes must be at most 5000 characters", "notes")
    exists = session.scalar(select(ServiceReview.id).where(
        ServiceReview.hospital_id == hospital_id, ServiceReview.quarter == period.label))
    if exists is not None:
        raise Conflict(f"a review of {period.label} exists already", "quarter")
    review = ServiceReview(hospital_id=hospital_id, quarter=period.label, held_on=held_on,
                           notes=notes.strip(), created_by=actor[:100])
    session.add(review)
    session.flush()
    return review


def get(*, session: Session, review_id: int) -> ServiceReview | None:
    return session.get(ServiceReview, review_id)


def get_all(*, session: Session, hospital_id: str | None) -> list[ServiceReview]:
    stmt = select(ServiceReview).order_by(ServiceReview.hospital_id, ServiceReview.quarter.desc())
    if hospital_id is not None:
        stmt = stmt.where(ServiceReview.hospital_id == hospital_id)
    return list(session.scalars(stmt))


def add_item(*, session: Session, review: ServiceReview, title: str, owner: str, due: dt.date | None) -> ActionItem:
    if not title.strip() or len(title) > 300:
        raise Invalid("title must be 1 to 300 characters", "title")
    if len(owner) > 100:
        raise Invalid("owner must be at most 100 characters", "owner")
    item = ActionItem(review_id=review.id, hospital_id=review.hospital_id, title=title.strip(),
                      owner=owner.strip(), due=due, status="open")
    session.add(item)
    session.flush()
    return item


def set_status(*, session: Session, item_id: int, status: str, hospital_id: str | None = None) -> ActionItem:
    if status not in ACTION_STATUSES:
        raise Invalid(f"status must be one of {', '.join(ACTION_STATUSES)}", "status")
    item = session.get(ActionItem, item_id)
    if item is None or (hospital_id is not None and item.hospital_id != hospital_id):
        raise NotFound(f"action item {item_id} not found", "item_id")
    item.status = status
    item.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    return item


def items_of(*, session: Session, review: ServiceReview) -> list[dict[str, Any]]:
    """The review's own items, then open items of earlier reviews (carried forward)."""
    earlier = select(ServiceReview.id, ServiceReview.quarter).where(
        ServiceReview.hospital_id == review.hospital_id, ServiceReview.quarter < review.quarter)
    quarters = dict(session.execute(earlier).all())
    rows = list(session.scalars(select(ActionItem).where(ActionItem.review_id == review.id).order_by(ActionItem.id)))
    carried = list(session.scalars(select(ActionItem).where(
        ActionItem.review_id.in_(list(quarters)), ActionItem.status.in_(OPEN_ITEM_STATUSES)
    ).order_by(ActionItem.id))) if quarters else []
    out = []
    for item in [*rows, *carried]:
        out.append({
            "id": item.id, "title": item.title, "owner": item.owner,
            "due": item.due.isoformat() if item.due else None, "status": item.status,
            "from_quarter": quarters.get(item.review_id, review.quarter),
            "carried": item.review_id != review.id,
        })
    return out


def review_payload(*, session: Session, review: ServiceReview, with_report: bool = True) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": review.id, "hospital_id": review.hospital_id, "quarter": review.quarter,
        "held_on": review.held_on.isoformat() if review.held_on else None, "notes": review.notes,
        "action_items": items_of(session=session, review=review),
    }
    if with_report:
        report = service_report(session=session, hospital_id=review.hospital_id,
                                period=Period.parse(review.quarter))
        report["action_items"] = payload["action_items"]
        payload["report"] = report
    return payload
