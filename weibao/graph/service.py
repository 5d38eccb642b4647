"""The knowledge graph as a service: derived from the database, kept in step by changes.

The graph holds nothing the database does not: published articles (their systems,
symptoms, departments and fixes) and resolved tickets (their fixes and the engineer who
resolved them, with the engineer's name). `build_from_database` makes it in one pass over
plain rows; `apply` takes one change; `refresh` re-reads a few documents and applies what
it finds, so a reload, another process's write or a missed notification can only bring the
graph closer to the database, never drop ticket or engineer facts.

What the rows are is the `GraphSource`'s business (the wiring passes one that knows the
kb and routing tables): this package still imports neither of them, nor the database.
Every call takes the service's lock, so a change notification arriving on another thread
never meets a query half-way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from weibao.graph.knowledge_graph import ArticleRecord, KnowledgeGraph, TicketRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

ARTICLE = "article"
TICKET = "ticket"


# ---- changes -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ArticleUpserted:
    """A published article, new or changed."""

    record: ArticleRecord


@dataclass(frozen=True, slots=True)
class ArticleRemoved:
    """An article deleted or no longer published."""

    article_id: str


@dataclass(frozen=True, slots=True)
class TicketResolved:
    """A resolved ticket with its fixes and the engineer credited (replaces an earlier one)."""

    record: TicketRecord


@dataclass(frozen=True, slots=True)
class TicketRemoved:
    """A ticket that no longer has a resolution (or no longer exists)."""

    ticket_id: str


Change = ArticleUpserted | ArticleRemoved | TicketResolved | TicketRemoved


class GraphSource(Protocol):
    """Reads the graph's facts from the database as plain records."""

    def articles(self, session: Session, ids: Collection[str] | None = None) -> list[ArticleRecord]:
        """Published articles (all, or those of `ids` that are published)."""
        ...

    def tickets(self, session: Session, codes: Collection[str] | None = None) -> list[TicketRecord]:
        """Resolved tickets (all, or those of `codes` that are resolved), with the fixes
        applied and the resolving engineer's id and name."""
        ...


SessionFactory = Callable[[], "Session"]


