"""Writing articles in the browser: versions, optimistic locking, review, publishing.

Lifecycle: draft → in_review → published (→ archived). Every content save makes a
version (the current one lives in `articles`, earlier ones in `article_versions`, each
with its author and time); review actions make none. A save must name the version it
edits: a save over a newer one is a `Conflict` carrying the newer text.

While a new version of a published article is written and reviewed, readers keep the
version last approved (`Article.published_version`) and the index keeps its passages:
only an approval writes passages (with their change-log row, in the same transaction)
and only an archive removes them, so every worker follows within one catch-up.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from weibao.core.db import session_scope, utcnow
from weibao.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from weibao.graph.taxonomy import AUDIENCES, DEPARTMENTS, LANGUAGES, SYMPTOMS, SYSTEMS
from weibao.kb.authoring_models import ArticleEvent, ArticleFeedback
from weibao.kb.changelog import log_change
from weibao.kb.documents import MAX_TITLE, ArticleSource
from weibao.kb.freshness import (
    CONTRADICTION_MIN,
    CONTRADICTION_SHOWN,
    AffectedVersionsError,
    FreshnessFacts,
    ResolutionFact,
    check_affected_versions,
    contradicting,
    versions_retired,
)
from weibao.kb.index import Filters
from weibao.kb.ingest import stored_hash
from weibao.kb.models import Article, ArticleVersion, Chunk
from weibao.kb.passages import SearchDocument
from weibao.kb.reading import TICKETS_AFTER_READING_MIN, ReadingFacts
from weibao.kb.search import SearchOptions
from weibao.kb.service import KnowledgeBase
from weibao.kb.versions import (
    ARCHIVED,
    DRAFT,
    IN_REVIEW,
    PUBLISHED,
    snapshot,
    source_of,
    stored_version,
    unified,
)

STATUSES = (DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED)
DECISIONS = ("approve", "request_changes")
MAX_BODY = 200_000
MAX_COMMENT = 2000
MAX_FIXES = 50
# An article not approved for this long is stale (the stale list's default).
STALE_MONTHS = 12


# Refusals are the shared domain errors; the names say what they mean here.
AuthoringError = DomainError
InvalidField = Invalid


@dataclass(slots=True)
class ArticleInput:
    """What an author submits: the front-matter fields and the Markdown body."""

    title: str
    body: str
    systems: list[str]
    symptoms: list[str]
    audience: str
    language: str
    departments: list[str] = field(default_factory=list)
    fixes: list[dict[str, str]] = field(default_factory=list)
    # {system id: [version, …]}: see weibao.kb.freshness.
    affected_versions: dict[str, list[str]] = field(default_factory=dict)


def _ids(values: Sequence[str], valid: dict[str, Any], name: str, required: bool) -> list[str]:
    if required and not values:
        raise InvalidField(f"{name}: at least one id is required", name)
    unknown = [v for v in values if v not in valid]
    if unknown:
        raise InvalidField(f"{name}: unknown id {unknown[0]!r}", name)
    return list(dict.fromkeys(values))


def validate(data: ArticleInput) -> ArticleInput:
    """The input cleaned, or InvalidField naming the field (and an unknown id)."""
    title = data.title.strip()
    if not title or len(title) > MAX_TITLE:
        raise InvalidField(f"title: is required, at most {MAX_TITLE} characters", "title")
    body = data.body.strip()
    if not body:
        raise InvalidField("body: the article has no text", "body")
    if len(body) > MAX_BODY:
        raise InvalidField(f"body: at most {MAX_BODY} characters", "body")
    if data.audience not in AUDIENCES:
        raise InvalidField(f"audience: {data.audience!r} is not one of {', '.join(AUDIENCES)}", "audience")
    if data.language not in LANGUAGES:
        raise InvalidField(f"language: {data.language!r} is not one of {', '.join(LANGUAGES)}", "language")
    if len(data.fixes) > MAX_FIXES:
        raise InvalidField(f"fixes: at most {MAX_FIXES}", "fixes")
    fixes = []
    for i, fix in enumerate(data.fixes):
        fix_id, fix_title = str(fix.get("id", "")).strip(), str(fix.get("title", "")).strip()
        if not fix_id.startswith("fix-") or len(fix_id) > 84 or not fix_id[4:].replace("-", "").replace("_", "").isalnum() or fix_id != fix_id.lower():
            raise InvalidField(f"fixes[{i}].id: must look like fix-<words>", f"fixes[{i}].id")
        if not fix_title:
            raise InvalidField(f"fixes[{i}].title: is required", f"fixes[{i}].title")
        fixes.append({"id": fix_id, "title": fix_title[:300]})
    systems = _ids(data.systems, SYSTEMS, "systems", required=True)
    try:
        affected = check_affected_versions(data.affected_versions, systems)
    except AffectedVersionsError as exc:
        raise InvalidField(exc.message, exc.field) from exc
    return ArticleInput(
        title=title, body=body, systems=systems, affected_versions=affected,
        symptoms=_ids(data.symptoms, SYMPTOMS, "symptoms", required=True),
        departments=_ids(data.departments, DEPARTMENTS, "departments", required=False),
        audience=data.audience, language=data.language, fixes=fixes,
    )


@dataclass(slots=True)
class VersionView:
    version: int
    title: str
    author: str | None
    saved_at: datetime | None
    current: bool
    published: bool
    source: ArticleSource


@dataclass(slots=True)
class QueueItem:
    article: Article
    submitted_by: str | None
    submitted_at: datetime | None
    helpful: int
    not_helpful: int
    reason: str  # in_review, ticket_draft, low_helpfulness, tickets_after_reading
    # Every reason, the first being `reason` (a published article may have two).
    reasons: list[str] = field(default_factory=list)
    # Tickets filed after reading it since its last review (weibao.kb.reading).
    tickets_after_reading: int = 0

    @property
    def helpfulness(self) -> float | None:
        votes = self.helpful + self.not_helpful
        return self.helpful / votes if votes else None


@dataclass(slots=True)
class StaleItem:
    article: Article
    reasons: list[str]  # not_reviewed, unhelpful, contradicted, versions_retired
    last_reviewed: datetime | None
    # contradicted: how many newer resolutions went another way, and the latest of them.
    contradictions: int = 0
    recent: list[ResolutionFact] = field(default_factory=list)


def _today() -> date:
    return utcnow().date()


def _new_id(systems: Sequence[str]) -> str:
    return f"{systems[0].replace('_', '-')}-{utcnow():%Y%m%d}-{secrets.token_hex(3)}"


def search_document(article: Article) -> SearchDocument:
    return SearchDocument(
        kind="article", id=article.id, title=article.title, body=article.body,
        systems=list(article.systems), symptoms=list(article.symptoms),
        departments=list(article.departments), audience=article.audience,
        language=article.language, hospital_id=article.hospital_id,
    )


class Authoring:
    """Article authoring over the knowledge base: every method is one transaction, and a
    publish or archive is applied to this process's index right after it commits."""

    def __init__(self, kb: KnowledgeBase, sessions: sessionmaker[Session] | None = None) -> None:
        self.kb = kb
        self.sessions = sessions if sessions is not None else kb.sessions

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with session_scope(self.sessions) as session:
            yield session

    @staticmethod
    def _load(session: Session, article_id: str, *, lock: bool = False) -> Article:
        query = select(Article).where(Article.id == article_id)
        if lock:
            query = query.with_for_update()
        article = session.scalar(query)
        if article is None:
            raise NotFound(f"article {article_id!r} not found", "id")
        return article

    @staticmethod
    def _event(session: Session, article: Article, kind: str, actor: str, comment: str = "") -> None:
        session.add(ArticleEvent(
            article_id=article.id, kind=kind, actor=actor, version=article.version,
            comment=comment.strip()[:MAX_COMMENT], at=utcnow(),
        ))

    @staticmethod
    def is_author(session: Session, article: Article, username: str) -> bool:
        """Whoever created the article or saved any of its versions."""
        if username in (article.created_by, article.modified_by):
            return True
        saved = session.scalar(
            select(func.count()).select_from(ArticleVersion).where(
                ArticleVersion.article_id == article.id, ArticleVersion.author == username
            )
        )
        return bool(saved)

    # ---- writing -------------------------------------------------------------------
    def create(self, data: ArticleInput, *, author: str) -> Article:
        """A new draft, version 1."""
        data = validate(data)
        now = utcnow()
        with self._tx() as session:
            article = Article(
                id=_new_id(data.systems), hospital_id=None, status=DRAFT, version=1,
                source_path=None, created_at=now, modified_at=now, created_by=author,
                modified_by=author, updated=_today(),
            )
            self._apply(article, data)
            session.add(article)
            session.flush()
            self._event(session, article, "created", author)
            return article

    @staticmethod
    def _apply(article: Article, data: ArticleInput) -> None:
        article.title, article.body = data.title, data.body
        article.systems, article.symptoms = data.systems, data.symptoms
        article.departments, article.fixes = data.departments, data.fixes
        article.affected_versions = data.affected_versions
        article.audience, article.language = data.audience, data.language
        article.updated = _today()
        article.content_hash = stored_hash(source_of(article))

    def _conflict(self, session: Session, article: Article, expected: int, mine: ArticleInput | None) -> Conflict:
        current = source_of(article)
        detail: dict[str, Any] = {
            "current_version": article.version, "your_version": expected,
            "modified_by": article.modified_by,
            "current": {"title": current.title, "body": current.body},
        }
        if mine is not None:
            yours = ArticleSource(
                id=article.id, title=mine.title, systems=mine.systems, symptoms=mine.symptoms,
                departments=mine.departments, audience=mine.audience, language=mine.language,
                updated=current.updated, body=mine.body, fixes=mine.fixes,
                affected_versions=mine.affected_versions,
            )
            detail["diff"] = unified(current, yours, f"v{article.version}", "yours")
        return Conflict(
            f"version: you edited version {expected}, but version {article.version} is the "
            f"current one (saved by {article.modified_by or 'an import'})", "version", detail,
        )

    def update(self, article_id: str, data: ArticleInput, *, version: int, author: str) -> Article:
        """Saves a new version over `version`; a save over a newer one is a Conflict."""
        data = validate(data)
        with self._tx() as session:
            article = self._load(session, article_id, lock=True)
            if article.status == ARCHIVED:
                raise Conflict("status: an archived article cannot be edited; restore it first", "status")
            if article.version != version:
                raise self._conflict(session, article, version, data)
            probe = ArticleSource(
                id=article.id, title=data.title, systems=data.systems, symptoms=data.symptoms,
                departments=data.departments, audience=data.audience, language=data.language,
                updated=article.updated, body=data.body, fixes=data.fixes,
                affected_versions=data.affected_versions,
            )
            if stored_hash(probe) == article.content_hash:
                return article  # nothing changed: no version
            self._new_version(session, article, version, author)
            self._apply(article, data)
            # An edit sends a published or reviewed article back to its author's desk;
            # readers keep the approved version meanwhile.
            if article.status in (PUBLISHED, IN_REVIEW):
                article.status = DRAFT
            self._event(session, article, "edited", author)
            session.flush()
            return article

    def _new_version(self, session: Session, article: Article, expected: int, author: str) -> None:
        # Compare-and-set: of two saves over the same version, only one moves it on.
        moved = session.execute(
            update(Article)
            .where(Article.id == article.id, Article.version == expected)
            .values(version=expected + 1)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(article)
            raise self._conflict(session, article, expected, None)
        session.add(snapshot(article))
        article.version = expected + 1
        article.modified_by = author
        article.modified_at = utcnow()

    def restore(self, article_id: str, old_version: int, *, version: int, author: str) -> Article:
        """Saves an earlier version's content as a new version."""
        with self._tx() as session:
            article = self._load(session, article_id, lock=True)
            if article.version != version:
                raise self._conflict(session, article, version, None)
            row = session.scalar(select(ArticleVersion).where(
                ArticleVersion.article_id == article_id, ArticleVersion.version == old_version))
            if row is None:
                raise NotFound(f"version {old_version} of {article_id!r} not found", "version")
            old = stored_version(article_id, row)
            data = ArticleInput(
                title=old.title, body=old.body, systems=old.systems, symptoms=old.symptoms,
                audience=old.audience, language=old.language, departments=old.departments,
                fixes=old.fixes, affected_versions=old.affected_versions,
            )
            self._new_version(session, article, version, author)
            self._apply(article, data)
            if article.status != DRAFT:
                if article.status == ARCHIVED:
                    self._unindex(session, article)
                article.status = DRAFT
            self._event(session, article, "restored", author, f"v{old_version}")
            session.flush()
            return article

    # ---- review --------------------------------------------------------------------
    def submit(self, article_id: str, *, actor: str) -> Article:
        """Sends a draft to review: its author, or anyone for a draft from a ticket."""
        with self._tx() as session:
            article = self._load(session, article_id, lock=True)
            if article.status != DRAFT:
                raise Conflict(f"status: only a draft can be submitted (it is {article.status})", "status")
            if article.created_by is not None and not self.is_author(session, article, actor):
                raise Forbidden("only an author of the article may submit it")
            article.status = IN_REVIEW
            self._event(session, article, "submitted", actor)
            return article

    def review(self, article_id: str, *, decision: str, comment: str, reviewer: str) -> Article:
        """Approves (publishes: searchable at once here, in every worker on its next
        catch-up) or requests changes (back to draft). Never by one of its authors."""
        if decision not in DECISIONS:
            raise InvalidField(f"decision: must be one of {', '.join(DECISIONS)}", "decision")
        if decision == "request_changes" and not comment.strip():
            raise InvalidField("comment: say what should change", "comment")
        if len(comment) > MAX_COMMENT:
            raise InvalidField(f"comment: at most {MAX_COMMENT} characters", "comment")
        with self._tx() as session:
            article = self._load(session, article_id, lock=True)
            if self.is_author(session, article, reviewer):
                raise Forbidden("authors cannot review their own article")
            # A draft promoted from a ticket has no author: it goes straight to review.
            ready = article.status == IN_REVIEW or (article.status == DRAFT and article.created_by is None)
            if not ready:
                raise Conflict(f"status: only an article in review can be reviewed (it is {article.status})", "status")
            if decision == "approve":
                article.status = PUBLISHED
                article.published_version = article.version
                article.reviewed_at = utcnow()
                self.kb.write_documents(session, [search_document(article)])
                self._event(session, article, "approved", reviewer, comment)
            else:
                article.status = DRAFT
                self._event(session, article, "changes_requested", reviewer, comment)
        if decision == "approve":
            self.kb.catch_up()
        return article

    def archive(self, article_id: str, *, actor: str, comment: str = "") -> Article:
        """Out of search, chat and reading at once; its versions stay."""
        with self._tx() as session:
            article = self._load(session, article_id, lock=True)
            if article.status == ARCHIVED:
                raise Conflict("status: the article is archived already", "status")
            article.status = ARCHIVED
            self._unindex(session, article)
            self._event(session, article, "archived", actor, comment)
        self.kb.catch_up()
        return article

    @staticmethod
    def _unindex(session: Session, article: Article) -> None:
        session.execute(
            delete(Chunk).where(Chunk.doc_kind == "article", Chunk.doc_id == article.id)
            .execution_options(synchronize_session=False)
        )
        log_change(session, "article", article.id)

    # ---- duplicates ----------------------------------------------------------------
    def similar(self, article: Article, limit: int = 3) -> list[dict[str, Any]]:
        """Published articles the same hybrid search finds for this one's title and opening,
        sharing a system and a symptom with it: candidates to merge with, shown on save."""
        query = f"{article.title}\n{article.body[:400]}"
        options = SearchOptions(top_k=limit + 3, filters=Filters(kinds=("article",)))
        hits = self.kb.search_linked(query, options).hits
        found = []
        for hit in hits:
            shares = set(hit.systems) & set(article.systems) and set(hit.symptoms) & set(article.symptoms)
            if hit.id != article.id and shares:
                found.append({"id": hit.id, "title": hit.title, "url": f"/articles/{hit.id}",
                              "score": round(float(hit.score), 4)})
        return found[:limit]

    # ---- reading -------------------------------------------------------------------
    def get(self, article_id: str) -> Article:
        with self._tx() as session:
            return self._load(session, article_id)

    def versions(self, article_id: str) -> list[VersionView]:
        """Every version, newest first, each with its author and time."""
        with self._tx() as session:
            article = self._load(session, article_id)
            out = [VersionView(
                version=article.version, title=article.title, author=article.modified_by,
                saved_at=article.modified_at, current=True,
                published=article.published_version == article.version, source=source_of(article),
            )]
            rows = session.scalars(
                select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                .order_by(ArticleVersion.version.desc())
            )
            for row in rows:
                out.append(VersionView(
                    version=row.version, title=row.title, author=row.author,
                    saved_at=row.saved_at or row.replaced_at, current=False,
                    published=article.published_version == row.version,
                    source=source_of(stored_version(article_id, row)),
                ))
            return out

    def diff(self, article_id: str, a: int, b: int) -> list[str]:
        """A unified diff of two versions, as the article files would differ."""
        found = {v.version: v for v in self.versions(article_id)}
        for name, n in (("from", a), ("to", b)):
            if n not in found:
                raise NotFound(f"{name}: version {n} of {article_id!r} not found", name)
        return unified(found[a].source, found[b].source, f"v{a}", f"v{b}")

    def events(self, article_id: str) -> list[ArticleEvent]:
        with self._tx() as session:
            return list(session.scalars(
                select(ArticleEvent).where(ArticleEvent.article_id == article_id)
                .order_by(ArticleEvent.id.desc())
            ))

    def mine(self, username: str) -> list[Article]:
        """Articles the user created or last saved that are not published yet."""
        with self._tx() as session:
            return list(session.scalars(
                select(Article).where(
                    (Article.created_by == username) | (Article.modified_by == username),
                    Article.status.in_((DRAFT, IN_REVIEW)),
                ).order_by(Article.modified_at.desc())
            ))

    # ---- feedback ------------------------------------------------------------------
    def add_feedback(
        self, article_id: str, *, helpful: bool, comment: str, user_id: int | None,
        hospital_id: str | None,
    ) -> ArticleFeedback:
        """A reader's vote; a reader's later vote on the same article replaces the earlier."""
        if len(comment) > MAX_COMMENT:
            raise InvalidField(f"comment: at most {MAX_COMMENT} characters", "comment")
        with self._tx() as session:
            article = self._load(session, article_id)
            if user_id is not None:
                session.execute(delete(ArticleFeedback).where(
                    ArticleFeedback.article_id == article_id, ArticleFeedback.user_id == user_id))
            vote = ArticleFeedback(
                article_id=article_id, helpful=helpful, comment=comment.strip(), user_id=user_id,
                hospital_id=hospital_id, version=article.published_version or article.version,
                at=utcnow(),
            )
            session.add(vote)
            session.flush()
            return vote

    def feedback(self, article_id: str, limit: int = 50) -> tuple[int, int, list[ArticleFeedback]]:
        """(helpful, not helpful, the latest votes with their comments)."""
        with self._tx() as session:
            counts = _vote_counts(session, [article_id]).get(article_id, (0, 0))
            latest = list(session.scalars(
                select(ArticleFeedback).where(ArticleFeedback.article_id == article_id)
                .order_by(ArticleFeedback.id.desc()).limit(limit)
            ))
            return counts[0], counts[1], latest

    # ---- queues --------------------------------------------------------------------
    def review_queue(self, reading: ReadingFacts | None = None) -> list[QueueItem]:
        """Articles waiting for a reviewer: submitted ones, drafts from tickets, and
        published ones readers found unhelpful or, given the facts from the desk, filed
        tickets about after reading them. Low helpfulness and more tickets after reading
        rise to the top."""
        reading = reading or ReadingFacts()
        with self._tx() as session:
            waiting = list(session.scalars(select(Article).where(
                (Article.status == IN_REVIEW)
                | ((Article.status == DRAFT) & Article.created_by.is_(None))
            )))
            counts = _vote_counts(session, None)
            poor = {
                aid for aid, (yes, no) in counts.items()
                if no >= 2 and no > yes
            }
            ids = {a.id for a in waiting}
            wanted = (poor | set(reading.candidates())) - ids
            if wanted:
                waiting += [a for a in session.scalars(select(Article).where(
                    Article.id.in_(sorted(wanted)), Article.status == PUBLISHED))]
            submitted = {
                aid: (actor, at) for aid, actor, at in session.execute(
                    select(ArticleEvent.article_id, ArticleEvent.actor, ArticleEvent.at)
                    .where(ArticleEvent.kind == "submitted").order_by(ArticleEvent.id)
                )
            }
        items = []
        for article in waiting:
            yes, no = counts.get(article.id, (0, 0))
            tickets = reading.count(article.id, article.reviewed_at)
            reasons = [{IN_REVIEW: "in_review", DRAFT: "ticket_draft"}.get(article.status, "")]
            if article.status == PUBLISHED:
                reasons = ["low_helpfulness"] if article.id in poor else []
            if tickets >= TICKETS_AFTER_READING_MIN:
                reasons.append("tickets_after_reading")
            if not reasons:
                continue  # too few tickets since its last review
            by, at = submitted.get(article.id, (None, None))
            items.append(QueueItem(article, by, at, yes, no, reasons[0], reasons, tickets))

        def rank(item: QueueItem) -> tuple[float, float]:
            # Unhelpful first (more net "not helpful" votes, more tickets after reading),
            # then the longest waiting.
            net = item.not_helpful - item.helpful if item.helpfulness is not None else 0
            if "tickets_after_reading" in item.reasons:
                net += item.tickets_after_reading
            waited = (item.submitted_at or item.article.modified_at).timestamp()
            return (-net, waited)

        return sorted(items, key=rank)

    def oldest_review(self) -> datetime | None:
        """The earliest last review among published articles: how far back the facts
        for `stale` need to reach."""
        with self._tx() as session:
            reviewed = session.scalar(select(func.min(Article.reviewed_at)).where(
                Article.status == PUBLISHED, Article.reviewed_at.is_not(None)))
            updated = session.scalar(select(func.min(Article.updated)).where(
                Article.status == PUBLISHED, Article.reviewed_at.is_(None)))
        dates = [reviewed] if reviewed is not None else []
        if updated is not None:
            dates.append(datetime.combine(updated, datetime.min.time(), UTC))
        return min(dates) if dates else None

    def stale(
        self, *, months: int = STALE_MONTHS, now: datetime | None = None,
        facts: FreshnessFacts | None = None,
    ) -> list[StaleItem]:
        """Published articles due for a review, oldest review first: not reviewed for
        `months`; more unhelpful votes than helpful ones; and, given the facts from the
        desk and the estate, contradicted by newer resolutions of the same system and
        symptom, or naming only versions no installation runs any more."""
        now = now or utcnow()
        cutoff = now - timedelta(days=30 * months)
        facts = facts or FreshnessFacts()
        with self._tx() as session:
            articles = list(session.scalars(select(Article).where(Article.status == PUBLISHED)))
            counts = _vote_counts(session, None)
        out = []
        for article in articles:
            reasons = []
            reviewed = article.reviewed_at
            if reviewed is None:
                # Imported files carry their own date: the last time someone vouched for it.
                reviewed = datetime.combine(article.updated, datetime.min.time(), UTC)
            if reviewed < cutoff:
                reasons.append("not_reviewed")
            yes, no = counts.get(article.id, (0, 0))
            if no >= 2 and no > yes:
                reasons.append("unhelpful")
            against = contradicting(
                article.id, article.systems, article.symptoms,
                [f["id"] for f in article.fixes or []], reviewed, facts.resolutions,
            )
            if len(against) >= CONTRADICTION_MIN:
                reasons.append("contradicted")
            else:
                against = []
            if versions_retired(article.affected_versions or {}, facts.running):
                reasons.append("versions_retired")
            if reasons:
                out.append(StaleItem(article, reasons, reviewed, len(against), against[:CONTRADICTION_SHOWN]))
        return sorted(out, key=lambda s: (s.last_reviewed or now, s.article.id))


def _vote_counts(session: Session, ids: list[str] | None) -> dict[str, tuple[int, int]]:
    query = select(
        ArticleFeedback.article_id, ArticleFeedback.helpful, func.count()
    ).group_by(ArticleFeedback.article_id, ArticleFeedback.helpful)
    if ids is not None:
        query = query.where(ArticleFeedback.article_id.in_(ids))
    counts: dict[str, list[int]] = {}
    for article_id, helpful, n in session.execute(query):
        counts.setdefault(article_id, [0, 0])[0 if helpful else 1] += int(n)
    return {k: (v[0], v[1]) for k, v in counts.items()}


