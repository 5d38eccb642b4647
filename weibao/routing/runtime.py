"""Wires the ticket desk and the graph service to a knowledge base; loads the seed data."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from weibao.core.db import session_scope
from weibao.graph.knowledge_graph import ArticleRecord, FixRecord, TicketRecord
from weibao.graph.service import GraphService
from weibao.kb.models import Article
from weibao.kb.service import PUBLISHED, KnowledgeBase
from weibao.routing.desk import TicketDesk
from weibao.routing.knowledge_loop import ticket_document
from weibao.routing.models import Engineer, Resolution, Ticket
from weibao.routing.seed import SeedReport, load_seed


def resolved_pairs(
    session: Session, codes: list[str] | None = None
) -> Sequence[Row[Ticket, Resolution]]:
    query = select(Ticket, Resolution).join(Resolution, Resolution.ticket_id == Ticket.id)
    if codes is not None:
        query = query.where(Ticket.code.in_(codes))
    return session.execute(query.order_by(Ticket.id)).all()


class DatabaseGraphSource:
    """The graph's facts as plain rows: published articles, resolved tickets, engineers.

    Plain column rows, not ORM objects: with 100k tickets, loading objects would dominate
    the start-up.
    """

    def articles(self, session: Session, ids: Collection[str] | None = None) -> list[ArticleRecord]:
        query = select(
            Article.id, Article.title, Article.systems, Article.symptoms, Article.departments,
            Article.fixes,
        ).where(Article.status == PUBLISHED)
        if ids is not None:
            query = query.where(Article.id.in_(list(ids)))
        return [
            ArticleRecord(
                id=article_id, title=title, systems=list(systems or ()),
                symptoms=list(symptoms or ()), departments=list(departments or ()),
                fixes=[FixRecord(id=f["id"], title=f.get("title", "")) for f in fixes or ()],
            )
            for article_id, title, systems, symptoms, departments, fixes in session.execute(
                query.order_by(Article.id)
            )
        ]

    def tickets(self, session: Session, codes: Collection[str] | None = None) -> list[TicketRecord]:
        query = (
            select(Ticket.code, Ticket.title, Ticket.system, Ticket.symptom, Ticket.department,
                   Resolution.fix_ids, Resolution.resolved_by, Engineer.name)
            .join(Resolution, Resolution.ticket_id == Ticket.id)
            .outerjoin(Engineer, Engineer.id == Resolution.resolved_by)
        )
        if codes is not None:
            query = query.where(Ticket.code.in_(list(codes)))
        return [
            TicketRecord(code, title, system, symptom, department, tuple(fix_ids or ()), engineer, name)
            for code, title, system, symptom, department, fix_ids, engineer, name in session.execute(
                query.order_by(Ticket.id)
            )
        ]


def open_graph(kb: KnowledgeBase) -> GraphService:
    """The graph service built from the database, attached to the knowledge base (search's
    graph context, the chat) and kept in step with every change the index applies."""
    graph = GraphService(DatabaseGraphSource(), kb.sessions)
    graph.rebuild()
    kb.attach_graph(kb.linker, graph)
    graph.listen_to(kb)
    return graph


def add_tickets_to_graph(desk: TicketDesk) -> int:
    """Rebuilds the desk's graph from the database (articles, resolved tickets, engineers)."""
    graph = desk.graph
    if graph is None:
        return 0
    return graph.rebuild()["tickets"]


def open_desk(kb: KnowledgeBase, graph: GraphService | None = None) -> TicketDesk:
    graph = graph or open_graph(kb)
    return TicketDesk(kb, kb.sessions, keep_original=kb.settings.keep_original_text, graph=graph)


def seed_operations(kb: KnowledgeBase, folder: Path) -> SeedReport:
    """Loads hospitals, engineers and historical tickets; indexes the new tickets."""
    with session_scope(kb.sessions) as session:
        report = load_seed(session, folder)
    if report.new_ticket_codes:
        with session_scope(kb.sessions) as session:
            documents = [ticket_document(t, r) for t, r in resolved_pairs(session, report.new_ticket_codes)]
        kb.index_documents(documents)
    return report
