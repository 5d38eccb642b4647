"""Triage: system, symptom and department from the text, and the priority by explicit rules.

Two sources vote: entity linking on the text (graph) and the nearest resolved tickets
(knowledge base). The result keeps the evidence so a person can see why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from weibao.routing.priority import CORE_SYSTEMS, SAFETY_DEPARTMENTS, SAFETY_SYSTEMS, decide
from weibao.routing.priority_model import decide_priority

__all__ = ["CORE_SYSTEMS", "SAFETY_DEPARTMENTS", "SAFETY_SYSTEMS", "TriageResult", "priority_for", "triage"]

# Votes: the words of the text, and the labels of the most similar resolved tickets. The
# tickets carry the desk's own conventions (a ward's printer is "terminal", an ICU
# nursing chart is "icu"), so they weigh more; measured with `weibao eval --routing`.
LINK_WEIGHT = 1.0
DEFAULT_NEIGHBOUR_WEIGHT = 1.5
# The system field: ten neighbours at 1.5 outvoted a system the text names outright. At
# 1.0 triage's system on the held-out development sets rose zh/en 0.933/0.893 -> 0.933/
# 0.940 (heldout) and 0.909/0.850 -> 0.918/0.879 (heldout2); symptoms unchanged.
NEIGHBOURS_BY_FIELD = {"department": 2.0, "system": 1.0}
# A runner-up with at least this share of the winner's votes is kept as an alternative:
# matching then prefers engineers who also know it, hedging against a wrong guess.
ALTERNATIVE_SHARE = 0.5
# A similar ticket's value that the text itself does not name votes with this share of its
# weight: the text's dictionary and model labels decide, the neighbours break ties.
OUTSIDE_SHARE = 1.0
# A text that names no system takes the similar tickets' system only when they agree this
# much (share of their votes): near by chance, they disagree, and nothing is invented.
NEIGHBOUR_AGREEMENT = 0.6

# A winner with less than this share of its field's votes is a guess: the ticket is flagged
# for a person to confirm, and the reporter is asked a clarifying question.
CONFIDENT_SHARE = 0.5

DEFAULT_DEPARTMENT = {
    "emergency": "emergency",
    "icu": "icu",
    "or_anesthesia": "surgery",
    "lis": "laboratory",
    "pacs": "radiology",
    "pharmacy": "pharmacy",
    "insurance": "insurance_office",
    "nursing": "nursing",
    "registration": "outpatient",
    "his": "outpatient",
    "emr": "inpatient",
    "integration": "information_dept",
    "infrastructure": "information_dept",
    "terminal": "outpatient",
    "internet_hospital": "outpatient",
}


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A similar resolved ticket: its labels and its similarity rank (1 = nearest)."""

    ticket: str
    rank: int
    system: str | None
    symptom: str | None
    department: str | None
    resolved_by: str | None = None


@dataclass(frozen=True, slots=True)
class Mentioned:
    id: str
    confidence: float
    span_text: str = ""


@dataclass(slots=True)
class TriageResult:
    system: str | None
    symptom: str | None
    department: str | None
    priority: str
    priority_rule: str
    evidence: list[dict[str, object]] = field(default_factory=list)
    # field -> {runner-up value: its votes relative to the winner's, in [ALTERNATIVE_SHARE, 1]}
    alternatives: dict[str, dict[str, float]] = field(default_factory=dict)
    # Why the priority, as codes with the words that triggered them (routing.priority).
    priority_reasons: list[dict[str, str]] = field(default_factory=list)
    # Set when the text does not say enough: no system, or a winner with a thin share.
    low_confidence: bool = False
    # What to ask the reporter: "which_system", "which_symptom", "which_impact" (or None).
    clarify: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "symptom": self.symptom,
            "department": self.department,
            "priority": self.priority,
            "priority_rule": self.priority_rule,
            "priority_reasons": self.priority_reasons,
            "low_confidence": self.low_confidence,
            "clarify": self.clarify,
            "alternatives": self.alternatives,
            "evidence": self.evidence,
        }