class GraphService:
    """The one way in to the knowledge graph for search, routing, the web and the chat."""

    def __init__(
        self,
        source: GraphSource | None = None,
        sessions: SessionFactory | None = None,
        graph: KnowledgeGraph | None = None,
    ) -> None:
        self.source = source
        self.sessions = sessions
        self._graph = graph if graph is not None else KnowledgeGraph()
        self._lock = threading.RLock()
        self.built = False  # True once built from the database
        # Changes applied while a build reads the database: replayed onto the new graph,
        # so one that committed after the read is not lost by the swap.
        self._during_build: list[Change] | None = None
        self.listening = False  # True once the knowledge base reports applied changes

    # ---- building ----------------------------------------------------------------------
    def build_from_database(self, session: Session) -> dict[str, int]:
        """Replaces the graph with what the database holds, in one pass over plain rows."""
        source = self._require_source()
        started = time.perf_counter()
        with self._lock:
            self._during_build = []
        try:
            articles = source.articles(session)
            tickets = source.tickets(session)
            graph = KnowledgeGraph().build(articles, tickets)
            with self._lock:
                self._graph = graph  # swapped whole: queries never see a half-built graph
                for change in self._during_build:
                    self._apply_to(graph, change)
                self.built = True
        finally:
            with self._lock:
                self._during_build = None
        took = time.perf_counter() - started
        log.info("knowledge graph: %d articles, %d resolved tickets in %.2f s",
                 len(articles), len(tickets), took)
        return {"articles": len(articles), "tickets": len(tickets)}

    def rebuild(self) -> dict[str, int]:
        """`build_from_database` in a session of its own."""
        with self._session() as session:
            return self.build_from_database(session)

    def apply(self, change: Change) -> None:
        """Applies one change; applying the same change twice leaves the graph as once."""
        with self._lock:
            self._apply_to(self._graph, change)
            if self._during_build is not None:
                self._during_build.append(change)

    @staticmethod
    def _apply_to(graph: KnowledgeGraph, change: Change) -> None:
        if isinstance(change, ArticleUpserted):
            graph.upsert_article(change.record)
        elif isinstance(change, ArticleRemoved):
            graph.remove_article(change.article_id)
        elif isinstance(change, TicketResolved):
            graph.add_ticket(change.record)
        elif isinstance(change, TicketRemoved):
            graph.remove_ticket(change.ticket_id)
        else:  # pragma: no cover - the union above is closed
            raise TypeError(f"not a graph change: {change!r}")

    def changes_for(self, session: Session, doc_keys: Iterable[tuple[str, str]]) -> list[Change]:
        """What the database says now about these documents, as changes to apply."""
        source = self._require_source()
        article_ids = sorted({doc_id for kind, doc_id in doc_keys if kind == ARTICLE})
        ticket_codes = sorted({doc_id for kind, doc_id in doc_keys if kind == TICKET})
        changes: list[Change] = []
        if article_ids:
            found = {r.id: r for r in source.articles(session, article_ids)}
            changes += [ArticleUpserted(found[a]) if a in found else ArticleRemoved(a) for a in article_ids]
        if ticket_codes:
            found_t = {r.id: r for r in source.tickets(session, ticket_codes)}
            changes += [TicketResolved(found_t[c]) if c in found_t else TicketRemoved(c) for c in ticket_codes]
        return changes

    def refresh(self, doc_keys: Iterable[tuple[str, str]]) -> int:
        """Re-reads these documents ("article", id) / ("ticket", code) and applies them.

        The knowledge base calls this after it applied a change to its search index, its
        own or another process's. Returns the number of changes applied.
        """
        keys = list(doc_keys)
        if not keys or self.source is None or self.sessions is None:
            return 0
        with self._session() as session:
            changes = self.changes_for(session, keys)
        for change in changes:
            self.apply(change)
        return len(changes)

    def listen_to(self, kb: Any) -> bool:
        """Registers `refresh` with a knowledge base that reports the documents it applied
        (`kb.add_listener(fn)`, fn(doc_keys)); False when it cannot report them yet."""
        add_listener = getattr(kb, "add_listener", None)
        if add_listener is None or self.source is None or self.sessions is None:
            return False
        add_listener(self.refresh)
        self.listening = True
        return True

    # ---- queries -----------------------------------------------------------------------
    def related(
        self, system: str | None = None, symptom: str | None = None, limit: int = 10
    ) -> list[dict[str, Any]]:
        """Known fixes for a system and/or symptom with their articles and engineers."""
        with self._lock:
            return self._graph.related(system, symptom, limit)

    def neighbourhood(self, system_id: str, **limits: int) -> dict[str, Any]:
        """A system's symptoms, fixes, articles and departments with the edges between."""
        with self._lock:
            return self._graph.neighbourhood(system_id, **limits)

    def engineer_history(self, system: str | None, symptom: str | None) -> dict[str, int]:
        """Engineer id → resolved tickets of this system and symptom (triage, assignment)."""
        with self._lock:
            return self._graph.engineer_record(system, symptom)

    engineer_record = engineer_history  # the KnowledgeGraph name, for callers not moved yet

    def articles_about(
        self, systems: Iterable[str], symptoms: Iterable[str]
    ) -> dict[str, tuple[set[str], set[str]]]:
        """The article index for search: id → (systems, symptoms) of those it covers."""
        with self._lock:
            return self._graph.articles_about(list(systems), list(symptoms))

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return self._graph.stats()

    # Thin shims with the KnowledgeGraph names, for the chat until it moves to `apply`.
    def add_ticket(self, record: TicketRecord) -> None:
        self.apply(TicketResolved(record))

    def upsert_article(self, record: ArticleRecord) -> None:
        self.apply(ArticleUpserted(record))

    def remove_article(self, article_id: str) -> None:
        self.apply(ArticleRemoved(article_id))

    # ---- internals ---------------------------------------------------------------------
    def _require_source(self) -> GraphSource:
        if self.source is None:
            raise RuntimeError("this graph service has no database source")
        return self.source

    def _session(self) -> Session:
        if self.sessions is None:
            raise RuntimeError("this graph service has no database sessions")
        return self.sessions()
