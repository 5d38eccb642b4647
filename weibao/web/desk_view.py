"""The desk's records as people read them: local times with relative phrases, events in
words, the assignment's reasons per factor and refusals in the UI language.

Presentation only: the facts come from the desk; this picks the words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.routing.calendars import zone
from weibao.routing.errors import Conflict, DeskError, Forbidden, Invalid, NotFound
from weibao.routing.lifecycle import TRANSITIONS
from weibao.routing.matching import WEIGHTS
from weibao.routing.models import TicketEvent

Translate = Callable[[str], str]

# The triage's priority rules (routing.triage.priority_for) by how they begin.
RULE_KEYS = (
    ("ransomware", "desk_rule_ransom"),
    ("outage in a patient-safety", "desk_rule_safety_outage"),
    ("core business system", "desk_rule_core_down"),
    ("how-to", "desk_rule_how_to"),
    ("many users", "desk_rule_many_users"),
    ("a non-core service", "desk_rule_non_core_down"),
    ("degraded function in a patient-safety", "desk_rule_safety_degraded"),
    ("core function degraded", "desk_rule_degraded"),
    ("partial problem", "desk_rule_partial"),
    ("unknown system", "desk_rule_unknown_system"),
    # Impact-aware rules (routing.priority.decide); their words live in locale/*/LC_MESSAGES/understanding.po.
    ("security incident", "understanding_rule_security"),
    ("monitoring warning", "understanding_rule_alert_warning"),
    ("patient-safety area", "understanding_rule_safety_stopped"),
    ("patient safety at risk", "understanding_rule_safety_risk"),
    ("queue in a patient-safety area", "understanding_rule_safety_queue"),
    ("hospital-wide but degraded", "understanding_rule_hospital_slow"),
    ("hospital-wide", "understanding_rule_hospital_wide"),
    ("a question about a warning", "understanding_rule_impact_question"),
    ("figures disagree", "understanding_rule_mismatch"),
    ("part of an output", "understanding_rule_partial_output"),
    ("patients wait at a step", "understanding_rule_waiting"),
    ("critical monitoring alert", "understanding_rule_alert_critical"),
    ("a service is down", "understanding_rule_service_down"),
    ("core system slow", "understanding_rule_core_slow"),
    ("storage filling", "understanding_rule_storage"),
    ("core function failing", "understanding_rule_core_failing"),
)
# Reasons the desk writes itself (assignment, escalation, the SLA check).
REASON_KEYS = (
    ("best-matched eligible engineer", "desk_reason_best_match"),
    ("no engineer qualifies", "desk_reason_nobody_qualifies"),
    ("no higher-tier engineer available", "desk_reason_no_higher_tier"),
    ("response target breached", "desk_reason_response_breached"),
    ("resolution target breached", "desk_reason_resolution_breached"),
)
SYSTEM_ACTORS = {"system": "desk_system_actor", "sla-check": "desk_sla_check_actor"}
# Events the desk makes on its own, whoever's request set them off.
SYSTEM_KINDS = ("assigned", "assignment_skipped", "sla_warning", "sla_breached", "sla_ok")


def fmt(t: Translate, key: str, **values: object) -> str:
    text = t(key)
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def local_time(value: datetime | None, tz: str, lang: str, now: datetime | None = None) -> str:
    """「12月1日 14:30」 (a year only when it is not this year) in the hospital's zone."""
    if value is None:
        return ""
    local = value.astimezone(zone(tz))
    this_year = (now or datetime.now(local.tzinfo)).astimezone(zone(tz)).year
    if lang == "zh":
        day = f"{local.month}月{local.day}日"
        return (f"{local.year}年{day}" if local.year != this_year else day) + local.strftime(" %H:%M")
    day = local.strftime("%d %b").lstrip("0")
    return (f"{day} {local.year}" if local.year != this_year else day) + local.strftime(" %H:%M")


def span(minutes: float, t: Translate) -> str:
    """A duration in the largest sensible unit: 45 分钟, 3 小时 20 分钟, 2 天."""
    whole = int(abs(minutes))
    if whole < 60:
        return fmt(t, "desk_span_minutes", n=max(whole, 1))
    hours, rest = divmod(whole, 60)
    if hours < 48:
        if hours < 10 and rest:
            return fmt(t, "desk_span_hours_minutes", h=hours, m=rest)
        return fmt(t, "desk_span_hours", n=hours)
    return fmt(t, "desk_span_days", n=round(hours / 24))


def relative(value: datetime | None, now: datetime, t: Translate) -> str:
    """「3 小时前」 or 「2 天后」."""
    if value is None:
        return ""
    minutes = (value - now).total_seconds() / 60
    if abs(minutes) < 1:
        return t("desk_just_now")
    return fmt(t, "desk_in" if minutes > 0 else "desk_ago", span=span(minutes, t))


def due_phrase(due: datetime, now: datetime, t: Translate) -> str:
    """「3 小时后超时」 or 「已超时 20 分钟」 (wall-clock time to the due time)."""
    minutes = (due - now).total_seconds() / 60
    return fmt(t, "desk_due_in" if minutes >= 0 else "desk_overdue_by", span=span(minutes, t))


def rule_words(rule: str, t: Translate) -> str:
    """The triage rule in words; a rule this table does not know yet is named generically
    in the Chinese UI rather than shown in English."""
    for start, key in RULE_KEYS:
        if rule.startswith(start):
            return t(key)
    return rule if t("desk_lang_code") == "en" else t("desk_rule_other")


def reason_words(reason: str, t: Translate) -> str:
    """A reason the desk wrote, in the UI language; a person's own words as written."""
    for start, key in REASON_KEYS:
        if reason.startswith(start):
            return t(key)
    return reason


