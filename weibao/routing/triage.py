"""Triage: system, symptom and department from the text, and the priority by explicit rules.

Two sources vote: entity linking on the text (graph) and the nearest resolved tickets
(knowledge base). The result keeps the evidence so a person can see why.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

# Votes: the words of the text, and the labels of the most similar resolved tickets. The
# tickets carry the desk's own conventions (a ward's printer is "terminal", an ICU
# nursing chart is "icu"), so they weigh more; measured with `weibao eval --routing`.
LINK_WEIGHT = 1.0
DEFAULT_NEIGHBOUR_WEIGHT = 1.5
NEIGHBOURS_BY_FIELD = {"department": 2.0}
# A runner-up with at least this share of the winner's votes is kept as an alternative:
# matching then prefers engineers who also know it, hedging against a wrong guess.
ALTERNATIVE_SHARE = 0.5

CORE_SYSTEMS = frozenset(
    {"his", "registration", "emr", "lis", "pacs", "insurance", "emergency", "icu",
     "or_anesthesia", "integration", "infrastructure"}
)
SAFETY_SYSTEMS = frozenset({"emergency", "icu", "or_anesthesia"})
SAFETY_DEPARTMENTS = frozenset({"emergency", "surgery", "icu"})
WHOLE_HOSPITAL = re.compile(
    r"全院|整个医院|所有科室|全部科室|所有窗口|全部窗口|各科室都|都打不开|都上不去|都登不上"
    r"|hospital[- ]wide|whole hospital|all departments|every ward|all wards",
    re.I,
)
RANSOM = re.compile(r"勒索|加密了|ransom|encrypted", re.I)
QUESTION = re.compile(r"怎么|如何|怎样|在哪|哪里|能不能|可以.*吗|how (do|to|can)|where (do|can|is)", re.I)
DEGRADING = frozenset(
    {"settlement_failure", "interface_error", "data_sync", "upgrade_regression", "cert_license"}
)

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

    def as_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "symptom": self.symptom,
            "department": self.department,
            "priority": self.priority,
            "priority_rule": self.priority_rule,
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
    scores: dict[str, float] = defaultdict(float)
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
                scores[value] += neighbour_weight * (1 / n.rank) / norm
        for value in {getattr(n, kind) for n in neighbours} - {None}:
            tickets = [n.ticket for n in neighbours if getattr(n, kind) == value]
            evidence.append(
                {"source": "similar_tickets", "field": kind, "value": value,
                 "tickets": tickets[:5], "weight": round(sum(
                     neighbour_weight * (1 / n.rank) / norm for n in neighbours
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
    """(priority, the rule that set it), checked from the most urgent rule down."""
    safety = system in SAFETY_SYSTEMS or department in SAFETY_DEPARTMENTS
    if symptom == "security" and RANSOM.search(text):
        return "P1", "ransomware or encrypted files: whole-hospital security incident"
    if symptom == "outage" and (safety or WHOLE_HOSPITAL.search(text)):
        return "P1", "outage in a patient-safety area (emergency, OR, ICU) or hospital-wide"
    if symptom == "outage" and system in CORE_SYSTEMS:
        return "P1", f"core business system {system} is down"
    if symptom == "how_to" or (symptom is None and QUESTION.search(text)):
        return "P4", "how-to question or request"
    if WHOLE_HOSPITAL.search(text):
        return "P2", "many users affected across the hospital"
    if symptom == "outage":
        return "P2", "a non-core service is down"
    if safety and symptom in {"slow", "crash_error", "device_connect", "data_sync", "interface_error"}:
        return "P2", "degraded function in a patient-safety area"
    if symptom in DEGRADING or symptom == "security":
        return "P2", "core function degraded without a workaround"
    return "P3", "partial problem, a workaround exists"


def triage(
    text: str,
    linked_systems: Sequence[Mentioned],
    linked_symptoms: Sequence[Mentioned],
    linked_departments: Sequence[Mentioned],
    neighbours: Sequence[Neighbour],
) -> TriageResult:
    evidence: list[dict[str, object]] = []
    system_votes = _vote("system", linked_systems, neighbours, evidence)
    symptom = _winner(_vote("symptom", linked_symptoms, neighbours, evidence))
    department_votes = _vote("department", linked_departments, neighbours, evidence)
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
    priority, rule = priority_for(text, system, symptom, department)
    evidence.append({"source": "rule", "field": "priority", "value": priority, "rule": rule})
    return TriageResult(system, symptom, department, priority, rule, evidence, alternatives)
