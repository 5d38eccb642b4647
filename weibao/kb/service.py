"""The knowledge base as the rest of WeiBao sees it: ingest, search, read articles."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from weibao.core.db import session_scope
from weibao.core.settings import Settings
from weibao.kb.changelog import ChangeCursor, log_changes, max_seq
from weibao.kb.embedding import Embedder, open_embedder
from weibao.kb.graph_context import graph_context, understanding_from
from weibao.kb.index import (
    Filters,
    IndexMismatchError,
    SearchIndex,
    current_snapshot_seq,
    write_snapshot,
)
from weibao.kb.indexer import load_documents, rebuild_index
from weibao.kb.ingest import IngestReport, ingest_sources, read_sources
from weibao.kb.models import Article, ArticleVersion, Chunk
from weibao.kb.passages import SearchDocument, embed_documents, write_chunks
from weibao.kb.query import PreparedQuery, language_of
from weibao.kb.search import Coverage, DocumentHit, SearchOptions, Understanding, hybrid_search
from weibao.kb.snapshot import snapshot_lock
from weibao.kb.tokenize import Tokenizer
from weibao.kb.vector_model import claim_vectors, model_identity
from weibao.kb.versions import published_view

if TYPE_CHECKING:
    from weibao.graph.knowledge_graph import ArticleRecord, KnowledgeGraph
    from weibao.graph.linking import EntityLinker, LinkResult
    from weibao.graph.service import GraphService

log = logging.getLogger(__name__)

TOKENIZER_VERSION = "2"
# Index cache upkeep: how often the request path looks at the change log, and when the
# background thread writes a snapshot (after this many applied changes, or this many
# seconds after the first unsaved one).
CATCH_UP_INTERVAL = 0.2
SNAPSHOT_CHECK_SECONDS = 2.0
SNAPSHOT_EVERY_CHANGES = 200
SNAPSHOT_EVERY_SECONDS = 30.0
# Snapshots take at most this share of the time: at 300k passages one writes ~500 MB in
# 5-10 s, and every 30 s its disk traffic slowed the database's own writes (start-up
# replays the change log since the last snapshot, a few minutes of writes at most).
SNAPSHOT_DUTY = 0.05
DocKeys = set[tuple[str, str]]
# Similar English tickets (triage's neighbours): one ticket's text against another's is a
# paraphrase match, where the dense vote counts as much as BM25 (development set: English
# triage system 0.798 -> 0.881, symptom 0.690 -> 0.774). Chinese tickets keep the articles'
# weight: there BM25 on the desk's own words names the system better (门诊收费结算失败 is a
# HIS billing case, not insurance; 生化仪联机失败 a device connection, not data sync).
SIMILAR_TICKETS_DENSE_WEIGHT_EN = 1.0
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
        self._lock = threading.RLock()  # the index: searches, and applying a change
        self._apply_lock = threading.RLock()  # one catch-up (DB read + apply) at a time
        self._cursor = ChangeCursor()
        self._checked_at = float("-inf")
        self._listeners: list[Callable[[DocKeys], None]] = []
        self._snapshot_generation = 0
        self._snapshot_at = time.monotonic()
        self._snapshot_seconds = 0.0  # how long the last snapshot written here took
        self._unusable_snapshot: str | None = None  # the snapshot open() could not load
        self._snapshot_stop: threading.Event | None = None
        self._snapshot_thread: threading.Thread | None = None
        self.linker: EntityLinker | None = None
        # The graph service (weibao.graph.service), derived from the database and kept in
        # step as a listener of this index; `kb.graph` is an alias for callers not moved yet.
        self.graph: GraphService | None = None

    def attach_graph(self, linker: EntityLinker | None, graph: GraphService | KnowledgeGraph) -> None:
        """Entity linking and the graph service turn on expansion and re-ranking. A bare
        KnowledgeGraph is wrapped in a service without a database source (the CLI's)."""
        from weibao.graph.service import GraphService

        self.linker = linker
        self.graph = graph if isinstance(graph, GraphService) else GraphService(graph=graph)

    # ---- components ----------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = open_embedder(
                self.settings.embed_backend, self.settings.embed_model,
                self.settings.embed_batch_size, self.settings.embed_max_tokens,
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
    # The database is the source of truth; this process's index is a cache of it that
    # applies the change log (`weibao.kb.changelog`). A snapshot on disk only makes the
    # next start-up fast; it is written by a background thread, one process at a time.
    @property
    def applied_seq(self) -> int:
        """The change-log seq this process's index has applied."""
        return self._cursor.applied

    def add_listener(self, fn: Callable[[DocKeys], None]) -> None:
        """`fn(doc_keys)` runs after changes to these documents reach this process's index
        (its own writes and ones caught up from the log), outside the index lock."""
        self._listeners.append(fn)

    def _notify(self, keys: DocKeys) -> None:
        for fn in list(self._listeners):
            try:
                fn(set(keys))
            except Exception:
                log.exception("index listener %r failed", fn)

    def open(self) -> int:
        """Loads the newest snapshot (or builds the index from the database when there is
        none or it is unusable) and applies the change log since.

        Returns the number of passages that had to be embedded (0 on a clean restart).
        """
        embedder = self.embedder
        folder = self.settings.index_dir
        with self._apply_lock:
            cleared = self._claim_vectors(model_identity(embedder.name, embedder.dimension))
            try:
                index = None if cleared else SearchIndex.load(
                    folder, embedder.name, embedder.dimension, self.tokenizer_signature
                )
                if index is None and not cleared:
                    log.info("no search index snapshot in %s: building it from the database", folder)
            except IndexMismatchError as exc:
                log.warning("search index snapshot unusable (%s): building it from the database", exc)
                index = None
                # The rebuilt index's snapshot replaces it even at the same seq (otherwise
                # every start would find it again and rebuild again).
                self._unusable_snapshot = SearchIndex.current_generation(folder)
            embedded = 0
            rebuilt = index is None
            if index is None:
                index = SearchIndex(
                    embedder.dimension, embedder.name, self.tokenizer_signature, text_dir=folder
                )
                with session_scope(self.sessions) as session:
                    # Read first: a change committed meanwhile is applied again, harmlessly.
                    index.applied_seq = max_seq(session)
                    embedded = rebuild_index(session, index, embedder, self.tokenizer)
            with self._lock:
                self._cursor = ChangeCursor(index.applied_seq)
                self._index = index
                self._snapshot_generation = -1 if rebuilt else index.generation
                self._snapshot_at = float("-inf") if rebuilt else time.monotonic()
            embedded += self._catch_up(notify=False)[1]
            if rebuilt:
                self._start_snapshotter()
            # The graph is not rebuilt here: the graph service builds itself from the
            # database and follows the changes this index applies (add_listener).
            return embedded

    def _claim_vectors(self, identity: str) -> int:
        """Clears the stored vectors when another embedding model made them (switching the
        backend or the model folder re-embeds every passage; never two models mixed)."""
        for attempt in range(2):
            try:
                with session_scope(self.sessions) as session:
                    cleared = claim_vectors(session, identity)
                break
            except IntegrityError:  # another worker recorded it at the same moment
                if attempt:
                    raise
        if cleared:
            log.warning(
                "stored vectors of %d passages were made by another embedding model: "
                "embedding them again with %s", cleared, identity,
            )
        return cleared

    def catch_up(self) -> DocKeys:
        """Applies the change log since this index's seq; returns the documents changed."""
        return self._catch_up()[0]

    def _catch_up(self, notify: bool = True, blocking: bool = True) -> tuple[DocKeys, int]:
        if self._index is None:
            self.open()
            return set(), 0
        if not self._apply_lock.acquire(blocking=blocking):
            return set(), 0  # another thread is catching up right now
        changed: DocKeys = set()
        embedded = 0
        try:
            index = self._index
            while True:
                saved = (self._cursor.applied, dict(self._cursor.gaps))
                try:
                    with session_scope(self.sessions) as session:
                        keys, seq = self._cursor.read(session)
                        if not keys:
                            break
                        chunks, vectors, count = load_documents(
                            session, keys, self.embedder, self.tokenizer, index.dimension
                        )
                except BaseException:
                    self._cursor.applied, self._cursor.gaps = saved
                    raise
                # What no search reads is done before the index lock (text records, term
                # counts): the lock is held for the rows' columns, postings and vectors only.
                prepared = index.prepare_rows(chunks)
                with self._lock:
                    index.replace_documents(keys, chunks, vectors, prepared=prepared)
                    index.applied_seq = self._cursor.applied = seq
                changed |= keys
                embedded += count
        finally:
            self._apply_lock.release()
        if changed:
            self._start_snapshotter()
            if notify:
                self._notify(changed)
        return changed, embedded

    def reload_if_changed(self) -> bool:
        """Applies what other processes wrote (the request path calls it: at most every
        CATCH_UP_INTERVAL seconds, one `SELECT max(seq)` when nothing changed)."""
        now = time.monotonic()
        if now - self._checked_at < CATCH_UP_INTERVAL:
            return False
        self._checked_at = now
        if self._index is None:
            self.open()
            return True
        return bool(self._catch_up(blocking=False)[0])

    def reindex(self, doc_keys: DocKeys) -> int:
        """Re-indexes these documents after their chunks changed in the database by other
        means: logs a change for each, then applies the log. Returns their passages."""
        if doc_keys:
            with session_scope(self.sessions) as session:
                log_changes(session, sorted(doc_keys))
        self.catch_up()
        index = self.index
        return sum(len(index.doc_chunks.get(key, ())) for key in doc_keys)

    def index_documents(self, docs: list[SearchDocument]) -> int:
        """Stores the documents' passages with their vectors and a change-log row each, in
        one transaction, then applies the change here: searchable at once in this process,
        in the others on their next catch-up. Costs O(the documents), not O(corpus)."""
        if not docs:
            return 0
        vectors = embed_documents(docs, self.settings.chunk_chars, self.embedder.encode)
        count = 0
        with session_scope(self.sessions) as session:
            for doc, doc_vectors in zip(docs, vectors, strict=True):
                count += write_chunks(session, doc, self.settings.chunk_chars, vectors=doc_vectors)
        self.catch_up()
        return count

    def write_documents(self, session: Session, docs: list[SearchDocument]) -> int:
        """Stores the documents' passages, vectors and change-log rows in the caller's
        transaction, so they commit (or vanish) with the caller's own rows: a process killed
        after the commit leaves them in the database for every index to apply. Call
        `catch_up()` after the commit to make them searchable here at once."""
        if not docs:
            return 0
        vectors = embed_documents(docs, self.settings.chunk_chars, self.embedder.encode)
        return sum(
            write_chunks(session, doc, self.settings.chunk_chars, vectors=doc_vectors)
            for doc, doc_vectors in zip(docs, vectors, strict=True)
        )

    def remove_documents(self, kind: str, ids: list[str]) -> None:
        with session_scope(self.sessions) as session:
            session.execute(delete(Chunk).where(Chunk.doc_kind == kind, Chunk.doc_id.in_(ids)))
            log_changes(session, [(kind, i) for i in ids])
        self.catch_up()

    # ---- snapshots -----------------------------------------------------------------
    def _start_snapshotter(self) -> None:
        thread = self._snapshot_thread
        if thread is not None and thread.is_alive():
            return
        self._snapshot_stop = threading.Event()
        self._snapshot_thread = threading.Thread(
            target=self._snapshot_loop, args=(self._snapshot_stop,), name="weibao-index-snapshot",
            daemon=True,
        )
        self._snapshot_thread.start()

    def _snapshot_loop(self, stop: threading.Event) -> None:
        while not stop.wait(SNAPSHOT_CHECK_SECONDS):
            try:
                self.snapshot()
            except Exception as exc:  # a full disk: the previous snapshot stays usable
                log.warning("search index snapshot failed, the previous one stays: %s", exc)

    def snapshot(self, force: bool = False) -> Path | None:
        """Writes a snapshot when changes are pending (enough of them, or for long enough,
        or `force`); None when not due, another process holds the lock, or a snapshot of
        this seq or a newer one is already there. Never on the request path of a write."""
        index = self._index
        if index is None:
            return None
        pending = index.generation - self._snapshot_generation
        elapsed = time.monotonic() - self._snapshot_at
        due = (pending >= SNAPSHOT_EVERY_CHANGES or elapsed >= SNAPSHOT_EVERY_SECONDS) and (
            elapsed * SNAPSHOT_DUTY >= self._snapshot_seconds
        )
        if pending <= 0 or not (due or force):
            return None
        folder = self.settings.index_dir
        started = time.monotonic()
        with snapshot_lock(self.sessions, folder) as mine:
            if not mine:
                return None
            unusable = self._unusable_snapshot
            if unusable is not None and SearchIndex.current_generation(folder) != unusable:
                unusable = None  # another worker has replaced it already
            if unusable is None and current_snapshot_seq(folder) >= self._cursor.safe_seq():
                # Another worker has saved this state already: no export, no stall here.
                self._snapshot_generation = index.generation
                self._snapshot_at = time.monotonic()
                return None
            with self._apply_lock:
                # Compaction's O(corpus) part is built while searches go on; the swap and
                # the one-off IVF upgrade change what a search reads.
                compaction = index.plan_compaction() if index.compaction_due() else None
                with self._lock:
                    index.upgrade_dense()
                    if compaction is not None:
                        index.adopt_compaction(compaction)
                # Every change goes through the apply lock, and only what a change could
                # touch is taken under it (row columns, postings references); searches go on
                # meanwhile. The O(corpus) rest is built after it: at 300k passages the whole
                # export held every write back for 1-5 s. Vector changes wait in an overlay
                # until the build has serialised the vector index.
                capture = index.capture_snapshot()
                capture.manifest["seq"] = self._cursor.safe_seq()
                generation = index.generation
                compactions = index.compactions
            try:
                state = capture.build()  # the O(corpus) part, writes going on meanwhile
            finally:
                with self._apply_lock, self._lock:
                    index.release_dense()
            path = write_snapshot(folder, state, replace=unusable)
            if path is not None:
                with self._apply_lock, self._lock:  # the spill file starts again
                    index.adopt_snapshot_texts(path / "texts.bin", state, compactions)
                index.close_retired_texts()
        self._unusable_snapshot = None
        self._snapshot_generation = generation
        self._snapshot_at = time.monotonic()
        self._snapshot_seconds = self._snapshot_at - started
        if path is not None:
            log.info("search index snapshot %s (%d passages)", path.name, state.manifest["chunks"])
        return path

    def close(self) -> None:
        """Stops the snapshot thread and writes a last snapshot when changes are pending."""
        if self._snapshot_stop is not None:
            self._snapshot_stop.set()
        if self._snapshot_thread is not None:
            self._snapshot_thread.join(timeout=10)
        try:
            self.snapshot(force=True)
        except Exception as exc:
            log.warning("search index snapshot at shutdown failed, the previous one stays: %s", exc)

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
                self.catch_up()  # ingest logged the changes; vectors are embedded here once
                if self.graph is not None and not self.graph.listening:
                    # A listening graph service has had the change from catch_up already.
                    for article_id in report.changed:
                        article = self.get_article(article_id)
                        if article is not None:
                            self.graph.upsert_article(article_record(article))
                        else:
                            self.graph.remove_article(article_id)
        return report

    # ---- reading -------------------------------------------------------------------
    def search(
        self,
        query: str,
        options: SearchOptions | None = None,
        understanding: Understanding | None = None,
        coverage: Coverage | None = None,
    ) -> SearchResult:
        started = time.perf_counter()
        options = options or SearchOptions()
        with self._lock:
            hits = hybrid_search(
                self.index, self.embedder, self.tokenizer, query, options, understanding, coverage
            )
        took = (time.perf_counter() - started) * 1000
        return SearchResult(query, round(took, 2), hits, understanding or Understanding())

    def closeness(self, text: str, kind: str, document_id: str) -> float:
        """The dense cosine between `text` and the document's closest indexed passage (0 when
        the document has no passage in the index)."""
        chunk_ids = self.index.doc_chunks.get((kind, document_id), ())
        if not chunk_ids:
            return 0.0
        vector = self.embedder.encode_query(text)
        with self._lock:
            index = self.index
            rows = np.zeros(len(index.row_chunk_ids), dtype=bool)
            rows[[index.row_of[cid] for cid in chunk_ids]] = True
            _, scores = index.dense_search(vector, len(chunk_ids), allowed_rows=rows)
        return float(scores.max()) if len(scores) else 0.0

    def link(self, text: str) -> LinkResult | None:
        return self.linker.link(text) if self.linker is not None else None

    def understand(
        self, text: str, *, articles: int = 0, tickets: int = 0, link: bool = True
    ) -> Understanding:
        """The text (already masked) linked once, with its prepared query; with `articles`
        or `tickets` also that many candidate articles (ranked with the graph) and similar
        resolved tickets (by text alone), both from the one prepared query."""
        linked = self.link(text) if link else None
        base = understanding_from(linked, self.linker) if linked is not None else Understanding()
        understood = replace(
            base, text=text, language=language_of(text), linked=linked,
            query=PreparedQuery(text, self.tokenizer, self.embedder),
        )
        if articles > 0:
            options = SearchOptions(top_k=articles, filters=Filters(kinds=("article",)))
            hits = self.search_understood(understood, options).hits
            understood = replace(understood, articles=tuple(hits))
        if tickets > 0:
            options = SearchOptions(top_k=tickets, filters=Filters(kinds=("ticket",)), use_graph=False,
                                    dense_weight=SIMILAR_TICKETS_DENSE_WEIGHT_EN
                                    if understood.language == "en" else None)
            hits = self.search_understood(understood, options).hits
            understood = replace(understood, tickets=tuple(hits))
        return understood

    def search_understood(
        self, understanding: Understanding, options: SearchOptions | None = None
    ) -> SearchResult:
        """Searches an understood text: expansion with its linked entities, the graph's
        candidate articles and re-ranking by how well each hit covers them (unless
        `options.use_graph` is off). Links nothing and scores no token list twice."""
        started = time.perf_counter()
        options = options or SearchOptions()
        if not options.use_graph:
            understanding = understanding.unlinked()
        context = graph_context(understanding, self.graph)
        with self._lock:
            hits = hybrid_search(
                self.index, self.embedder, self.tokenizer, understanding.text, options,
                understanding, context.coverage, graph_docs=context.graph_docs,
            )
        took = round((time.perf_counter() - started) * 1000, 2)
        return SearchResult(understanding.text, took, hits, understanding)

    def search_linked(self, query: str, options: SearchOptions | None = None) -> SearchResult:
        """Links the query to the graph, then searches it (`search_understood`)."""
        started = time.perf_counter()
        options = options or SearchOptions()
        result = self.search_understood(self.understand(query, link=options.use_graph), options)
        result.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return result

    def get_article(self, article_id: str, include_drafts: bool = False) -> Article | None:
        """The version readers see (the one last approved, also while a newer one is
        being written), or None; an unpublished article only when drafts are asked for
        (the vendor's own readers)."""
        with session_scope(self.sessions) as session:
            article = session.get(Article, article_id)
            if article is None:
                return None
            shown = published_view(session, article)
        if shown is None and include_drafts:
            return article
        return shown

    def article_history(self, article_id: str) -> list[ArticleVersion]:
        with session_scope(self.sessions) as session:
            return list(
                session.scalars(
                    select(ArticleVersion)
                    .where(ArticleVersion.article_id == article_id)
                    .order_by(ArticleVersion.version.desc())
                )
            )

    def unreadable_articles(self, readable: tuple[str, ...]) -> set[str]:
        """Ids of the articles whose audience is not in `readable` (weibao.kb.audience):
        what lists built outside the index (related fixes, a system's map) must drop."""
        with session_scope(self.sessions) as session:
            return set(session.scalars(select(Article.id).where(Article.audience.not_in(readable))))

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