def _vote(
    kind: str,
    linked: Sequence[Mentioned],
    neighbours: Sequence[Neighbour],
    evidence: list[dict[str, object]],
) -> dict[str, float]:
    """Votes per value of one field, with the evidence for each."""
    neighbour_weight = NEIGHBOURS_BY_FIELD.get(kind, DEFAULT_NEIGHBOUR_WEIGHT)
    named = {m.id for m in linked}
    scores: dict[str, float] = defaultdict(float)

    def weight_of(value: str) -> float:
        # The text's own labels (dictionary and model) decide; a value the text does not
        # name gets a fraction of the vote, enough to break ties, not to overrule the words.
        return neighbour_weight if not named or value in named else neighbour_weight * OUTSIDE_SHARE
    for mention in linked:
        scores[mention.id] += LINK_WEIGHT * mention.confidence
        evidence.append(
            {"source": "text", "field": kind, "value": mention.id, "matched": mention.span_text,
             "weight": round(LINK_WEIGHT * mention.confidence, 3)}
        )
    if neighbours:
        norm = sum(1 / n.rank for n in neighbours)
        for n in neighbours:
            value = getattr(n, kind)
            if value:
                scores[value] += weight_of(value) * (1 / n.rank) / norm
        for value in sorted({getattr(n, kind) for n in neighbours} - {None}):
            tickets = [n.ticket for n in neighbours if getattr(n, kind) == value]
            evidence.append(
                {"source": "similar_tickets", "field": kind, "value": value,
                 "tickets": tickets[:5], "weight": round(sum(
                     weight_of(value) * (1 / n.rank) / norm for n in neighbours
                     if getattr(n, kind) == value), 3)}
            )
    return dict(scores)


def _winner(scores: dict[str, float]) -> str | None:
    return max(sorted(scores), key=lambda k: scores[k]) if scores else None


def _runners_up(scores: dict[str, float], winner: str | None) -> dict[str, float]:
    if winner is None or scores[winner] <= 0:
        return {}
    top = scores[winner]
    return {k: round(v / top, 3) for k, v in sorted(scores.items())
            if k != winner and v >= ALTERNATIVE_SHARE * top}


def priority_for(
    text: str, system: str | None, symptom: str | None, department: str | None
) -> tuple[str, str]:
    """(priority, the rule that set it); `routing.priority.decide` gives the reasons too."""
    decision = decide(text, system, symptom, department)
    return decision.priority, decision.rule


def _share(scores: dict[str, float], winner: str | None) -> float:
    total = sum(scores.values())
    return scores[winner] / total if winner is not None and total > 0 else 0.0


def triage(
    text: str,
    linked_systems: Sequence[Mentioned],
    linked_symptoms: Sequence[Mentioned],
    linked_departments: Sequence[Mentioned],
    neighbours: Sequence[Neighbour],
) -> TriageResult:
    evidence: list[dict[str, object]] = []
    # Similar tickets vote on the system only when the text itself names one (or a
    # department): for a text that names none, the nearest tickets are near by chance, and
    # their system would be an invented one ("系统有问题，用不了" is not an EMR outage). The
    # symptom they may always suggest: how a problem shows is what the text does describe.
    about_system = bool(linked_systems or linked_departments)
    system_votes = _vote("system", linked_systems, neighbours, [] if not about_system else evidence)
    if not about_system and _share(system_votes, _winner(system_votes)) < NEIGHBOUR_AGREEMENT:
        system_votes = {}
    elif not about_system:
        system_votes = _vote("system", linked_systems, neighbours, evidence)
    symptom_votes = _vote("symptom", linked_symptoms, neighbours, evidence)
    symptom = _winner(symptom_votes)
    department_votes = _vote("department", linked_departments, neighbours if about_system else [], evidence)
    system = _winner(system_votes)
    department = _winner(department_votes)
    alternatives = {
        name: runners for name, runners in (
            ("system", _runners_up(system_votes, system)),
            ("department", _runners_up(department_votes, department)),
        ) if runners
    }
    if department is None and system is not None:
        department = DEFAULT_DEPARTMENT.get(system)
        evidence.append({"source": "default", "field": "department", "value": department})
    # The priority reads what the text says: a system, department or symptom only the
    # similar tickets suggest must not raise it (a vague "nobody can work" is asked about,
    # not sent as an operating-room emergency because a near ticket was one).
    # The rules decide and explain; a trained priority model (routing.priority_model) may
    # move their level by one step, never across a hard floor; without one the rules alone.
    decision = decide_priority(
        text,
        system if about_system else None,
        symptom if linked_symptoms or about_system else None,
        department if about_system else None,
    )
    evidence.append({"source": "rule", "field": "priority", "value": decision.priority, "rule": decision.rule})
    clarify = "which_system" if system is None else "which_symptom" if symptom is None else None
    low = (clarify is not None or _share(system_votes, system) < CONFIDENT_SHARE
           or _share(symptom_votes, symptom) < CONFIDENT_SHARE)
    if low and clarify is None:
        clarify = "which_system" if _share(system_votes, system) < CONFIDENT_SHARE else "which_symptom"
    if clarify is None and not decision.reasons and decision.priority in ("P2", "P3"):
        # Nothing in the text said how far it reaches (one PC, a ward, the hospital), a
        # workaround, or a critical place: the level is the rules' default, so the reporter
        # is asked the one question that would settle it.
        clarify = "which_impact"
    return TriageResult(system, symptom, department, decision.priority, decision.rule, evidence,
                        alternatives, decision.reasons, low, clarify)
