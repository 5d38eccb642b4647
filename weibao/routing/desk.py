"""The ticket desk: create, read, move and resolve tickets; every change is an event."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from weibao.core.accounts import Hospital
from weibao.core.db import session_scope, utcnow
from weibao.graph.service import GraphService, TicketResolved
from weibao.kb.models import Article
from weibao.kb.passages import SearchDocument
from weibao.kb.service import KnowledgeBase
from weibao.routing.advice import PlanAdvisor
from weibao.routing.assignment import assign_first_available
from weibao.routing.contracts import targets_from_json
from weibao.routing.errors import Conflict, Forbidden, Invalid, NotFound
from weibao.routing.events import add_event
from weibao.routing.knowledge_loop import (
    draft_article_markdown,
    ticket_document,
    ticket_record,
)
from weibao.routing.lifecycle import check_transition, is_reopen
from weibao.routing.matching import TIER_RANK, TicketNeeds, rank_candidates
from weibao.routing.models import (
    OPEN_STATUSES,
    STATUSES,
    Comment,
    Contract,
    Engineer,
    Resolution,
    Ticket,
    TicketEvent,
)
from weibao.routing.planning import TicketDraft, TicketPlan, engineer_history, plan_ticket
from weibao.routing.records import engineer_profiles
from weibao.routing.sla import SlaClock, SlaStatus
from weibao.routing.triage import TriageResult

MAX_TEXT = 10_000


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose tickets a caller may touch: one hospital, or all when hospital_id is None."""

    hospital_id: str | None = None


ALL = Scope()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _pauses(stored: Sequence[Sequence[str | None]]) -> list[tuple[datetime, datetime | None]]:
    """The SLA clock's pauses from the stored [paused_at, resumed_at | null] ISO strings."""
    pauses = []
    for paused_at, resumed_at in stored:
        if paused_at is None:
            raise ValueError("a stored pause has no start")
        pauses.append((datetime.fromisoformat(paused_at), _parse_iso(resumed_at)))
    return pauses


