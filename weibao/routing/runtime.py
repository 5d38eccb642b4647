"""Wires the ticket desk to a knowledge base and loads the seed operations data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from weibao.core.db import session_scope
from weibao.graph.knowledge_graph import TicketRecord
from weibao.kb.service import KnowledgeBase, article_record
from weibao.routing.desk import TicketDesk
from weibao.routing.knowledge_loop import ticket_document
from weibao.routing.models import Engineer, Resolution, Ticket
from weibao.routing.seed import SeedReport, load_seed


def resolved_pairs(session, codes: list[str] | None = None):  # type: ignore[no-untyped-def]
    query = select(Ticket, Resolution).join(Resolution, Resolution.ticket_id == Ticket.id)
    if codes is not None:
        query = query.where(Ticket.code.in_(codes))
    return session.execute(query.order_by(Ticket.id)).all()


def add_tickets_to_graph(desk: TicketDesk) -> int:
    """Rebuilds the knowledge graph with every article and resolved ticket (at start-up).

    One pass over plain rows: with 100k tickets, ORM objects and per-ticket inserts
    would dominate the start-up.
    """
    graph = desk.kb.graph
    if graph is None:
        return 0
    with session_scope(desk.sessions) as session:
        names = dict(session.execute(select(Engineer.id, Engineer.name)).all())
        rows = session.execute(
            select(Ticket.code, Ticket.title, Ticket.system, Ticket.symptom, Ticket.department,
                   Resolution.fix_ids, Resolution.resolved_by)
            .join(Resolution, Resolution.ticket_id == Ticket.id)
            .order_by(Ticket.id)
        ).all()
    tickets = [
        TicketRecord(code, title, system, symptom, department, tuple(fix_ids or ()), engineer, names.get(engineer))
        for code, title, system, symptom, department, fix_ids, engineer in rows
    ]
    graph.build((article_record(a) for a in desk.kb.list_articles()), tickets)
    return len(tickets)


def open_desk(kb: KnowledgeBase) -> TicketDesk:
    desk = TicketDesk(kb, kb.sessions, keep_original=kb.settings.keep_original_text)
    add_tickets_to_graph(desk)
    return desk


def seed_operations(kb: KnowledgeBase, folder: Path) -> SeedReport:
    """Loads hospitals, engineers and historical tickets; indexes the new tickets."""
    with session_scope(kb.sessions) as session:
        report = load_seed(session, folder)
    if report.new_ticket_codes:
        with session_scope(kb.sessions) as session:
            documents = [ticket_document(t, r) for t, r in resolved_pairs(session, report.new_ticket_codes)]
        kb.index_documents(documents)
    return report
