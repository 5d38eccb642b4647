"""What creating a ticket would give: triage, SLA, suggested articles, ranked engineers.

Reads only; `weibao triage` prints this as a dry run and ticket creation saves it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from weibao.core.accounts import Hospital
from weibao.core.db import utcnow
from weibao.core.privacy import mask_pii
from weibao.graph.linking import LinkResult, Mention
from weibao.graph.taxonomy import DEPARTMENTS, SYMPTOMS, SYSTEMS
from weibao.kb.search import DocumentHit
from weibao.kb.service import KnowledgeBase
from weibao.kb.understanding import Understanding
from weibao.routing.advice import PlanAdvisor, apply_advice
from weibao.routing.contracts import ContractTerms, terms_at
from weibao.routing.errors import Invalid, NotFound
from weibao.routing.matching import Candidate, History, TicketNeeds, rank_candidates
from weibao.routing.models import PRIORITIES, Contract, Engineer, Resolution, Ticket, TicketEvent
from weibao.routing.records import engineer_profiles
from weibao.routing.sla import TARGETS, SlaStatus, due_times, opening_status
from weibao.routing.triage import DEFAULT_DEPARTMENT, Mentioned, Neighbour, TriageResult, triage

NEIGHBOURS = 10
SUGGESTIONS = 3
MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_TRIED_ARTICLES = 10


@dataclass(slots=True)
class TicketDraft:
    hospital_id: str
    title: str
    description: str = ""
    channel: str = "web"
    reporter_user_id: int | None = None
    reporter_name: str = ""
    reporter_role: str = ""
    priority: str | None = None  # the reporter's override
    priority_reason: str = ""
    needs_onsite: bool | None = None
    at: datetime | None = None
    alert_key: str | None = None  # set for monitoring alerts (see alerts)
    # A finding that already knows what it is about (an inspection item, a trend
    # warning): these win over what triage reads from the text.
    system: str | None = None
    symptom: str | None = None
    # Ids of the articles the reporter read before filing; the caller checks that each
    # exists and is readable (weibao.web.tried_articles), the desk only stores them.
    tried_articles: tuple[str, ...] = ()

    def validate(self) -> None:
        if not self.title.strip():
            raise Invalid("title must not be empty", "title")
        if len(self.title) > MAX_TITLE:
            raise Invalid(f"title must be at most {MAX_TITLE} characters", "title")
        if len(self.description) > MAX_DESCRIPTION:
            raise Invalid(f"description must be at most {MAX_DESCRIPTION} characters", "description")
        if self.priority is not None and self.priority not in PRIORITIES:
            raise Invalid(f"priority must be one of {', '.join(PRIORITIES)}", "priority")
        if self.priority and not self.priority_reason.strip():
            raise Invalid("a priority override needs a reason", "priority_reason")
        if self.at is not None and self.at.tzinfo is None:
            raise Invalid("at must carry a time-zone offset", "at")
        if self.system is not None and self.system not in SYSTEMS:
            raise Invalid(f"system {self.system!r} is not a taxonomy id", "system")
        if self.symptom is not None and self.symptom not in SYMPTOMS:
            raise Invalid(f"symptom {self.symptom!r} is not a taxonomy id", "symptom")
        if len(self.tried_articles) > MAX_TRIED_ARTICLES or any(
            not isinstance(a, str) or not a or len(a) > 64 for a in self.tried_articles
        ):
            raise Invalid(f"tried_articles: at most {MAX_TRIED_ARTICLES} article ids", "tried_articles")


@dataclass(slots=True)
class TicketPlan:
    hospital: Hospital
    contract: Contract
    created_at: datetime
    masked_title: str
    masked_description: str
    triage: TriageResult
    priority: str
    needs_onsite: bool
    response_due: datetime
    resolution_due: datetime
    candidates: list[Candidate]
    suggested_articles: list[dict[str, str]]
    neighbours: list[Neighbour] = field(default_factory=list)
    # The text understood once: triage, suggestions and assignment all read it.
    understanding: Understanding = field(default_factory=Understanding)
    # Set by TicketDesk.create: the engineer assigned and the events written, so that the
    # caller shows the new ticket without reading it back.
    assignee: Engineer | None = None
    events: list[TicketEvent] = field(default_factory=list)
    # The contract terms the SLA was computed from (default targets without a version).
    terms: ContractTerms = field(default_factory=lambda: ContractTerms("basic", TARGETS))

    @property
    def text(self) -> str:
        return f"{self.masked_title}\n{self.masked_description}".strip()

    @property
    def sla(self) -> SlaStatus:
        """The SLA as the ticket opens: from the planned due times, no second calendar walk."""
        return opening_status(
            self.priority, self.response_due, self.resolution_due, targets=self.terms.targets
        )

    @property
    def eligible(self) -> list[Candidate]:
        return [c for c in self.candidates if c.excluded_because is None]


def _mentions(mentions: Sequence[Mention]) -> list[Mentioned]:
    return [Mentioned(m.id, m.confidence, m.text) for m in mentions if not getattr(m, "implied", False)] + [
        Mentioned(m.id, m.confidence * 0.5, m.text) for m in mentions if getattr(m, "implied", False)
    ]


@dataclass(frozen=True, slots=True)
class HistoryView:
    """What planning may know of the past; an evaluation hides its held-out tickets here."""

    hidden_tickets: frozenset[str] = frozenset()
    # (system, symptom) → engineer → resolved tickets to subtract from the graph's record.
    hidden_record: Mapping[tuple[str, str], Mapping[str, int]] = field(default_factory=dict)
    open_counts: Mapping[str, int] | None = None  # None: read the live counts


LIVE = HistoryView()


def nearest_resolved(
    session: Session, similar: Sequence[DocumentHit], hidden: frozenset[str] = frozenset()
) -> list[Neighbour]:
    """The most similar resolved tickets (the understanding's), with who resolved them."""
    hits = [h for h in similar if h.id not in hidden][:NEIGHBOURS]
    if not hits:
        return []
    codes = [h.id for h in hits]
    resolvers = dict(
        session.execute(
            select(Ticket.code, Resolution.resolved_by)
            .join(Resolution, Resolution.ticket_id == Ticket.id)
            .where(Ticket.code.in_(codes))
        ).all()
    )
    return [
        Neighbour(
            ticket=h.id,
            rank=rank,
            system=h.systems[0] if h.systems else None,
            symptom=h.symptoms[0] if h.symptoms else None,
            department=h.departments[0] if h.departments else None,
            resolved_by=resolvers.get(h.id),
        )
        for rank, h in enumerate(hits, start=1)
    ]


def engineer_history(
    kb: KnowledgeBase, result: TriageResult, neighbours: list[Neighbour], view: HistoryView = LIVE
) -> History:
    """Who resolved this system+symptom before (graph) and who resolved the nearest tickets."""
    same: Counter[str] = Counter()
    if kb.graph is not None and result.system and result.symptom:
        same = Counter(kb.graph.engineer_history(result.system, result.symptom))
        same.subtract(view.hidden_record.get((result.system, result.symptom), {}))
        same = +same
    shares: dict[str, float] = {}
    norm = sum(1 / n.rank for n in neighbours) or 1.0
    for n in neighbours:
        if n.resolved_by:
            shares[n.resolved_by] = shares.get(n.resolved_by, 0.0) + (1 / n.rank) / norm
    return History(same_problem=dict(same), neighbours=dict(shares))


def needed_tags(kb: KnowledgeBase, linked: LinkResult | None) -> frozenset[str]:
    """Technical tags the problem calls for: the linked terms and the tags they carry."""
    if linked is None or kb.linker is None:
        return frozenset()
    tags: set[str] = set()
    for term in linked.terms:
        tags.add(term.id)
        entry = kb.linker.ontology.get("terms", term.id)
        if entry is not None:
            tags.update(entry.tags)
    return frozenset(tags)


def _apply_known(result: TriageResult, draft: TicketDraft) -> None:
    """The draft's known system and symptom replace triage's reading, with the evidence."""
    for name, value in (("system", draft.system), ("symptom", draft.symptom)):
        if value and value != getattr(result, name):
            setattr(result, name, value)
            result.alternatives.pop(name, None)
            result.evidence.append({"source": "known", "field": name, "value": value})
    if draft.system and result.department is None:
        result.department = DEFAULT_DEPARTMENT.get(draft.system)


def plan_ticket(
    session: Session, kb: KnowledgeBase, draft: TicketDraft, view: HistoryView = LIVE,
    advisors: Sequence[PlanAdvisor] = (),
) -> TicketPlan:
    draft.validate()
    hospital = session.get(Hospital, draft.hospital_id)
    if hospital is None:
        raise NotFound(f"hospital {draft.hospital_id!r} not found", "hospital_id")
    contract = session.get(Contract, hospital.id) or Contract(hospital_id=hospital.id, tier="basic")
    created_at = draft.at or utcnow()
    # The SLA comes from the contract version in force when the ticket is created.
    terms = terms_at(session, hospital.id, created_at)
    if terms.version_id is not None:
        # Transient (never added to the session): the current row stays as it is.
        contract = Contract(
            hospital_id=hospital.id, tier=terms.tier, city=contract.city,
            dedicated_engineers=list(terms.dedicated_engineers),
        )
    title = mask_pii(draft.title).text
    description = mask_pii(draft.description).text
    text = f"{title}\n{description}".strip()

    # Linked once, searched once: triage, assignment and the suggestions read this.
    understood = kb.understand(
        text, articles=SUGGESTIONS, tickets=NEIGHBOURS + len(view.hidden_tickets)
    )
    linked = understood.linked
    neighbours = nearest_resolved(session, understood.tickets, view.hidden_tickets)
    result = triage(
        text,
        _mentions(linked.systems) if linked else [],
        _mentions(linked.symptoms) if linked else [],
        _mentions(linked.departments) if linked else [],
        neighbours,
    )
    if result.department not in DEPARTMENTS:
        result.department = None
    _apply_known(result, draft)
    priority = result.priority
    if draft.priority:
        priority = draft.priority
        result.evidence.append(
            {"source": "reporter", "field": "priority", "value": priority,
             "reason": draft.priority_reason.strip()[:500]}
        )
    response_due, resolution_due = due_times(
        created_at, priority, contract.tier, hospital.timezone, targets=terms.targets
    )
    # Remote help first, as the contracts promise; onsite work is asked for, not guessed.
    needs_onsite = bool(draft.needs_onsite)
    needs = TicketNeeds(
        hospital_id=hospital.id,
        region=hospital.region,
        system=result.system,
        symptom=result.symptom,
        department=result.department,
        priority=priority,
        needs_onsite=needs_onsite,
        response_due=response_due,
        created_at=created_at,
        tags=needed_tags(kb, linked),
        dedicated=frozenset(contract.dedicated_engineers or []),
        system_alternatives=result.alternatives.get("system", {}),
        department_alternatives=result.alternatives.get("department", {}),
    )
    profiles = engineer_profiles(session, view.open_counts)
    candidates = rank_candidates(profiles, needs, engineer_history(kb, result, neighbours, view))
    return TicketPlan(
        hospital=hospital,
        contract=contract,
        created_at=created_at,
        masked_title=title,
        masked_description=description,
        triage=result,
        priority=priority,
        needs_onsite=needs_onsite,
        response_due=response_due,
        resolution_due=resolution_due,
        candidates=candidates,
        # Other domains (the estate: known issues of the installed version) may put their
        # articles first and add evidence; they are registered on the desk, not imported.
        suggested_articles=apply_advice(
            advisors, session, hospital.id, result, created_at,
            [
                {"id": h.id, "title": h.title, "url": f"/articles/{h.id}", "audience": h.audience}
                for h in understood.articles
            ],
        ),
        neighbours=neighbours,
        understanding=understood,
        terms=terms,
    )
