"""Remote access under the hospital's control: an engineer asks, that hospital's IT (or an
admin) decides, the grant is time-boxed and revocable, the bastion host checks it, and
every step is in the audit log (actions `remote_access.*`).

Break-glass: a P1 ticket at a hospital with 7x24 (premium) cover may be granted at once,
and the grant waits in a review list until a manager or admin has looked at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from weibao.core.accounts import Hospital
from weibao.core.db import session_scope
from weibao.estate.common import Actor, Clock, default_clock, record
from weibao.estate.models import (
    ACCESS_METHODS,
    DEFAULT_MAX_MINUTES,
    AccessPolicy,
    AccessRequest,
    ChangeRequest,
)
from weibao.graph.taxonomy import SYSTEMS
from weibao.notify.models import NotifyChannel, OutboxMessage
from weibao.routing.errors import Conflict, Forbidden, Invalid, NotFound
from weibao.routing.models import Contract, Engineer, Ticket

MAX_PURPOSE = 2000
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class AccessAsk:
    hospital_id: str
    system: str
    purpose: str
    minutes: int
    method: str = "bastion"
    ticket_code: str | None = None
    change_id: int | None = None
    break_glass: bool = False


@dataclass(frozen=True, slots=True)
class CheckAnswer:
    allowed: bool
    expires_at: datetime | None
    request_id: int | None = None


def _is_decider(actor: Actor, hospital_id: str) -> bool:
    """Only that hospital's IT, or an admin, decides over its systems."""
    if actor.role == "admin":
        return True
    return actor.role == "hospital_it" and actor.hospital_id == hospital_id


