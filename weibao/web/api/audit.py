"""Audit log API for managers and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from weibao.core import audit
from weibao.core.audit import AuditEvent
from weibao.web.deps import Caller, SessionDep
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api", tags=["audit"])


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user_id: int | None
    actor_name: str
    actor_role: str
    hospital_id: str | None
    action: str
    target: str
    ip: str
    detail: dict[str, object]


def _aware(value: datetime | None) -> datetime | None:
    # A time without a zone is read as UTC, the zone the log is kept in.
    if value is not None and value.tzinfo is None:
        from datetime import UTC

        return value.replace(tzinfo=UTC)
    return value


@router.get("/audit", response_model=list[AuditOut], summary="Audit events, newest first")
def list_audit(
    session: SessionDep,
    caller: Caller = Permission("audit.read"),
    actor: Annotated[str | None, Query(max_length=64, description="username")] = None,
    action: Annotated[
        str | None, Query(max_length=64, description='exact action, or a prefix like "auth."')
    ] = None,
    since: Annotated[datetime | None, Query(description="from this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="before this time")] = None,
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEvent]:
    return audit.get_events(
        session=session, actor=actor or None, action=action or None, since=_aware(since),
        until=_aware(until), hospital_id=hospital_id or None, limit=limit,
    )
