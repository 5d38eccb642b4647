"""Wires the ticket desk to a knowledge base and loads the seed operations data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from weibao.core.db import session_scope
from weibao.kb.service import KnowledgeBase
from weibao.routing.desk import TicketDesk
from weibao.routing.knowledge_loop import ticket_document, ticket_record
from weibao.routing.models import Engineer, Resolution, Ticket
from weibao.routing.seed import SeedReport, load_seed


def resolved_pairs(session, codes: list[str] | None = None):  # type: ignore[no-untyped-def]
    query = select(Ticket, Resolution).join(Resolution, Resolution.ticket_id == Ticket.id)
    if codes is not None:
        query = query.where(Ticket.code.in_(codes))
    return session.execute(query.order_by(Ticket.id)).all()


def add_tickets_to_graph(desk: TicketDesk) -> int:
    """Puts every resolved ticket into the knowledge graph (at start-up)."""
    graph = desk.kb.graph
    if graph is None:
        return 0
    with session_scope(desk.sessions) as session:
        names = dict(session.execute(select(Engineer.id, Engineer.name)).all())
        records = [
            ticket_record(t, r, names.get(r.resolved_by)) for t, r in resolved_pairs(session)
        ]
    for record in records:
        graph.add_ticket(record)
    return len(records)


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
