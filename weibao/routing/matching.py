"""Engineer matching: hard filters, then a scorer that returns each factor's share.

Pure functions over plain records; choosing is separate from saving (see assignment).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from weibao.routing.shifts import ON_CALL_PRIORITIES, on_call, on_shift_between, regular

# Weights of the score's factors; they add up to 1 for an ideal engineer.
WEIGHTS: Mapping[str, float] = {
    "system": 0.30,
    "department": 0.14,
    "tags": 0.08,
    "history": 0.20,
    "load": 0.12,
    "dedicated": 0.10,
    "tier_fit": 0.06,
}
# Skill floors, strictest first: when nobody passes a floor, matching relaxes to the next
# and says so, rather than leave a ticket without an owner. The strictest also asks for
# triage's close alternatives: when triage is unsure, someone fit for every plausible
# reading is the safe owner.
# (minimum system level, must know the department, must also cover the alternatives)
FLOORS: tuple[tuple[int, bool, bool], ...] = ((3, True, True), (3, True, False), (3, False, False), (2, False, False))
TIER_RANK = {"L1": 1, "L2": 2, "L3": 3}


@dataclass(frozen=True, slots=True)
class EngineerProfile:
    id: str
    name: str
    tier: str
    systems: Mapping[str, int]
    departments: Mapping[str, int]
    tags: frozenset[str]
    regions: frozenset[str]
    shifts: Sequence[Mapping[str, object]]
    max_open: int
    open_count: int = 0
    active: bool = True


@dataclass(frozen=True, slots=True)
class TicketNeeds:
    hospital_id: str
    region: str
    system: str | None
    symptom: str | None
    department: str | None
    priority: str
    needs_onsite: bool
    response_due: datetime
    created_at: datetime | None = None
    tags: frozenset[str] = frozenset()
    dedicated: frozenset[str] = frozenset()
    # Triage's runners-up with their relative support (see triage.ALTERNATIVE_SHARE).
    system_alternatives: Mapping[str, float] = field(default_factory=dict)
    department_alternatives: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class History:
    """An engineer's record on similar problems, from the graph and the nearest tickets."""

    same_problem: Mapping[str, int] = field(default_factory=dict)  # resolved system+symptom
    neighbours: Mapping[str, float] = field(default_factory=dict)  # share of nearest tickets


@dataclass(slots=True)
class Candidate:
    engineer_id: str
    name: str
    tier: str
    score: float
    factors: dict[str, float]
    excluded_because: str | None = None
    # How the engineer can respond in time: "on_shift" (normal shift) or "on_call"
    # (outside it, reachable for urgent tickets only); None when neither.
    availability: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "engineer_id": self.engineer_id,
            "name": self.name,
            "tier": self.tier,
            "score": round(self.score, 4),
            "factors": {k: round(v, 4) for k, v in self.factors.items()},
        }
        if self.availability:
            out["availability"] = self.availability
        if self.excluded_because:
            out["excluded_because"] = self.excluded_because
        return out


def availability(engineer: EngineerProfile, needs: TicketNeeds) -> str | None:
    """"on_shift" when a normal shift lets the engineer respond before the response is due,
    "on_call" when only an on-call shift does and the ticket is urgent (P1/P2), else None."""
    start = needs.created_at or needs.response_due
    if on_shift_between(regular(engineer.shifts), start, needs.response_due):
        return "on_shift"
    if needs.priority in ON_CALL_PRIORITIES and on_shift_between(on_call(engineer.shifts), start, needs.response_due):
        return "on_call"
    return None


