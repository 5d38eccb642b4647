"""The monthly (or quarterly) service report of one hospital: what happened against the contract.

Definitions (the report states them too, in ``definitions``):

* The period is a calendar month (or quarter) in the hospital's time zone,
  ``[first day 00:00, next period's first day 00:00)``.
* ``totals.tickets`` counts tickets created in the period; ``totals.resolved`` counts
  tickets resolved in the period (whenever they were created).
* Compliance is measured on the tickets created in the period, each against the targets
  recorded when it was created (the contract version then in force), in business time of
  its tier's calendar with pauses removed, as of the report's ``as_of`` instant. A target is
  *met* when satisfied within it, *breached* when its business time reached 100 % (also
  while still open), else *pending*. ``percent = met / (met + breached)``.
* Each breached target is one breach; it owes ``credit_percent_per_breach`` of the monthly
  fee of the version the ticket was created under (rounded to the fen). The total owed is
  capped at ``credit_cap_percent`` of the monthly fee of the version in force at the end of
  the period (the last version overlapping it).
* Times (median, p90) are business minutes of the satisfied targets.
* Recurring problems: the same system and symptom on at least ``RECURRING_MIN`` tickets.
* Deflection: logged searches and chat turns of the hospital's people in the period not
  followed within ``FOLLOW_UP_MINUTES`` by a ticket from the same user.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, func, inspect, select
from sqlalchemy.orm import Session

from weibao.core.accounts import Hospital
from weibao.kb.models import Article
from weibao.routing.calendars import zone
from weibao.routing.contracts import ContractVersion, targets_from_json
from weibao.routing.errors import Invalid, NotFound
from weibao.routing.models import PRIORITIES, Engineer, Resolution, Ticket, TicketEvent
from weibao.routing.sla import (
    TARGETS,
    SlaStatus,
    SlaTarget,
    TargetStatus,
    business_minutes_between,
    evaluate_sla,
)
from weibao.service.contracts import versions_overlapping
from weibao.service.models import QueryLog

RECURRING_MIN = 3
FOLLOW_UP_MINUTES = 60
TOP_ENGINEERS = 5


@dataclass(frozen=True, slots=True)
class Period:
    """A month (``2026-11``) or a quarter (``2026-Q4``) of local calendar time."""

    year: int
    first_month: int
    months: int

    @classmethod
    def parse(cls, text: str) -> Period:
        value = (text or "").strip()
        try:
            if "-Q" in value.upper():
                year_s, quarter_s = value.upper().split("-Q")
                year, quarter = int(year_s), int(quarter_s)
                if not 1 <= quarter <= 4:
                    raise ValueError
                period = cls(year, 3 * quarter - 2, 3)
            else:
                year_s, month_s = value.split("-")
                if len(month_s) != 2:
                    raise ValueError
                period = cls(int(year_s), int(month_s), 1)
                if not 1 <= period.first_month <= 12:
                    raise ValueError
            if not 2000 <= period.year <= 2100:
                raise ValueError
        except ValueError:
            raise Invalid("period must be YYYY-MM (a month) or YYYY-Qn (a quarter)", "period") from None
        return period

    @property
    def label(self) -> str:
        if self.months == 3:
            return f"{self.year}-Q{(self.first_month + 2) // 3}"
        return f"{self.year}-{self.first_month:02d}"

    def _month(self, offset: int) -> tuple[int, int]:
        index = self.year * 12 + self.first_month - 1 + offset
        return index // 12, index % 12 + 1

    def bounds(self, tz: str) -> tuple[dt.datetime, dt.datetime]:
        """``[start, end)`` in UTC for the hospital's zone."""
        local = zone(tz)
        y0, m0 = self._month(0)
        y1, m1 = self._month(self.months)
        start = dt.datetime(y0, m0, 1, tzinfo=local).astimezone(dt.UTC)
        end = dt.datetime(y1, m1, 1, tzinfo=local).astimezone(dt.UTC)
        return start, end

    def previous(self) -> Period:
        y, m = self._month(-self.months)
        return Period(y, m, self.months)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 100]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1], 1)


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    value = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return round(value, 1)


