"""What every estate service shares: who acts, the clock, version ordering, the audit hook."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from weibao.core import audit
from weibao.core.accounts import HOSPITAL_ROLES
from weibao.core.db import utcnow

# Tests pass a fake clock; expiry and windows are judged against it.
Clock = Callable[[], datetime]
VENDOR_ROLES = ("engineer", "manager", "admin")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: the web layer and the CLI build this from their caller."""

    username: str
    role: str
    hospital_id: str | None = None
    user_id: int | None = None
    ip: str = ""

    @property
    def hospital_bound(self) -> bool:
        return self.role in HOSPITAL_ROLES

    def sees(self, hospital_id: str) -> bool:
        """Hospital-bound people see their own hospital; the vendor's roles see all."""
        return not self.hospital_bound or self.hospital_id == hospital_id


SYSTEM_ACTOR = Actor(username="system", role="admin")


def default_clock() -> datetime:
    return utcnow()


def version_key(version: str) -> tuple[int, ...]:
    """"v5.3.10" > "5.3.2": the numbers in the version, compared as numbers."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def record(
    session: Session, actor: Actor, action: str, *, hospital_id: str | None, target: str,
    detail: dict[str, object] | None = None,
) -> None:
    audit.record(
        session, action=action, actor_user_id=actor.user_id, actor_name=actor.username,
        actor_role=actor.role, hospital_id=hospital_id, target=target, ip=actor.ip,
        detail=detail,
    )


def record_history(at: datetime, actor: Actor, status: str, reason: str = "") -> dict[str, object]:
    """One step in a record's own history (a JSON list on the record)."""
    return {"at": at.isoformat(), "actor": actor.username, "role": actor.role, "status": status,
            "reason": reason.strip()[:500]}
