"""The knowledge base as the rest of WeiBao sees it: ingest, search, read articles."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from weibao.core.db import session_scope
from weibao.core.settings import Settings
from weibao.kb.embedding import Embedder, resolve_model_path
from weibao.kb.graph_context import graph_context, understanding_from
from weibao.kb.index import IndexMismatchError, SearchIndex
from weibao.kb.indexer import sync_documents
from weibao.kb.ingest import IngestReport, ingest_sources, read_sources
from weibao.kb.models import Article, ArticleVersion, Chunk
from weibao.kb.passages import SearchDocument, write_chunks
from weibao.kb.search import DocumentHit, SearchOptions, Understanding, hybrid_search
from weibao.kb.tokenize import Tokenizer

if TYPE_CHECKING:
    from weibao.graph.knowledge_graph import ArticleRecord, KnowledgeGraph
    from weibao.graph.linking import EntityLinker, LinkResult

log = logging.getLogger(__name__)

TOKENIZER_VERSION = "2"
PUBLISHED = "published"


@dataclass(slots=True)
class SearchResult:
    query: str
    took_ms: float
    hits: list[DocumentHit]
    understanding: Understanding = field(default_factory=Understanding)


class KnowledgeBase:
    """Owns the tokenizer, the embedding model and the index; reads and writes the DB."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        embedder: Embedder | None = None,
        domain_words: list[str] | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self._embedder = embedder
        self._domain_words = sorted(set(domain_words or []))
        self._tokenizer: Tokenizer | None = None
        self._index: SearchIndex | None = None
        self._loaded_generation: str | None = None
        self._lock = threading.RLock()
        self.linker: EntityLinker | None = None
        self.graph: KnowledgeGraph | None = None

    def attach_graph(self, linker: EntityLinker, graph: KnowledgeGraph) -> None:
        """Entity linking and the knowledge graph turn on expansion and re-ranking."""
        self.linker = linker
        self.graph = graph

    # ---- components ----------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            path = resolve_model_path(self.settings.embed_model)
            self._embedder = Embedder(
                path, self.settings.embed_batch_size, self.settings.embed_max_tokens
            )
        return self._embedder

    @property
    def tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            self._tokenizer = Tokenizer(self._domain_words)
        return self._tokenizer

    @property
    def tokenizer_signature(self) -> str:
        digest = hashlib.sha256("\n".join(self._domain_words).encode("utf-8")).hexdigest()
        return f"{TOKENIZER_VERSION}:{digest[:16]}"

    @property
    def index(self) -> SearchIndex:
        if self._index is None:
            self.open()
        assert self._index is not None
        return self._index

    # ---- index lifecycle -----------------------------------------------------------
    def _load_or_new(self) -> SearchIndex:
        embedder = self.embedder
        try:
            loaded = SearchIndex.load(
                self.settings.index_dir, embedder.name, embedder.dimension, self.tokenizer_signature
            )
        except IndexMismatchError as exc:
            log.warning("rebuilding the search index: %s", exc)
            loaded = None
        return loaded or SearchIndex(embedder.dimension, embedder.name, self.tokenizer_signature)

    def open(self) -> int:
        """Loads the persisted index and indexes whatever the database has that it lacks.

        Returns the number of chunks that had to be embedded (0 on a clean restart).
        """
        with self._lock:
            index = self._load_or_new()
            before = index.generation
            with session_scope(self.sessions) as session:
                embedded = sync_documents(session, index, self.embedder, self.tokenizer)
            if index.generation != before or SearchIndex.current_generation(self.settings.index_dir) is None:
                index.save(self.settings.index_dir)
            self._index = index
            self._loaded_generation = SearchIndex.current_generation(self.settings.index_dir)
            if self.graph is not None:
                self.graph.build(article_record(a) for a in self.list_articles())
            return embedded

    def reload_if_changed(self) -> bool:
        """Picks up an index that another process (the CLI's ingest) has saved."""
        current = SearchIndex.current_generation(self.settings.index_dir)
        if current is None or current == self._loaded_generation:
            return False
        self.open()
        return True

    def reindex(self, doc_keys: set[tuple[str, str]]) -> int:
        """Re-indexes these documents after their chunks changed in the database."""
        with self._lock:
            index = self.index
            with session_scope(self.sessions) as session:
                count = sync_documents(session, index, self.embedder, self.tokenizer, doc_keys)
            index.save(self.settings.index_dir)
            self._loaded_generation = SearchIndex.current_generation(self.settings.index_dir)
            return count

    def index_documents(self, docs: list[SearchDocument]) -> int:
        """Stores the documents' passages and indexes them (replacing earlier versions)."""
        if not docs:
            return 0
        with session_scope(self.sessions) as session:
            for doc in docs:
                write_chunks(session, doc, self.settings.chunk_chars)
        return self.reindex({(d.kind, d.id) for d in docs})

    def remove_documents(self, kind: str, ids: list[str]) -> None:
        with session_scope(self.sessions) as session:
            session.execute(delete(Chunk).where(Chunk.doc_kind == kind, Chunk.doc_id.in_(ids)))
        self.reindex({(kind, i) for i in ids})

    # ---- ingestion -----------------------------------------------------------------
    def ingest(self, path: Path) -> IngestReport:
        report = IngestReport()
        sources = read_sources(path, report)
        with session_scope(self.sessions) as session:
            ingest_sources(session, sources, report, self.settings.chunk_chars)
        if report.changed or self._index is None:
            if self._index is None:
                self.open()
            else:
                self.reindex({("article", a) for a in report.changed})
                if self.graph is not None:
                    for article_id in report.changed:
                        article = self.get_article(article_id)
                        if article is not None:
                            self.graph.upsert_article(article_record(article))
        return report

    # ---- reading -------------------------------------------------------------------
    def search(
        self,
        query: str,
        options: SearchOptions | None = None,
        understanding: Understanding | None = None,
        coverage=None,  # type: ignore[no-untyped-def]
    ) -> SearchResult:
        started = time.perf_counter()
        options = options or SearchOptions()
        with self._lock:
            hits = hybrid_search(
                self.index, self.embedder, self.tokenizer, query, options, understanding, coverage
            )
        took = (time.perf_counter() - started) * 1000
        return SearchResult(query, round(took, 2), hits, understanding or Understanding())

    def link(self, text: str) -> LinkResult | None:
        return self.linker.link(text) if self.linker is not None else None

    def understand(self, text: str) -> tuple[Understanding, LinkResult | None]:
        linked = self.link(text)
        if linked is None:
            return Understanding(), None
        return understanding_from(linked, self.linker), linked

    def search_linked(self, query: str, options: SearchOptions | None = None) -> SearchResult:
        """Links the query to the graph, then searches with expansion, graph candidates and
        re-ranking by how well each hit covers the linked system and symptom."""
        started = time.perf_counter()
        options = options or SearchOptions()
        understanding, _ = self.understand(query) if options.use_graph else (Understanding(), None)
        context = graph_context(understanding, self.graph)
        with self._lock:
            hits = hybrid_search(
                self.index, self.embedder, self.tokenizer, query, options,
                understanding, context.coverage, graph_docs=context.graph_docs,
            )
        took = round((time.perf_counter() - started) * 1000, 2)
        return SearchResult(query, took, hits, understanding)

    def get_article(self, article_id: str, include_drafts: bool = False) -> Article | None:
        """The article, or None; drafts only when asked for (the vendor's own readers)."""
        with session_scope(self.sessions) as session:
            article = session.get(Article, article_id)
        if article is None or (article.status != PUBLISHED and not include_drafts):
            return None
        return article

    def article_history(self, article_id: str) -> list[ArticleVersion]:
        with session_scope(self.sessions) as session:
            return list(
                session.scalars(
                    select(ArticleVersion)
                    .where(ArticleVersion.article_id == article_id)
                    .order_by(ArticleVersion.version.desc())
                )
            )

    def list_articles(self) -> list[Article]:
        """The published articles, by id: what search, the graph and the chat may show."""
        with session_scope(self.sessions) as session:
            query = select(Article).where(Article.status == PUBLISHED).order_by(Article.id)
            return list(session.scalars(query))


def article_record(article: Article) -> ArticleRecord:
    from weibao.graph.knowledge_graph import ArticleRecord, FixRecord

    return ArticleRecord(
        id=article.id,
        title=article.title,
        systems=list(article.systems),
        symptoms=list(article.symptoms),
        departments=list(article.departments),
        fixes=[FixRecord(id=f["id"], title=f["title"]) for f in article.fixes],
    )