# The columns a report reads: rows of these, not ORM objects, keep 10k tickets cheap to load.
TICKET_COLUMNS = (
    Ticket.id, Ticket.code, Ticket.title, Ticket.priority, Ticket.tier, Ticket.timezone,
    Ticket.created_at, Ticket.pauses, Ticket.first_response_at, Ticket.resolved_at,
    Ticket.closed_at, Ticket.sla_targets, Ticket.system, Ticket.symptom, Ticket.channel,
    Ticket.needs_onsite, Ticket.contract_version_id, Ticket.assignee_id, Ticket.response_due,
    Ticket.resolution_due,
)


def _tickets_created(session: Session, hospital_id: str, start: dt.datetime, end: dt.datetime) -> list[Any]:
    return list(session.execute(
        select(*TICKET_COLUMNS).where(Ticket.hospital_id == hospital_id, Ticket.created_at >= start,
                                      Ticket.created_at < end).order_by(Ticket.created_at, Ticket.id)
    ).all())


def _pauses(ticket: Any) -> list[tuple[dt.datetime, dt.datetime | None]]:
    out: list[tuple[dt.datetime, dt.datetime | None]] = []
    for a, b in ticket.pauses or []:
        if a is None:
            continue
        out.append((dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b) if b else None))
    return out


def ticket_sla(ticket: Any, as_of: dt.datetime) -> SlaStatus:
    """The ticket's SLA as of `as_of`, against the targets recorded at its creation."""
    return evaluate_sla(
        ticket.created_at, ticket.priority, ticket.tier, as_of, tz=ticket.timezone,
        pauses=_pauses(ticket), first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at, targets=targets_from_json(ticket.sla_targets),
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """A target as a report sees it (the fields of `TargetStatus` the report reads)."""

    kind: str
    target_minutes: int
    elapsed_minutes: float
    due_at: dt.datetime
    state: str
    satisfied: bool
    satisfied_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Outcomes:
    response: Outcome | TargetStatus
    resolution: Outcome | TargetStatus


def report_sla(ticket: Any, as_of: dt.datetime) -> Outcomes | SlaStatus:
    """`ticket_sla`, faster for a ticket never paused: its stored due times are then exactly
    the engine's (set at creation, and again by any priority correction), so a target is
    breached iff it was satisfied, or is still open, at or after its due time; business time
    is walked once, and only for the targets whose elapsed time the report shows."""
    if ticket.pauses or ticket.response_due is None or ticket.resolution_due is None:
        return ticket_sla(ticket, as_of)
    pair = (ticket.sla_targets or {}).get(ticket.priority)
    target = SlaTarget(int(pair[0]), int(pair[1])) if pair else TARGETS[ticket.priority]
    created = ticket.created_at
    resolved = ticket.resolved_at if ticket.resolved_at is not None and ticket.resolved_at <= as_of else None
    responded = ticket.first_response_at or ticket.resolved_at
    responded = responded if responded is not None and responded <= as_of else None
    parts = []
    for kind, minutes, due, done in (
        ("response", target.response_minutes, ticket.response_due, responded),
        ("resolution", target.resolution_minutes, ticket.resolution_due, resolved),
    ):
        stop = max(done if done is not None else as_of, created)
        breached = stop >= due
        elapsed = business_minutes_between(created, stop, ticket.tier, ticket.timezone) \
            if (breached or done is not None) else 0.0
        parts.append(Outcome(kind=kind, target_minutes=minutes, elapsed_minutes=elapsed, due_at=due,
                             state="breached" if breached else "ok", satisfied=done is not None,
                             satisfied_at=done))
    return Outcomes(parts[0], parts[1])


def _credit(version: ContractVersion | None) -> int:
    if version is None:
        return 0
    return round(version.monthly_fee_cents * version.credit_percent_per_breach / 100)


def _cause(ticket: Any, target: str, events: Sequence[TicketEvent], due: dt.datetime) -> str:
    """Why a target was missed, from the ticket's history before the due time (a cause
    code; pages and exports name it): nobody assigned in time, handed between engineers,
    an onsite visit, else plainly late."""
    before = [e for e in events if e.at <= due]
    kinds = {e.kind for e in before}
    queued = any(e.kind == "escalated" and (e.detail or {}).get("queue") == "unassigned" for e in before)
    if queued or "assigned" not in kinds:
        return "no_engineer_available"
    if "reassigned" in kinds or "escalated" in kinds:
        return "handed_over"
    if ticket.needs_onsite:
        return "onsite_visit"
    return "late_response" if target == "response" else "long_resolution"


def _optional_table(session: Session, name: str, columns: Iterable[str]) -> Table | None:
    """A table of another feature, when it exists with the columns we read (else None)."""
    bind = session.get_bind()
    inspector = inspect(bind)
    if not inspector.has_table(name):
        return None
    present = {c["name"] for c in inspector.get_columns(name)}
    wanted = list(columns)
    if not set(wanted) <= present:
        return None
    cols: list[Column[Any]] = []
    for column in wanted:
        if column.endswith("_at"):
            from weibao.core.db import UTCDateTime

            cols.append(Column(column, UTCDateTime))
        elif column in ("score",):
            cols.append(Column(column, Integer))
        else:
            cols.append(Column(column, String))
    return Table(name, MetaData(), *cols)


def _first_present(session: Session, name: str, candidates: Sequence[str]) -> str | None:
    bind = session.get_bind()
    inspector = inspect(bind)
    if not inspector.has_table(name):
        return None
    present = {c["name"] for c in inspector.get_columns(name)}
    return next((c for c in candidates if c in present), None)


def _count_done(session: Session, table_name: str, hospital_id: str, start: dt.datetime,
                end: dt.datetime) -> int:
    """Rows of another feature's table done in the period (0 when the feature is absent)."""
    at_column = _first_present(
        session, table_name, ("completed_at", "done_at", "held_at", "finished_at", "signed_off_at")
    )
    if at_column is None:
        return 0
    table = _optional_table(session, table_name, ("hospital_id", at_column))
    if table is None:
        return 0
    return int(session.scalar(
        select(func.count()).select_from(table).where(
            table.c.hospital_id == hospital_id, table.c[at_column] >= start, table.c[at_column] < end
        )
    ) or 0)


def _satisfaction(session: Session, hospital_id: str, start: dt.datetime, end: dt.datetime) -> dict[str, object]:
    table = _optional_table(session, "ticket_ratings", ("hospital_id", "score", "at"))
    if table is None:
        return {"ratings": 0, "average": None, "available": False}
    rows = session.execute(
        select(table.c.score).where(
            table.c.hospital_id == hospital_id, table.c.at >= start, table.c.at < end
        )
    ).scalars().all()
    scores = [int(s) for s in rows if s is not None]
    return {
        "ratings": len(scores),
        "average": round(sum(scores) / len(scores), 2) if scores else None,
        "distribution": dict(sorted(Counter(scores).items())),
        "available": True,
    }


def _compliance_block() -> dict[str, dict[str, Any]]:
    return {
        kind: {p: {"tickets": 0, "met": 0, "breached": 0, "pending": 0, "percent": None,
                   "targets_minutes": []} for p in PRIORITIES}
        for kind in ("response", "resolution")
    }


def _finish(block: dict[str, dict[str, Any]]) -> dict[str, Any]:
    overall: dict[str, Any] = {}
    for kind, per in block.items():
        met = breached = 0
        for entry in per.values():
            done = entry["met"] + entry["breached"]
            entry["percent"] = round(100 * entry["met"] / done, 1) if done else None
            entry["targets_minutes"] = sorted(set(entry["targets_minutes"]))
            met += entry["met"]
            breached += entry["breached"]
        overall[kind] = round(100 * met / (met + breached), 1) if met + breached else None
    return {**block, "overall": overall}


def _summary(session: Session, hospital: Hospital, period: Period, as_of: dt.datetime) -> dict[str, Any]:
    """Totals and compliance only (for the previous-period comparison)."""
    start, end = period.bounds(hospital.timezone)
    tickets = _tickets_created(session, hospital.id, start, end)
    block = _compliance_block()
    for ticket in tickets:
        _tally(block, ticket, report_sla(ticket, as_of))
    resolved = session.scalar(
        select(func.count()).select_from(Ticket).where(
            Ticket.hospital_id == hospital.id, Ticket.resolved_at >= start, Ticket.resolved_at < end
        )
    ) or 0
    compliance = _finish(block)
    return {
        "period": period.label,
        "tickets": len(tickets),
        "resolved": int(resolved),
        "response_percent": compliance["overall"]["response"],
        "resolution_percent": compliance["overall"]["resolution"],
    }


def _tally(block: dict[str, dict[str, Any]], ticket: Any, status: Outcomes | SlaStatus) -> None:
    for target in (status.response, status.resolution):
        entry = block[target.kind][ticket.priority]
        entry["tickets"] += 1
        entry["targets_minutes"].append(target.target_minutes)
        if target.state == "breached":
            entry["breached"] += 1
        elif target.satisfied:
            entry["met"] += 1
        else:
            entry["pending"] += 1


def service_report(
    *, session: Session, hospital_id: str, period: Period, now: dt.datetime | None = None,
    compare: bool = True,
) -> dict[str, Any]:
    """The service report as plain data (JSON-ready); exports render this."""
    hospital = session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound(f"hospital {hospital_id!r} not found", "hospital_id")
    as_of = now or dt.datetime.now(dt.UTC)
    tz = hospital.timezone
    start, end = period.bounds(tz)
    tickets = _tickets_created(session, hospital_id, start, end)
    versions = {v.id: v for v in versions_overlapping(session=session, hospital_id=hospital_id,
                                                       start=start, end=end)}
    missing = {t.contract_version_id for t in tickets if t.contract_version_id} - set(versions)
    if missing:
        versions.update({v.id: v for v in session.scalars(
            select(ContractVersion).where(ContractVersion.id.in_(missing)))})
    closing = max(
        (v for v in versions.values() if v.valid_from < end),
        key=lambda v: v.valid_from, default=None,
    )

    block = _compliance_block()
    response_times: dict[str, list[float]] = defaultdict(list)
    resolution_times: dict[str, list[float]] = defaultdict(list)
    breached: list[tuple[Any, str, Any]] = []
    for ticket in tickets:
        status = report_sla(ticket, as_of)
        _tally(block, ticket, status)
        for target in (status.response, status.resolution):
            if target.satisfied:
                (response_times if target.kind == "response" else resolution_times)[ticket.priority].append(
                    target.elapsed_minutes)
            if target.state == "breached":
                breached.append((ticket, target.kind, target))

    events: dict[int, list[TicketEvent]] = defaultdict(list)
    if breached:
        ids = sorted({t.id for t, _, _ in breached})
        for i in range(0, len(ids), 500):
            for event in session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id.in_(ids[i:i + 500])).order_by(TicketEvent.id)
            ):
                events[event.ticket_id].append(event)
    local = zone(tz)
    breaches: list[dict[str, Any]] = []
    credits_total = 0
    for ticket, kind, target in breached:
        version = versions.get(ticket.contract_version_id) if ticket.contract_version_id else None
        credit = _credit(version)
        credits_total += credit
        breaches.append({
            "ticket": ticket.code,
            "title": ticket.title,
            "priority": ticket.priority,
            "system": ticket.system,
            "symptom": ticket.symptom,
            "target": kind,
            "target_minutes": target.target_minutes,
            "elapsed_minutes": round(target.elapsed_minutes, 1),
            "over_minutes": round(target.elapsed_minutes - target.target_minutes, 1),
            "created_at": ticket.created_at.astimezone(local).isoformat(timespec="minutes"),
            "due_at": target.due_at.astimezone(local).isoformat(timespec="minutes"),
            "satisfied_at": target.satisfied_at.astimezone(local).isoformat(timespec="minutes")
            if target.satisfied_at else None,
            "cause": _cause(ticket, kind, events.get(ticket.id, []), target.due_at),
            "contract_version": version.version if version else None,
            "credit_cents": credit,
        })
    cap = round(closing.monthly_fee_cents * closing.credit_cap_percent / 100) if closing else 0
    owed = min(credits_total, cap) if closing else 0

    resolved_count = session.scalar(
        select(func.count()).select_from(Ticket).where(
            Ticket.hospital_id == hospital_id, Ticket.resolved_at >= start, Ticket.resolved_at < end)
    ) or 0
    compliance = _finish(block)
    open_count = sum(1 for t in tickets if t.resolved_at is None and t.closed_at is None)

    report: dict[str, Any] = {
        "hospital": {"id": hospital.id, "name": hospital.name, "timezone": tz},
        "period": period.label,
        "from": start.astimezone(local).date().isoformat(),
        "to": (end.astimezone(local) - dt.timedelta(days=1)).date().isoformat(),
        "as_of": as_of.astimezone(local).strftime("%Y-%m-%d %H:%M"),
        "contract": _contract_block(sorted(versions.values(), key=lambda v: v.valid_from), local),
        "totals": {
            "tickets": len(tickets),
            "resolved": int(resolved_count),
            "open": open_count,
            "breaches": len(breaches),
            "response_compliance": compliance["overall"]["response"],
            "resolution_compliance": compliance["overall"]["resolution"],
            "credit_owed_cents": owed,
        },
        "compliance": compliance,
        "breaches": breaches,
        "credits": {
            "per_breach_total_cents": credits_total,
            "cap_cents": cap,
            "owed_cents": owed,
            "capped": credits_total > cap if closing else False,
            "cap_from_version": closing.version if closing else None,
        },
        "volume": _volume(tickets),
        "times": {
            "response_minutes": _times(response_times),
            "resolution_minutes": _times(resolution_times),
        },
        "recurring": _recurring(session, tickets),
        "deflection": _deflection(session, hospital_id, start, end),
        "satisfaction": _satisfaction(session, hospital_id, start, end),
        "inspections": {
            "done": _count_done(session, "inspections", hospital_id, start, end),
            "contracted": round((closing.inspections_per_year if closing else 0) * period.months / 12, 2),
        },
        "trainings": {
            "done": _count_done(session, "training_sessions", hospital_id, start, end),
            "contracted": {a: round(n * period.months / 12, 2)
                           for a, n in ((closing.trainings_per_year or {}) if closing else {}).items()},
        },
        "top_engineers": _top_engineers(session, hospital_id, start, end),
        "definitions": {
            "period": "calendar month/quarter in the hospital's time zone",
            "compliance": "met / (met + breached) in business minutes of the contract version at creation",
            "credit": "credit_percent_per_breach of the monthly fee per breached target, total capped "
                      "at credit_cap_percent of the fee of the version in force at the period's end",
            "recurring_min": RECURRING_MIN,
            "follow_up_minutes": FOLLOW_UP_MINUTES,
        },
    }
    if compare:
        previous = _summary(session, hospital, period.previous(), as_of)
        report["previous"] = previous
        report["change"] = {
            "tickets": len(tickets) - previous["tickets"],
            "resolved": int(resolved_count) - previous["resolved"],
        }
    return report


