"""Which ticket events notify whom, and the words they are told.

Nothing a person typed leaves the desk: a message holds the ticket's code, its system,
symptom and priority as taxonomy names, the event in words and a link; never the title,
description, comments, reasons, the reporter or patient. What the recipient needs beyond
that is behind the link, after sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.routing.models import STATUS_NAMES, Ticket, TicketEvent

HOSPITAL = "hospital"
ENGINEER = "engineer"


@dataclass(frozen=True, slots=True)
class Notice:
    """One event's notice to one side: the topic, the recipients' owner, the words."""

    topic: str
    owner_kind: str
    owner_id: str
    subject: str
    body: str


_WORDS = {
    ("assignment", ENGINEER): "有新工单分派给您",
    ("assignment", HOSPITAL): "工单已分派给工程师处理",
    ("escalation", ENGINEER): "工单已升级，转由您处理",
    ("escalation", HOSPITAL): "工单已升级处理",
    ("sla_warning", ENGINEER): "工单即将超过服务时限",
    ("sla_breached", ENGINEER): "工单已超过服务时限",
    ("reply", ENGINEER): "报修人回复了工单",
    ("reopened", ENGINEER): "报修人重新打开了工单：问题仍未解决",
    ("reply", HOSPITAL): "工程师回复了您的工单",
    ("resolution", HOSPITAL): "工单已解决，请确认或评价",
}


def _recipients(event: TicketEvent, ticket: Ticket, from_reporter: bool) -> list[tuple[str, str, str]]:
    """(topic, owner kind, wording key) for each side that hears of this event."""
    kind, detail = event.kind, event.detail or {}
    if kind in ("assigned", "reassigned"):
        return [("assignment", ENGINEER, "assignment"), ("assignment", HOSPITAL, "assignment")]
    if kind == "escalated":
        to_engineer = detail.get("to") not in (None, "service_manager")
        out = [("escalation", HOSPITAL, "escalation")]
        return [("escalation", ENGINEER, "escalation"), *out] if to_engineer else out
    if kind == "sla_warning":
        return [("sla_warning", ENGINEER, "sla_warning")]
    if kind == "sla_breached":
        return [("sla_warning", ENGINEER, "sla_breached")]
    if kind == "commented":
        if detail.get("internal"):
            return []  # an engineers' note stays inside the vendor
        if from_reporter:
            return [("reply", ENGINEER, "reply")]
        return [("reply", HOSPITAL, "reply")]
    if kind == "reopened":
        return [("reply", ENGINEER, "reopened")]
    if kind == "resolved":
        return [("resolution", HOSPITAL, "resolution")]
    return []


def notices(
    event: TicketEvent, ticket: Ticket, from_reporter: bool, base_url: str, holder: str | None,
) -> list[Notice]:
    """The notices an event gives: to the hospital, and to the ticket's engineer.

    `holder` is the engineer who held the ticket when the event happened (from the event
    log, not the ticket's assignee now), so a notice never depends on when it is queued.
    """
    out = []
    for topic, side, words_key in _recipients(event, ticket, from_reporter):
        if side == ENGINEER:
            # The engineer the event named (a later reassignment has its own event).
            named = (event.detail or {}).get("engineer_id") or (event.detail or {}).get("to")
            owner = str(named) if event.kind in ("assigned", "reassigned", "escalated") and named \
                else holder
            if not owner:
                continue
        else:
            owner = ticket.hospital_id
        words = _WORDS[(words_key, side)]
        system = SYSTEMS[ticket.system].name("zh") if ticket.system in SYSTEMS else "未分类系统"
        symptom = SYMPTOMS[ticket.symptom].name("zh") if ticket.symptom in SYMPTOMS else "未分类问题"
        status = STATUS_NAMES.get(ticket.status, (ticket.status, ""))[0]
        subject = f"[维保] {ticket.code} {words}"
        body = "\n".join([
            words,
            f"工单：{ticket.code}",
            f"系统：{system}；问题：{symptom}",
            f"紧急程度：{ticket.priority}；当前状态：{status}",
            f"查看详情（需登录）：{base_url.rstrip('/')}/tickets/{ticket.code}",
        ])
        out.append(Notice(topic, side, owner, subject, body))
    return out
