"""`weibao eval --routing`: triage accuracy and acceptable assignments on held-out tickets.

The newest share of the historical tickets is held out, by time. Each is replayed in
order as if it were new: triage must not see it (nor the other held-out tickets) among
the similar tickets or in the engineers' record, and engineers carry the load of the
replayed tickets assigned to them until each would have been resolved. The same replay
runs with round-robin and least-loaded assignment for comparison.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from weibao.core.db import session_scope
from weibao.routing.desk import TicketDesk
from weibao.routing.matching import EngineerProfile
from weibao.routing.models import Engineer, Resolution, Ticket
from weibao.routing.planning import HistoryView, TicketDraft, plan_ticket
from weibao.routing.records import profile
from weibao.routing.shifts import ON_CALL_PRIORITIES, on_call, on_shift_between, regular

HOLD_OUT = 0.2
NEWEST = (1 - HOLD_OUT, 1.0)


@dataclass(slots=True)
class Replay:
    code: str
    hospital_id: str
    title: str
    description: str
    system: str
    symptom: str
    department: str | None
    priority: str
    created_at: datetime
    resolved_at: datetime
    resolved_by: str | None


@dataclass(slots=True)
class Tally:
    n: int = 0
    acceptable: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.acceptable / self.n if self.n else 0.0


def acceptable(engineer: EngineerProfile | None, t: Replay, response_due: datetime, load: int) -> str | None:
    """None when the assignment is acceptable, else why not.

    "On shift" means working at some moment between the ticket's arrival and its
    response due time, i.e. able to answer in time; an on-call shift counts for urgent
    tickets only, as in matching.
    """
    if engineer is None:
        return "unassigned"
    if engineer.systems.get(t.system, 0) < 3:
        return "proficiency below 3"
    if t.department and engineer.departments.get(t.department, 0) < 1:
        return "does not know the department"
    if not on_shift_between(regular(engineer.shifts), t.created_at, response_due) and not (
            t.priority in ON_CALL_PRIORITIES and on_shift_between(on_call(engineer.shifts), t.created_at, response_due)):
        return "off shift"
    if load >= engineer.max_open:
        return "over cap"
    return None


def check_window(window: tuple[float, float]) -> tuple[float, float]:
    start, end = window
    if not 0 <= start < end <= 1:
        raise ValueError(f"window: need 0 <= start < end <= 1, got {start} {end}")
    return start, end


def held_out(desk: TicketDesk, window: tuple[float, float] = NEWEST) -> tuple[list[Replay], HistoryView]:
    """The tickets in `window` (fractions of the history by time) and a view hiding them.

    The default, the newest share, is the honest test: only the past is known. An earlier
    window is a cross-check that also lets triage see tickets from after the replayed ones.
    """
    with session_scope(desk.sessions) as session:
        rows = session.execute(
            select(Ticket, Resolution).join(Resolution, Resolution.ticket_id == Ticket.id)
            .where(Ticket.code.like("T-2025-%")).order_by(Ticket.created_at, Ticket.id)
        ).all()
    start, end = check_window(window)
    replays = [
        Replay(t.code, t.hospital_id, t.title, t.description, t.system or "", t.symptom or "",
               t.department, t.priority, t.created_at, t.resolved_at or t.created_at, r.resolved_by)
        for t, r in rows[int(len(rows) * start):int(len(rows) * end)]
    ]
    hidden: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in replays:
        if r.resolved_by:
            hidden[(r.system, r.symptom)][r.resolved_by] += 1
    return replays, HistoryView(hidden_tickets=frozenset(r.code for r in replays), hidden_record=hidden)


def evaluate_routing(desk: TicketDesk, window: tuple[float, float] = NEWEST) -> dict[str, object]:
    replays, view = held_out(desk, window)
    with session_scope(desk.sessions) as session:
        engineers = {e.id: profile(e, 0) for e in session.scalars(select(Engineer).order_by(Engineer.id))}
    order = sorted(engineers)
    correct: Counter[str] = Counter()
    tallies = {"weibao": Tally(), "round_robin": Tally(), "least_loaded": Tally()}
    # Open work per policy: engineer -> list of times at which their replayed tickets close.
    open_until: dict[str, dict[str, list[datetime]]] = {name: defaultdict(list) for name in tallies}
    misses: list[str] = []
    # Tickets for which some engineer was acceptable at that moment (with WeiBao's loads):
    # the ceiling any policy could reach on this data.
    feasible = 0

    def load(policy: str, engineer_id: str, at: datetime) -> int:
        busy = [end for end in open_until[policy][engineer_id] if end > at]
        open_until[policy][engineer_id] = busy
        return len(busy)

    for turn, t in enumerate(replays):
        counts = {e: load("weibao", e, t.created_at) for e in order}
        with session_scope(desk.sessions) as session:
            plan = plan_ticket(
                session, desk.kb,
                TicketDraft(hospital_id=t.hospital_id, title=t.title, description=t.description, at=t.created_at),
                HistoryView(view.hidden_tickets, view.hidden_record, counts),
            )
        correct["system"] += plan.triage.system == t.system
        correct["symptom"] += plan.triage.symptom == t.symptom
        correct["department"] += plan.triage.department == t.department
        correct["priority"] += plan.priority == t.priority
        duration = max(t.resolved_at - t.created_at, timedelta(minutes=30))
        due = plan.response_due
        possible = any(acceptable(e, t, due, counts[e_id]) is None for e_id, e in engineers.items())
        feasible += possible
        choices = {
            "weibao": plan.eligible[0].engineer_id if plan.eligible else None,
            "round_robin": order[turn % len(order)],
            "least_loaded": min(order, key=lambda e: (load("least_loaded", e, t.created_at), e)),
        }
        for policy, chosen in choices.items():
            engineer = engineers.get(chosen) if chosen else None
            current = load(policy, chosen, t.created_at) if chosen else 0
            why = acceptable(engineer, t, due, current)
            if why and policy == "weibao":
                misses.append(f"{t.code} {t.system}/{t.department} → {plan.triage.system}/{plan.triage.department}: "
                              f"{chosen} {why}{'' if possible else ' (nobody was acceptable)'}")
            tally = tallies[policy]
            tally.n += 1
            if why is None:
                tally.acceptable += 1
            else:
                tally.reasons[why] += 1
            if chosen:
                open_until[policy][chosen].append(t.created_at + duration)
    n = len(replays) or 1
    return {
        "window": list(window),
        "held_out": len(replays),
        "accuracy": {k: correct[k] / n for k in ("system", "symptom", "department", "priority")},
        "acceptable": {k: v.rate for k, v in tallies.items()},
        "ceiling": feasible / n,
        "not_acceptable_because": {k: dict(v.reasons) for k, v in tallies.items()},
        "misses": misses,
    }


def _describe(window: tuple[float, float]) -> str:
    start, end = window
    if end == 1.0:
        return f"newest {round((1 - start) * 100)} %"
    return f"{round(start * 100)}–{round(end * 100)} % of the history; later tickets visible"


def format_routing(result: dict[str, Any]) -> str:
    acc = result["accuracy"]
    ok = result["acceptable"]
    lines = [
        f"held-out tickets ({_describe(result['window'])}, by time): {result['held_out']}",
        "triage accuracy:",
        *(f"  {k:<11} {v:.3f}" for k, v in acc.items()),
        "acceptable assignment (proficiency >= 3 in the system, knows the department, on shift, under cap):",
        *(f"  {k:<13} {v:.3f}" for k, v in ok.items()),
        f"  {'ceiling':<13} {result['ceiling']:.3f}  (share of tickets for which anyone was acceptable)",
        "why not acceptable:",
        *(f"  {k:<13} {v}" for k, v in result["not_acceptable_because"].items()),
        "WeiBao's misses (true system/department → triaged; chosen engineer):",
        *(f"  {m}" for m in result["misses"]),
    ]
    return "\n".join(lines)