def _contract_block(versions: Sequence[ContractVersion], local: dt.tzinfo) -> list[dict[str, Any]]:
    out = []
    for v in versions:
        out.append({
            "version": v.version,
            "tier": v.tier,
            "valid_from": v.valid_from.astimezone(local).date().isoformat(),
            "valid_to": v.valid_to.astimezone(local).date().isoformat() if v.valid_to else None,
            "targets": v.targets or {p: [t.response_minutes, t.resolution_minutes] for p, t in TARGETS.items()},
            "monthly_fee_cents": v.monthly_fee_cents,
            "credit_percent_per_breach": v.credit_percent_per_breach,
            "credit_cap_percent": v.credit_cap_percent,
            "account_manager_id": v.account_manager_id,
            "contact_name": v.contact_name,
        })
    return out


def _volume(tickets: Sequence[Any]) -> dict[str, dict[str, int]]:
    def count(values: Iterable[str | None]) -> dict[str, int]:
        return dict(Counter(v or "unknown" for v in values).most_common())

    return {
        "priority": {p: sum(1 for t in tickets if t.priority == p) for p in PRIORITIES},
        "system": count(t.system for t in tickets),
        "symptom": count(t.symptom for t in tickets),
        "channel": count(t.channel for t in tickets),
    }


def _times(per_priority: dict[str, list[float]]) -> dict[str, Any]:
    everything = [v for values in per_priority.values() for v in values]
    out: dict[str, Any] = {
        p: {"count": len(per_priority.get(p, [])), "median": median(per_priority.get(p, [])),
            "p90": percentile(per_priority.get(p, []), 90)} for p in PRIORITIES
    }
    out["all"] = {"count": len(everything), "median": median(everything), "p90": percentile(everything, 90)}
    return out