class TicketDesk:
    def __init__(
        self, kb: KnowledgeBase, sessions: sessionmaker[Session], keep_original: bool = False,
        graph: GraphService | None = None,
    ) -> None:
        self.kb = kb
        self.sessions = sessions
        # The graph service: engineers' history for assignment, resolved tickets' fixes.
        self.graph = graph if graph is not None else kb.graph
        # Unmasked text is kept only when the settings allow it (see original_text).
        self.keep_original = keep_original
        # Domains above routing that advise on new tickets, registered by the wiring.
        self.advisors: list[PlanAdvisor] = []

    # ---- planning and creation -----------------------------------------------------
    def plan(self, draft: TicketDraft) -> TicketPlan:
        with session_scope(self.sessions) as session:
            return plan_ticket(session, self.kb, draft, advisors=self.advisors)

    def create(self, draft: TicketDraft, actor: str = "system") -> tuple[Ticket, TicketPlan]:
        session = self.sessions()
        try:
            plan = plan_ticket(session, self.kb, draft, advisors=self.advisors)
            ticket = Ticket(
                code=f"tmp-{hashlib.sha1(repr((draft, utcnow())).encode()).hexdigest()[:20]}",
                hospital_id=plan.hospital.id,
                reporter_user_id=draft.reporter_user_id,
                reporter_name=draft.reporter_name[:100],
                reporter_role=draft.reporter_role[:16],
                channel=draft.channel,
                title=plan.masked_title,
                description=plan.masked_description,
                description_original=draft.description if self.keep_original else None,
                system=plan.triage.system,
                symptom=plan.triage.symptom,
                department=plan.triage.department,
                priority=plan.priority,
                triage=plan.triage.as_dict(),
                needs_onsite=plan.needs_onsite,
                status="new",
                tier=plan.contract.tier,
                timezone=plan.hospital.timezone,
                created_at=plan.created_at,
                updated_at=plan.created_at,
                response_due=plan.response_due,
                resolution_due=plan.resolution_due,
                alert_key=draft.alert_key,
                contract_version_id=plan.terms.version_id,
                sla_targets=plan.terms.stored_targets or None,
                tried_articles=list(dict.fromkeys(draft.tried_articles)),
            )
            session.add(ticket)
            session.flush()
            ticket.code = f"T-{plan.created_at.year}-{ticket.id:05d}"
            add_event(
                session, ticket, "created", actor,
                {"channel": draft.channel, "triage": {k: v for k, v in plan.triage.as_dict().items()
                                                      if k != "evidence"}},
            )
            if draft.priority and draft.priority != plan.triage.priority:
                add_event(
                    session, ticket, "priority_overridden", actor,
                    {"from": plan.triage.priority, "to": draft.priority},
                    reason=draft.priority_reason,
                )
            plan.assignee = assign_first_available(session, ticket, plan.candidates, actor)
            session.refresh(ticket)
            # Read in this session: the caller shows the new ticket without opening another.
            plan.events = list(session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
            ))
            session.expunge(ticket)
            return ticket, plan
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    # ---- reading -------------------------------------------------------------------
    def _load(self, session: Session, code: str, scope: Scope, lock: bool = False) -> Ticket:
        query = select(Ticket).where(Ticket.code == code)
        if scope.hospital_id is not None:
            query = query.where(Ticket.hospital_id == scope.hospital_id)
        if lock:
            query = query.with_for_update()
        ticket = session.scalar(query)
        if ticket is None:
            raise NotFound(f"ticket {code!r} not found", "ticket")
        return ticket

    def get(self, code: str, scope: Scope = ALL) -> Ticket:
        with session_scope(self.sessions) as session:
            return self._load(session, code, scope)

    def original_text(self, ticket: Ticket, hospital_id: str | None, user_id: int | None) -> str | None:
        """The unmasked description, for the ticket's own hospital and its assignee only."""
        if ticket.description_original is None:
            return None
        if hospital_id is not None and hospital_id == ticket.hospital_id:
            return ticket.description_original
        if user_id is not None and ticket.assignee_id:
            with session_scope(self.sessions) as session:
                engineer = session.get(Engineer, ticket.assignee_id)
                if engineer is not None and engineer.user_id == user_id:
                    return ticket.description_original
        return None

    def events(self, ticket: Ticket) -> list[TicketEvent]:
        with session_scope(self.sessions) as session:
            return list(
                session.scalars(
                    select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
                )
            )

    def comments(self, ticket: Ticket) -> list[Comment]:
        with session_scope(self.sessions) as session:
            return list(
                session.scalars(select(Comment).where(Comment.ticket_id == ticket.id).order_by(Comment.id))
            )

    def case(self, code: str) -> SearchDocument:
        """A resolved ticket as everyone may read it: exactly the text that is indexed —
        masked problem, root cause and steps; no hospital, reporter or history."""
        with session_scope(self.sessions) as session:
            row = session.execute(
                select(Ticket, Resolution).join(Resolution, Resolution.ticket_id == Ticket.id)
                .where(Ticket.code == code)
            ).first()
            if row is None:
                raise NotFound(f"no resolved ticket {code!r}", "code")
            return ticket_document(*row)

    def resolution(self, ticket: Ticket) -> Resolution | None:
        with session_scope(self.sessions) as session:
            return session.scalar(select(Resolution).where(Resolution.ticket_id == ticket.id))

    def list(
        self,
        scope: Scope = ALL,
        hospital_id: str | None = None,
        status: str | None = None,
        assignee: str | None = None,
        unassigned: bool = False,
        limit: int = 100,
    ) -> list[Ticket]:
        if status is not None and status not in (*STATUSES, "open"):
            raise Invalid(f"status must be one of {', '.join((*STATUSES, 'open'))}", "status")
        with session_scope(self.sessions) as session:
            query = select(Ticket).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
            if scope.hospital_id is not None:
                query = query.where(Ticket.hospital_id == scope.hospital_id)
            if hospital_id:
                query = query.where(Ticket.hospital_id == hospital_id)
            if status == "open":
                query = query.where(Ticket.status.in_(OPEN_STATUSES))
            elif status:
                query = query.where(Ticket.status == status)
            if assignee:
                query = query.where(Ticket.assignee_id == assignee)
            if unassigned:
                query = query.where(Ticket.assignee_id.is_(None), Ticket.status.in_(OPEN_STATUSES))
            return list(session.scalars(query))

    def engineer(self, engineer_id: str) -> Engineer:
        with session_scope(self.sessions) as session:
            engineer = session.get(Engineer, engineer_id)
            if engineer is None:
                raise NotFound(f"engineer {engineer_id!r} not found", "engineer")
            return engineer

    def engineers(self) -> builtins.list[Engineer]:  # `list` here is the method above
        with session_scope(self.sessions) as session:
            return list(session.scalars(select(Engineer).order_by(Engineer.id)))

    def engineers_by_id(self, ids: Iterable[str]) -> dict[str, Engineer]:
        """The engineers with these ids in one query (a list's assignees: not one each)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        with session_scope(self.sessions) as session:
            query = select(Engineer).where(Engineer.id.in_(wanted))
            return {engineer.id: engineer for engineer in session.scalars(query)}

    def link_account(self, engineer_id: str, user_id: int | None) -> Engineer:
        """Links a vendor account to an engineer profile (None unlinks): the account then
        sees that engineer's queue and may resolve the tickets assigned to it."""
        from weibao.core.accounts import User

        with session_scope(self.sessions) as session:
            engineer = session.get(Engineer, engineer_id)
            if engineer is None:
                raise NotFound(f"engineer {engineer_id!r} not found", "engineer_id")
            if user_id is not None:
                user = session.get(User, user_id)
                if user is None:
                    raise NotFound("no such user", "username")
                if user.role not in ("engineer", "admin"):
                    raise Invalid(f"a {user.role} account cannot be an engineer", "username")
                holder = session.scalar(select(Engineer).where(Engineer.user_id == user_id))
                if holder is not None and holder.id != engineer_id:
                    raise Conflict(f"the account is already linked to {holder.id}", "username")
            engineer.user_id = user_id
            session.flush()
            return engineer

    # ---- SLA -------------------------------------------------------------------------
    @staticmethod
    def clock(ticket: Ticket) -> SlaClock:
        return SlaClock(
            created_at=ticket.created_at,
            priority=ticket.priority,
            coverage=ticket.tier,
            tz=ticket.timezone,
            pauses=_pauses(ticket.pauses or []),
            first_response_at=ticket.first_response_at,
            resolved_at=ticket.resolved_at,
            targets=targets_from_json(ticket.sla_targets),
        )

    def sla_status(self, ticket: Ticket, now: datetime | None = None) -> SlaStatus:
        return self.clock(ticket).status(now or utcnow())

    def _refresh_due(self, ticket: Ticket, now: datetime) -> None:
        status = self.clock(ticket).status(now)
        ticket.response_due = status.response.due_at
        ticket.resolution_due = status.resolution.due_at

    # ---- changes ---------------------------------------------------------------------
    def transition(
        self, code: str, target: str, actor: str, reason: str = "", scope: Scope = ALL,
        now: datetime | None = None,
    ) -> Ticket:
        if target not in STATUSES:
            raise Invalid(f"status must be one of {', '.join(STATUSES)}", "status")
        now = now or utcnow()
        with session_scope(self.sessions) as session:
            ticket = self._load(session, code, scope, lock=True)
            current = ticket.status
            check_transition(current, target)
            if target == "assigned" and ticket.assignee_id is None:
                raise Conflict("cannot mark assigned without an assignee; use reassign", "status")
            if target == "resolved":
                raise Conflict("resolve through /resolve with a root cause and fix steps", "status")
            if current == "pending_customer":
                ticket.pauses = [[a, b or now.isoformat()] for a, b in ticket.pauses or []]
            if target == "pending_customer":
                ticket.pauses = [*(ticket.pauses or []), [now.isoformat(), None]]
            if target == "in_progress" and ticket.first_response_at is None:
                ticket.first_response_at = now
            if is_reopen(current, target):
                ticket.resolved_at = None
                ticket.closed_at = None
            if target == "closed":
                ticket.closed_at = now
            ticket.status = target
            ticket.updated_at = now
            self._refresh_due(ticket, now)
            kind = "reopened" if is_reopen(current, target) else "status_changed"
            add_event(session, ticket, kind, actor, {"from": current, "to": target}, reason)
            session.flush()
            return ticket

    def comment(
        self, code: str, author: str, body: str, scope: Scope = ALL, counts_as_response: bool = False,
        internal: bool = False,
    ) -> Comment:
        """A comment; `internal` notes stay inside the vendor and answer nobody, so they
        never count as the first response."""
        if not body.strip():
            raise Invalid("body must not be empty", "body")
        if len(body) > MAX_TEXT:
            raise Invalid(f"body must be at most {MAX_TEXT} characters", "body")
        with session_scope(self.sessions) as session:
            ticket = self._load(session, code, scope)
            comment = Comment(
                ticket_id=ticket.id, hospital_id=ticket.hospital_id, author=author[:100], body=body,
                internal=internal,
            )
            session.add(comment)
            if counts_as_response and not internal and ticket.first_response_at is None:
                ticket.first_response_at = utcnow()
            add_event(session, ticket, "commented", author, {"internal": True} if internal else {})
            session.flush()
            return comment

    def resolve(
        self,
        code: str,
        actor: str,
        root_cause: str,
        fix_steps: Sequence[str],
        fix_ids: Sequence[str] = (),
        article_ids: Sequence[str] = (),
        resolved_by: str | None = None,
        scope: Scope = ALL,
        now: datetime | None = None,
        user_id: int | None = None,
        may_resolve_any: bool = True,
    ) -> Resolution:
        """Resolves the ticket and feeds the knowledge loop.

        A signed-in caller (`user_id`) is credited through the engineer profile linked to
        their account; unless `may_resolve_any` (admins, the operator's CLI), only the
        ticket's assignee may resolve it. `resolved_by` names the engineer for callers
        without an account (the CLI, imports); it defaults to the assignee there.
        """
        root_cause = root_cause.strip()
        steps = [s.strip() for s in fix_steps if s and s.strip()]
        if not root_cause:
            raise Invalid("root_cause is required to resolve", "root_cause")
        if not steps:
            raise Invalid("fix_steps needs at least one step", "fix_steps")
        if len(root_cause) > MAX_TEXT or sum(map(len, steps)) > MAX_TEXT:
            raise Invalid(f"root_cause and fix_steps are limited to {MAX_TEXT} characters", "fix_steps")
        now = now or utcnow()
        with session_scope(self.sessions) as session:
            ticket = self._load(session, code, scope, lock=True)
            check_transition(ticket.status, "resolved")
            engineer = self._resolver(session, ticket, user_id, may_resolve_any, resolved_by)
            engineer_id = engineer.id if engineer else None
            if ticket.status == "pending_customer":
                ticket.pauses = [[a, b or now.isoformat()] for a, b in ticket.pauses or []]
            # A reopened ticket resolved again replaces its earlier (failed) resolution.
            resolution = session.scalar(select(Resolution).where(Resolution.ticket_id == ticket.id))
            if resolution is None:
                resolution = Resolution(ticket_id=ticket.id, hospital_id=ticket.hospital_id)
                session.add(resolution)
            resolution.root_cause = root_cause
            resolution.fix_steps = steps
            resolution.fix_ids = list(fix_ids)
            resolution.article_ids = list(article_ids)
            resolution.resolved_by = engineer_id
            resolution.resolved_by_user_id = user_id
            resolution.resolved_by_actor = actor[:100]
            resolution.at = now
            previous = ticket.status
            ticket.status = "resolved"
            ticket.resolved_at = now
            ticket.first_response_at = ticket.first_response_at or now
            ticket.updated_at = now
            self._refresh_due(ticket, now)
            add_event(session, ticket, "resolved", actor,
                      {"from": previous, "resolved_by": engineer_id, "fix_ids": list(fix_ids)})
            session.flush()
            record = ticket_record(ticket, resolution, engineer.name if engineer else None)
            # The case's passages commit with the resolution: a worker killed after the
            # commit leaves nothing resolved but unsearchable (every index applies the log).
            self.kb.write_documents(session, [ticket_document(ticket, resolution)])
        # The knowledge loop: searchable here at once, in the graph, evidence for the engineer.
        self.kb.catch_up()
        if self.graph is not None and not self.graph.listening:
            # A listening graph service has had the ticket from catch_up already.
            self.graph.apply(TicketResolved(record))
        return resolution

    @staticmethod
    def _resolver(
        session: Session, ticket: Ticket, user_id: int | None, may_resolve_any: bool,
        resolved_by: str | None,
    ) -> Engineer | None:
        """The engineer credited with the fix; raises when the caller may not resolve."""
        if user_id is None:
            engineer_id = resolved_by or ticket.assignee_id
            engineer = session.get(Engineer, engineer_id) if engineer_id else None
            if engineer_id and engineer is None:
                raise NotFound(f"engineer {engineer_id!r} not found", "resolved_by")
            return engineer
        own = session.scalar(select(Engineer).where(Engineer.user_id == user_id))
        if may_resolve_any:
            return own  # an admin without an engineer profile earns no engineer credit
        if own is None:
            raise Forbidden(
                "your account is not linked to an engineer profile; ask an admin to link it",
                "assignee",
            )
        if own.id != ticket.assignee_id:
            raise Forbidden(
                "only the ticket's assignee may resolve it; reassign it to yourself first",
                "assignee",
            )
        return own

    def reassign(
        self, code: str, engineer_id: str, actor: str, reason: str = "", scope: Scope = ALL,
    ) -> Ticket:
        with session_scope(self.sessions) as session:
            ticket = self._load(session, code, scope, lock=True)
            if ticket.status not in OPEN_STATUSES:
                raise Conflict(f"ticket is {ticket.status}; reopen it first", "status")
            engineer = session.get(Engineer, engineer_id)
            if engineer is None:
                raise NotFound(f"engineer {engineer_id!r} not found", "engineer_id")
            previous = ticket.assignee_id
            ticket.assignee_id = engineer.id
            if ticket.status == "new":
                ticket.status = "assigned"
            ticket.updated_at = utcnow()
            add_event(session, ticket, "reassigned", actor,
                      {"from": previous, "to": engineer.id}, reason)
            session.flush()
            return ticket

    def escalate(self, code: str, actor: str, reason: str = "", scope: Scope = ALL,
                 now: datetime | None = None) -> Ticket:
        """Hands the ticket to the best engineer of a higher tier, else to the service manager."""
        now = now or utcnow()
        with session_scope(self.sessions) as session:
            ticket = self._load(session, code, scope, lock=True)
            if ticket.status not in OPEN_STATUSES:
                raise Conflict(f"ticket is {ticket.status}; only open tickets escalate", "status")
            self._escalate(session, ticket, actor, reason, now)
            session.flush()
            return ticket

    def _escalate(self, session: Session, ticket: Ticket, actor: str, reason: str, now: datetime) -> None:
        current = session.get(Engineer, ticket.assignee_id) if ticket.assignee_id else None
        floor = TIER_RANK.get(current.tier, 0) if current else 0
        contract = session.get(Contract, ticket.hospital_id)
        hospital = session.get(Hospital, ticket.hospital_id)
        needs = TicketNeeds(
            hospital_id=ticket.hospital_id, region=hospital.region if hospital else "",
            system=ticket.system, symptom=ticket.symptom, department=ticket.department,
            priority=ticket.priority, needs_onsite=ticket.needs_onsite, response_due=now,
            dedicated=frozenset(contract.dedicated_engineers if contract else []),
        )
        triage = TriageResult(ticket.system, ticket.symptom, ticket.department, ticket.priority, "")
        ranked = rank_candidates(engineer_profiles(session), needs, engineer_history(self.kb, triage, []))
        higher = [c for c in ranked if c.excluded_because is None and TIER_RANK.get(c.tier, 0) > floor]
        ticket.escalation_level += 1
        ticket.updated_at = now
        if higher:
            target = higher[0]
            add_event(session, ticket, "escalated", actor,
                      {"from": ticket.assignee_id, "to": target.engineer_id, "tier": target.tier,
                       "level": ticket.escalation_level}, reason)
            ticket.assignee_id = target.engineer_id
            if ticket.status == "new":
                ticket.status = "assigned"
        else:
            add_event(session, ticket, "escalated", actor,
                      {"from": ticket.assignee_id, "to": "service_manager",
                       "level": ticket.escalation_level}, reason or "no higher-tier engineer available")

    def sla_check(self, now: datetime | None = None) -> builtins.list[dict[str, object]]:
        """Evaluates open tickets; warnings and breaches become events, a breach escalates."""
        now = now or utcnow()
        changes: list[dict[str, object]] = []
        with session_scope(self.sessions) as session:
            tickets = session.scalars(
                select(Ticket).where(Ticket.status.in_(OPEN_STATUSES)).order_by(Ticket.id)
            ).all()
            for ticket in tickets:
                status = self.clock(ticket).status(now)
                for target, state_attr in (("response", "response_state"), ("resolution", "resolution_state")):
                    new_state = getattr(status, target).state
                    old_state = getattr(ticket, state_attr)
                    if new_state == old_state or (old_state == "breached"):
                        continue
                    setattr(ticket, state_attr, new_state)
                    kind = "sla_breached" if new_state == "breached" else f"sla_{new_state}"
                    add_event(session, ticket, kind, "sla-check",
                              {"target": target, "percent": round(getattr(status, target).percent_used, 1),
                               "due": _iso(getattr(status, target).due_at)})
                    changes.append({"ticket": ticket.code, "target": target, "state": new_state})
                    if new_state == "breached":
                        self._escalate(session, ticket, "sla-check", f"{target} target breached", now)
        return changes

    def promote(self, code: str, actor: str, scope: Scope = ALL) -> Article:
        """Turns a resolved ticket into a draft article for review (not searchable yet)."""
        with session_scope(self.sessions) as session:
            ticket = self._load(session, code, scope)
            resolution = session.scalar(select(Resolution).where(Resolution.ticket_id == ticket.id))
            if resolution is None:
                raise Conflict("only a resolved ticket can become an article", "status")
            article_id = f"draft-{ticket.code.lower()}"
            if session.get(Article, article_id) is not None:
                raise Conflict(f"draft {article_id} already exists", "ticket")
            body = draft_article_markdown(ticket, resolution)
            article = Article(
                id=article_id, hospital_id=None, title=ticket.title,
                systems=[ticket.system] if ticket.system else [],
                symptoms=[ticket.symptom] if ticket.symptom else [],
                departments=[ticket.department] if ticket.department else [],
                fixes=[{"id": f, "title": f} for f in resolution.fix_ids], audience="it_staff",
                language="zh", updated=date.today(), body=body, status="draft",
                source_path=None, content_hash=hashlib.sha256(body.encode()).hexdigest(),
            )
            session.add(article)
            add_event(session, ticket, "promoted", actor, {"article": article_id})
            session.flush()
            return article