class RemoteAccess:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = default_clock) -> None:
        self.sessions = sessions
        self.clock = clock

    # ---- policy ------------------------------------------------------------------------
    @staticmethod
    def policy(session: Session, hospital_id: str) -> AccessPolicy:
        return session.get(AccessPolicy, hospital_id) or AccessPolicy(
            hospital_id=hospital_id, max_minutes=DEFAULT_MAX_MINUTES, contact=""
        )

    def set_policy(self, actor: Actor, hospital_id: str, max_minutes: int, contact: str = "") -> AccessPolicy:
        if not _is_decider(actor, hospital_id):
            raise Forbidden("only the hospital's IT or an admin sets its remote-access rules")
        if not 1 <= max_minutes <= 24 * 60:
            raise Invalid("max_minutes must be between 1 and 1440", "max_minutes")
        with session_scope(self.sessions) as session:
            if session.get(Hospital, hospital_id) is None:
                raise NotFound(f"hospital {hospital_id!r} not found", "hospital_id")
            policy = session.get(AccessPolicy, hospital_id)
            if policy is None:
                policy = AccessPolicy(hospital_id=hospital_id)
                session.add(policy)
            policy.max_minutes = max_minutes
            policy.contact = contact[:100]
            session.flush()
            session.expunge(policy)
            return policy

    # ---- request -----------------------------------------------------------------------
    def request(self, actor: Actor, ask: AccessAsk) -> AccessRequest:
        """A pending request (or, break-glass, an immediate grant) by the actor's engineer profile."""
        now = self.clock()
        with session_scope(self.sessions) as session:
            engineer = session.scalar(select(Engineer).where(Engineer.user_id == actor.user_id)) \
                if actor.user_id is not None else None
            if engineer is None:
                raise Forbidden("your account is not linked to an engineer profile")
            hospital = session.get(Hospital, ask.hospital_id)
            if hospital is None:
                raise Invalid(f"no hospital {ask.hospital_id!r}", "hospital_id")
            if ask.system not in SYSTEMS:
                raise Invalid(f"system must be one of {', '.join(SYSTEMS)}", "system")
            if not ask.purpose.strip():
                raise Invalid("purpose must not be empty", "purpose")
            if len(ask.purpose) > MAX_PURPOSE:
                raise Invalid(f"purpose must be at most {MAX_PURPOSE} characters", "purpose")
            if ask.method not in ACCESS_METHODS:
                raise Invalid(f"method must be one of {', '.join(ACCESS_METHODS)}", "method")
            policy = self.policy(session, hospital.id)
            if not 1 <= ask.minutes <= policy.max_minutes:
                raise Invalid(
                    f"minutes must be between 1 and the hospital's maximum of {policy.max_minutes}",
                    "minutes",
                )
            ticket = None
            if ask.ticket_code:
                ticket = session.scalar(select(Ticket).where(Ticket.code == ask.ticket_code))
                if ticket is None or ticket.hospital_id != hospital.id:
                    raise Invalid(f"no ticket {ask.ticket_code!r} at this hospital", "ticket_id")
            if ask.change_id is not None:
                change = session.get(ChangeRequest, ask.change_id)
                if change is None or change.hospital_id != hospital.id:
                    raise Invalid(f"no change {ask.change_id} at this hospital", "change_id")
            if ask.break_glass:
                contract = session.get(Contract, hospital.id)
                if ticket is None or ticket.priority != "P1":
                    raise Invalid("break-glass needs a P1 ticket of this hospital", "break_glass")
                if contract is None or contract.tier != "premium":
                    raise Invalid("break-glass is only for hospitals with 7x24 cover", "break_glass")
            access = AccessRequest(
                hospital_id=hospital.id, engineer_id=engineer.id, requested_by=actor.username[:64],
                system=ask.system, purpose=ask.purpose.strip(), method=ask.method,
                minutes=ask.minutes, ticket_code=ticket.code if ticket else None,
                change_id=ask.change_id, status="pending", break_glass=ask.break_glass,
                created_at=now,
            )
            session.add(access)
            session.flush()
            target = f"remote_access:{access.id}"
            detail: dict[str, object] = {
                "engineer": engineer.id, "system": ask.system, "minutes": ask.minutes,
                "method": ask.method, "ticket": access.ticket_code, "notify": policy.contact or "hospital_it",
            }
            record(session, actor, "remote_access.requested", hospital_id=hospital.id, target=target,
                   detail=detail)
            self._notify_hospital(session, access, engineer.name, now)
            if ask.break_glass:
                access.status = "approved"
                access.decided_by = actor.username[:64]
                access.decided_at = now
                access.decision_reason = "break-glass"
                access.expires_at = now + timedelta(minutes=ask.minutes)
                record(session, actor, "remote_access.break_glass", hospital_id=hospital.id,
                       target=target, detail={"ticket": access.ticket_code,
                                              "expires_at": access.expires_at.isoformat()})
            session.flush()
            session.expunge(access)
            return access

    @staticmethod
    def _notify_hospital(session: Session, access: AccessRequest, engineer_name: str, now: datetime) -> None:
        """Tells the hospital (its notification channels that take every topic) of the
        request; the notify job delivers it with its retries."""
        channels = session.scalars(select(NotifyChannel).where(
            NotifyChannel.owner_kind == "hospital", NotifyChannel.owner_id == access.hospital_id,
            NotifyChannel.active.is_(True)))
        kind = "紧急远程访问（已自动批准，待复核）" if access.break_glass else "远程访问申请"
        for channel in channels:
            if channel.topics:
                continue  # channels limited to ticket topics have not asked for these
            session.add(OutboxMessage(
                event_id=None, channel_id=channel.id, ticket_id=None, hospital_id=access.hospital_id,
                topic="remote_access", subject=f"【维保】{kind}：{engineer_name}",
                body=(f"{engineer_name} 申请远程访问 {SYSTEMS[access.system].zh}，时长 {access.minutes} 分钟。"
                      f"目的：{access.purpose}。请在「远程访问」页面审批。"),
                status="pending", attempts=0, next_attempt_at=now, created_at=now,
            ))

    # ---- decisions ---------------------------------------------------------------------
    def _load(self, session: Session, request_id: int, lock: bool = False) -> AccessRequest:
        query = select(AccessRequest).where(AccessRequest.id == request_id)
        if lock:
            query = query.with_for_update()
        access = session.scalar(query)
        if access is None:
            raise NotFound(f"remote-access request {request_id} not found")
        return access

    def _expire(self, session: Session, access: AccessRequest, now: datetime) -> None:
        """An approved grant past its expiry ends, once, in the log."""
        if access.status == "approved" and access.expires_at is not None and access.expires_at <= now:
            access.status = "expired"
            access.ended_at = access.expires_at
            record(session, Actor(username="system", role="system"), "remote_access.ended",
                   hospital_id=access.hospital_id, target=f"remote_access:{access.id}",
                   detail={"why": "expired", "engineer": access.engineer_id})

    def decide(self, actor: Actor, request_id: int, approve: bool, reason: str = "") -> AccessRequest:
        now = self.clock()
        with session_scope(self.sessions) as session:
            access = self._load(session, request_id, lock=True)
            if not _is_decider(actor, access.hospital_id):
                raise Forbidden("only the hospital's own IT (or an admin) decides on its remote access")
            if access.status != "pending":
                raise Conflict(f"the request is {access.status}, not pending")
            access.decided_by = actor.username[:64]
            access.decided_at = now
            access.decision_reason = reason.strip()[:MAX_REASON]
            if approve:
                access.status = "approved"
                access.expires_at = now + timedelta(minutes=access.minutes)
            else:
                access.status = "denied"
            record(session, actor, "remote_access.approved" if approve else "remote_access.denied",
                   hospital_id=access.hospital_id, target=f"remote_access:{access.id}",
                   detail={"engineer": access.engineer_id, "system": access.system,
                           "expires_at": access.expires_at.isoformat() if access.expires_at else None})
            session.flush()
            session.expunge(access)
            return access

    def revoke(self, actor: Actor, request_id: int, reason: str = "") -> AccessRequest:
        now = self.clock()
        with session_scope(self.sessions) as session:
            access = self._load(session, request_id, lock=True)
            if not _is_decider(actor, access.hospital_id):
                raise Forbidden("only the hospital's own IT (or an admin) revokes its remote access")
            self._expire(session, access, now)
            if access.status != "approved":
                raise Conflict(f"the request is {access.status}: only an active grant can be revoked")
            access.status = "revoked"
            access.revoked_by = actor.username[:64]
            access.ended_at = now
            record(session, actor, "remote_access.revoked", hospital_id=access.hospital_id,
                   target=f"remote_access:{access.id}",
                   detail={"engineer": access.engineer_id, "reason": reason.strip()[:MAX_REASON]})
            if access.started_at is not None:
                record(session, actor, "remote_access.ended", hospital_id=access.hospital_id,
                       target=f"remote_access:{access.id}",
                       detail={"why": "revoked", "engineer": access.engineer_id})
            session.flush()
            session.expunge(access)
            return access

    def review(self, actor: Actor, request_id: int, note: str = "") -> AccessRequest:
        """A manager or admin confirms a break-glass grant after the fact."""
        now = self.clock()
        with session_scope(self.sessions) as session:
            access = self._load(session, request_id, lock=True)
            if not access.break_glass:
                raise Conflict("only break-glass grants are reviewed")
            if access.reviewed_at is not None:
                raise Conflict(f"already reviewed by {access.reviewed_by}")
            access.reviewed_by = actor.username[:64]
            access.reviewed_at = now
            access.review_note = note.strip()[:MAX_REASON]
            record(session, actor, "remote_access.reviewed", hospital_id=access.hospital_id,
                   target=f"remote_access:{access.id}", detail={"note": access.review_note})
            session.flush()
            session.expunge(access)
            return access

    # ---- the bastion host's question -----------------------------------------------------
    def check(self, actor: Actor, hospital_id: str, engineer_id: str, system: str) -> CheckAnswer:
        """May this engineer connect to this system of this hospital now? The first allowed
        answer of a grant is its start; an expired grant ends here if nothing ended it."""
        now = self.clock()
        with session_scope(self.sessions) as session:
            grants = list(session.scalars(
                select(AccessRequest).where(
                    AccessRequest.hospital_id == hospital_id,
                    AccessRequest.engineer_id == engineer_id,
                    AccessRequest.system == system,
                    AccessRequest.status == "approved",
                ).order_by(AccessRequest.expires_at.desc())
            ))
            active = None
            for grant in grants:
                self._expire(session, grant, now)
                if grant.status == "approved" and active is None:
                    active = grant
            if active is None:
                record(session, actor, "remote_access.check_denied", hospital_id=hospital_id,
                       target=f"engineer:{engineer_id}", detail={"system": system})
                return CheckAnswer(False, None)
            if active.started_at is None:
                active.started_at = now
                record(session, actor, "remote_access.started", hospital_id=hospital_id,
                       target=f"remote_access:{active.id}",
                       detail={"engineer": engineer_id, "system": system})
            return CheckAnswer(True, active.expires_at, active.id)

    # ---- lists -------------------------------------------------------------------------
    def expire_due(self) -> int:
        """Ends every grant past its expiry (listing pages call this; so may a scheduler)."""
        now = self.clock()
        with session_scope(self.sessions) as session:
            due = list(session.scalars(select(AccessRequest).where(
                AccessRequest.status == "approved", AccessRequest.expires_at <= now)))
            for access in due:
                self._expire(session, access, now)
            return len(due)

    def list(
        self, actor: Actor, *, status: str | None = None, hospital_id: str | None = None,
        engineer_id: str | None = None, to_review: bool = False, limit: int = 200,
    ) -> list[AccessRequest]:
        self.expire_due()
        query = select(AccessRequest)
        if actor.hospital_bound:
            query = query.where(AccessRequest.hospital_id == (actor.hospital_id or "\0"))
        if hospital_id:
            query = query.where(AccessRequest.hospital_id == hospital_id)
        if status:
            query = query.where(AccessRequest.status == status)
        if engineer_id:
            query = query.where(AccessRequest.engineer_id == engineer_id)
        if to_review:
            query = query.where(AccessRequest.break_glass.is_(True), AccessRequest.reviewed_at.is_(None))
        with session_scope(self.sessions) as session:
            found = list(session.scalars(query.order_by(AccessRequest.id.desc()).limit(limit)))
            session.expunge_all()
            return found

    def get(self, actor: Actor, request_id: int) -> AccessRequest:
        self.expire_due()
        with session_scope(self.sessions) as session:
            access = self._load(session, request_id)
            if not actor.sees(access.hospital_id):
                raise NotFound(f"remote-access request {request_id} not found")
            session.expunge(access)
            return access

    def engineer_of(self, user_id: int | None) -> str | None:
        """The engineer profile linked to an account, if any."""
        if user_id is None:
            return None
        with session_scope(self.sessions) as session:
            return session.scalar(select(Engineer.id).where(Engineer.user_id == user_id))