def _recurring(session: Session, tickets: Sequence[Any]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for t in tickets:
        if t.system and t.symptom:
            groups[(t.system, t.symptom)].append(t)
    repeated = {k: v for k, v in groups.items() if len(v) >= RECURRING_MIN}
    if not repeated:
        return []
    ids = [t.id for group in repeated.values() for t in group]
    resolutions = {r.ticket_id: r for r in session.scalars(
        select(Resolution).where(Resolution.ticket_id.in_(ids)))}
    articles = session.execute(
        select(Article.id, Article.systems, Article.symptoms).where(Article.status == "published")
    ).all()
    out = []
    for (system, symptom), group in sorted(repeated.items(), key=lambda kv: -len(kv[1])):
        fixes = [resolutions[t.id] for t in group if t.id in resolutions]
        latest = max(fixes, key=lambda r: r.at, default=None)
        linked = sorted({a for r in fixes for a in (r.article_ids or [])})
        covering = sorted(a for a, systems, symptoms in articles
                          if system in (systems or []) and symptom in (symptoms or []))
        out.append({
            "system": system,
            "symptom": symptom,
            "count": len(group),
            "tickets": [t.code for t in group],
            "latest_fix": {"root_cause": latest.root_cause, "steps": list(latest.fix_steps or [])}
            if latest else None,
            "articles": sorted(set(linked) | set(covering[:5])),
            "has_article": bool(linked or covering),
        })
    return out


def _deflection(session: Session, hospital_id: str, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    logs = session.execute(
        select(QueryLog.source, QueryLog.user_id, QueryLog.at).where(
            QueryLog.hospital_id == hospital_id, QueryLog.at >= start, QueryLog.at < end)
    ).all()
    if not logs:
        return {"searches": 0, "chats": 0, "without_ticket": 0, "rate": None}
    window = dt.timedelta(minutes=FOLLOW_UP_MINUTES)
    reported: dict[int, list[dt.datetime]] = defaultdict(list)
    for user_id, created in session.execute(
        select(Ticket.reporter_user_id, Ticket.created_at).where(
            Ticket.hospital_id == hospital_id, Ticket.created_at >= start,
            Ticket.created_at < end + window, Ticket.reporter_user_id.is_not(None))
    ):
        if user_id is not None:
            reported[user_id].append(created)
    without = sum(
        1 for _, user_id, at in logs
        if user_id is None or not any(at <= c <= at + window for c in reported.get(user_id, ()))
    )
    return {
        "searches": sum(1 for s, _, _ in logs if s == "search"),
        "chats": sum(1 for s, _, _ in logs if s == "chat"),
        "without_ticket": without,
        "rate": round(100 * without / len(logs), 1),
    }


def _top_engineers(session: Session, hospital_id: str, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Resolution.resolved_by, func.count()).where(
            Resolution.hospital_id == hospital_id, Resolution.at >= start, Resolution.at < end,
            Resolution.resolved_by.is_not(None))
        .group_by(Resolution.resolved_by).order_by(func.count().desc(), Resolution.resolved_by)
        .limit(TOP_ENGINEERS)
    ).all()
    names = {e.id: e.name for e in session.scalars(
        select(Engineer).where(Engineer.id.in_([r[0] for r in rows])))} if rows else {}
    return [{"id": str(eid), "name": names.get(str(eid), str(eid)), "resolved": int(n)} for eid, n in rows]