@dataclass(frozen=True, slots=True)
class EventLine:
    at: datetime
    actor: str
    text: str
    reason: str


def event_line(
    event: TicketEvent, t: Translate, engineer_name: Callable[[str | None], str],
    status_name: Callable[[str], str],
) -> EventLine:
    """One history line in words: who, what (names, not ids), why."""
    detail: Mapping[str, object] = event.detail or {}
    kind = event.kind

    def who(value: object) -> str:
        if value == "service_manager":
            return t("role_manager")
        return engineer_name(str(value)) if value else t("desk_nobody")

    if kind == "created":
        channel = str(detail.get("channel", "web"))
        text = fmt(t, "desk_event_created", channel=t(f"desk_channel_{channel}"))
    elif kind == "priority_overridden":
        text = fmt(t, "desk_event_priority_overridden", **{"from": detail.get("from"), "to": detail.get("to")})
    elif kind == "assigned":
        text = fmt(t, "desk_event_assigned", name=who(detail.get("engineer_id")))
    elif kind == "assignment_skipped":
        text = fmt(t, "desk_event_assignment_skipped", name=who(detail.get("engineer_id")))
    elif kind == "escalated":
        target = detail.get("to")
        text = (t("desk_event_escalated_manager") if target == "service_manager"
                else fmt(t, "desk_event_escalated_to", name=who(target)))
    elif kind == "status_changed":
        to = str(detail.get("to", ""))
        text = (t("desk_event_paused") if to == "pending_customer" else
                fmt(t, "desk_event_status_changed", **{"from": status_name(str(detail.get("from", ""))),
                                                       "to": status_name(to)}))
    elif kind == "reassigned":
        text = fmt(t, "desk_event_reassigned", **{"from": who(detail.get("from")), "to": who(detail.get("to"))})
    elif kind in ("sla_warning", "sla_breached", "sla_ok"):
        target = t(f"desk_target_{detail.get('target', 'resolution')}")
        text = fmt(t, f"desk_event_{kind}", target=target, percent=round(float(str(detail.get("percent", 0)))))
    elif kind == "commented":
        text = t("desk_event_commented_internal" if detail.get("internal") else "desk_event_commented")
    elif kind == "corrected":
        text = t("desk_event_corrected") + corrected_words(detail, t)
    elif kind in ("reopened", "resolved", "promoted"):
        text = t(f"desk_event_{kind}")
    else:
        known = t(f"desk_event_{kind}")
        text = known if known != f"desk_event_{kind}" else t("desk_event_other")
    if kind in SYSTEM_KINDS or event.actor in SYSTEM_ACTORS:
        actor = t(SYSTEM_ACTORS.get(event.actor, "desk_system_actor"))
    else:
        actor = event.actor
    return EventLine(event.at, actor, text, reason_words(event.reason or "", t))


def corrected_words(detail: Mapping[str, object], t: Translate) -> str:
    """「：系统 检验信息系统 → 终端，优先级 P3 → P2」 for the fields a correction changed."""
    before, after = detail.get("from"), detail.get("to")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ""
    lang = "en" if t("desk_lang_code") == "en" else "zh"
    names: dict[str, Mapping[str, Any]] = {"system": SYSTEMS, "symptom": SYMPTOMS}
    parts = []
    for field, label in (("system", "systems"), ("symptom", "symptoms"), ("priority", "priority")):
        old, new = before.get(field), after.get(field)
        if old == new:
            continue

        def word(value: object, field: str = field) -> str:
            table = names.get(field)
            if value is None:
                return t("desk_unknown")
            return table[str(value)].name(lang) if table and str(value) in table else str(value)

        parts.append(f"{t(label)} {word(old)} → {word(new)}")
    return (t("desk_colon") + t("desk_comma").join(parts)) if parts else ""


@dataclass(frozen=True, slots=True)
class FactorRow:
    key: str
    label: str
    got: float
    weight: float

    @property
    def percent(self) -> int:
        return round(100 * self.got / self.weight) if self.weight else 0


def factor_rows(factors: Mapping[str, object], t: Translate) -> list[FactorRow]:
    """The assignment's factors, strongest share first, each against its weight."""
    rows = [
        FactorRow(key, t(f"desk_factor_{key}"), float(str(factors.get(key, 0.0))), weight)
        for key, weight in WEIGHTS.items()
    ]
    return sorted(rows, key=lambda r: -r.percent)


def refusal(exc: DeskError, t: Translate, status: str, status_name: Callable[[str], str]) -> str:
    """Why the desk refused, in the UI language (never its English message)."""
    if isinstance(exc, Forbidden):
        return t("desk_refused_no_profile" if "not linked" in exc.message else "desk_refused_not_assignee")
    if isinstance(exc, Conflict):
        if exc.message.startswith("cannot go from"):
            target = exc.message.split(" to ", 1)[1].split(";", 1)[0]
            allowed = "、".join(status_name(s) for s in TRANSITIONS.get(status, ())) or t("desk_none_value")
            return fmt(t, "desk_refused_move", status=status_name(status), target=status_name(target),
                       allowed=allowed)
        return fmt(t, "desk_refused_status", status=status_name(status))
    if isinstance(exc, NotFound) and exc.field == "engineer_id":
        return t("desk_refused_unknown_engineer")
    if isinstance(exc, Invalid) and exc.message.startswith("give at least one"):
        return t("desk_refused_no_change")
    if isinstance(exc, Invalid) and exc.field:
        field = t(f"desk_field_{exc.field}")
        return fmt(t, "desk_refused_missing", field=field)
    return t("desk_refused_generic")
