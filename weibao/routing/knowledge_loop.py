"""A resolved ticket feeds the knowledge base back: index, graph, and draft articles."""

from __future__ import annotations

from weibao.graph.knowledge_graph import TicketRecord
from weibao.kb.passages import SearchDocument
from weibao.kb.tokenize import cjk_ratio
from weibao.routing.models import Resolution, Ticket


def ticket_document(ticket: Ticket, resolution: Resolution) -> SearchDocument:
    """The indexed text: masked problem, root cause and steps; no reporter, no hospital."""
    zh = cjk_ratio(ticket.title + ticket.description) >= 0.3
    steps = "\n".join(f"{i}. {step}" for i, step in enumerate(resolution.fix_steps, start=1))
    heading_problem, heading_cause, heading_fix = (
        ("现象", "原因", "处理步骤") if zh else ("Problem", "Root cause", "Fix steps")
    )
    body = (
        f"## {heading_problem}\n{ticket.description or ticket.title}\n\n"
        f"## {heading_cause}\n{resolution.root_cause}\n\n## {heading_fix}\n{steps}\n"
    )
    return SearchDocument(
        kind="ticket",
        id=ticket.code,
        title=ticket.title,
        body=body,
        systems=[ticket.system] if ticket.system else [],
        symptoms=[ticket.symptom] if ticket.symptom else [],
        departments=[ticket.department] if ticket.department else [],
        audience="it_staff",
        language="zh" if zh else "en",
        hospital_id=ticket.hospital_id,
    )


def ticket_record(ticket: Ticket, resolution: Resolution, engineer_name: str | None) -> TicketRecord:
    return TicketRecord(
        id=ticket.code,
        title=ticket.title,
        system=ticket.system,
        symptom=ticket.symptom,
        department=ticket.department,
        fix_ids=list(resolution.fix_ids or []),
        engineer_id=resolution.resolved_by,
        engineer_name=engineer_name,
    )


def draft_article_markdown(ticket: Ticket, resolution: Resolution) -> str:
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(resolution.fix_steps, start=1))
    return (
        f"## 现象\n{ticket.description or ticket.title}\n\n"
        f"## 原因\n{resolution.root_cause}\n\n"
        f"## 排查\n1. 核对现象与工单 {ticket.code} 是否一致。\n\n"
        f"## 处理步骤\n{steps}\n\n"
        f"## 何时升级\n按以上步骤处理无效时，联系厂商二线并附上工单号 {ticket.code}。\n"
    )