def exclusion(
    engineer: EngineerProfile, needs: TicketNeeds, floor: tuple[int, bool, bool] = FLOORS[0]
) -> str | None:
    """The first hard rule the engineer fails, in words, or None."""
    min_level, needs_department, cover_alternatives = floor
    if not engineer.active:
        return "inactive"
    if needs.priority == "P1" and TIER_RANK.get(engineer.tier, 0) < 2:
        return "P1 needs an L2 or L3 engineer"
    if needs.system and engineer.systems.get(needs.system, 0) < min_level:
        return f"proficiency in {needs.system} below {min_level}"
    if needs_department and needs.department and not engineer.departments.get(needs.department):
        return f"no knowledge of the {needs.department} department"
    if cover_alternatives:
        weak = [s for s in needs.system_alternatives if engineer.systems.get(s, 0) < min_level]
        if weak:
            return f"triage is unsure; proficiency in the alternative {weak[0]} below {min_level}"
        unknown = [d for d in needs.department_alternatives if not engineer.departments.get(d)]
        if needs_department and unknown:
            return f"triage is unsure; no knowledge of the alternative {unknown[0]} department"
    if engineer.open_count >= engineer.max_open:
        return f"at cap ({engineer.open_count}/{engineer.max_open} open)"
    if availability(engineer, needs) is None:
        start = needs.created_at or needs.response_due
        if on_shift_between(on_call(engineer.shifts), start, needs.response_due):
            return f"only on call before the response is due; on call takes {'/'.join(ON_CALL_PRIORITIES)} only"
        return "not on shift before the response is due"
    if needs.needs_onsite and needs.region and needs.region not in engineer.regions:
        return f"onsite work needed and region {needs.region} not covered"
    return None


def _skill(levels: Mapping[str, int], value: str | None, alternatives: Mapping[str, float]) -> float:
    """Level in the triaged value (0..1), averaged with the runners-up by their support:
    when triage is unsure, an engineer who knows both guesses is the safer choice."""
    if not value:
        return 0.5
    total = levels.get(value, 0) + sum(share * levels.get(k, 0) for k, share in alternatives.items())
    return total / (1 + sum(alternatives.values())) / 5


def factors(engineer: EngineerProfile, needs: TicketNeeds, history: History) -> dict[str, float]:
    """Each factor's contribution to the score (already weighted)."""
    system = _skill(engineer.systems, needs.system, needs.system_alternatives)
    department = _skill(engineer.departments, needs.department, needs.department_alternatives)
    tags = len(needs.tags & engineer.tags) / len(needs.tags) if needs.tags else 0.0
    same = history.same_problem.get(engineer.id, 0)
    record = 0.5 * min(1.0, same / 8) + 0.5 * min(1.0, history.neighbours.get(engineer.id, 0.0) * 2)
    load = 1.0 - engineer.open_count / engineer.max_open if engineer.max_open else 0.0
    dedicated = 1.0 if engineer.id in needs.dedicated else 0.0
    rank = TIER_RANK.get(engineer.tier, 1)
    # Urgent tickets want depth; questions are best answered on the hotline, keeping experts free.
    wanted = 3 if needs.priority == "P1" else 2 if needs.priority in ("P2", "P3") else 1
    tier_fit = 1.0 - abs(rank - wanted) / 2
    raw = {
        "system": system,
        "department": department,
        "tags": tags,
        "history": record,
        "load": load,
        "dedicated": dedicated,
        "tier_fit": tier_fit,
    }
    return {k: WEIGHTS[k] * v for k, v in raw.items()}


def rank_candidates(
    engineers: Iterable[EngineerProfile], needs: TicketNeeds, history: History
) -> list[Candidate]:
    """Eligible engineers best first (deterministic tie-break), then the excluded ones.

    The strictest skill floor that leaves someone eligible applies; see FLOORS.
    """
    scored: list[tuple[EngineerProfile, Candidate]] = []
    for engineer in engineers:  # scores do not depend on the floor: computed once
        contributions = factors(engineer, needs, history)
        scored.append((engineer, Candidate(
            engineer.id, engineer.name, engineer.tier, sum(contributions.values()), contributions
        )))
    for floor in FLOORS:
        eligible: list[Candidate] = []
        excluded: list[Candidate] = []
        for engineer, candidate in scored:
            candidate.excluded_because = exclusion(engineer, needs, floor)
            candidate.availability = None if candidate.excluded_because else availability(engineer, needs)
            (excluded if candidate.excluded_because else eligible).append(candidate)
        if eligible:
            break
    eligible.sort(key=lambda c: (-round(c.score, 9), c.engineer_id))
    excluded.sort(key=lambda c: (-round(c.score, 9), c.engineer_id))
    return eligible + excluded
