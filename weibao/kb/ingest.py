"""Loads article files into the database: new, changed (old version kept) or unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from weibao.core.db import utcnow
from weibao.core.masking import mask_text, mask_value
from weibao.kb.documents import ArticleFormatError, ArticleSource, parse_article_file
from weibao.kb.models import Article, ArticleVersion
from weibao.kb.passages import SearchDocument, write_chunks
from weibao.kb.versions import snapshot


@dataclass(slots=True)
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Articles in the database that the scanned folder no longer holds: kept, and named.
    not_in_source: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        return self.added + self.updated

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, "
            f"unchanged {len(self.unchanged)}, rejected {len(self.errors)}, "
            f"kept though missing from source {len(self.not_in_source)}"
        )


def read_sources(path: Path, report: IngestReport) -> list[ArticleSource]:
    """Parses one file or every *.md under a folder; bad files go to report.errors."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    files = [path] if path.is_file() else sorted(path.rglob("*.md"))
    sources: list[ArticleSource] = []
    seen: dict[str, str] = {}
    for file in files:
        try:
            source = parse_article_file(file)
        except ArticleFormatError as exc:
            report.errors.append(str(exc))
            continue
        if source.id in seen:
            report.errors.append(
                f"{file}: field 'id': {source.id!r} is already used by {seen[source.id]}"
            )
            continue
        seen[source.id] = str(file)
        sources.append(source)
    return sources


def stored_hash(source: ArticleSource) -> str:
    """The hash of the article as it is stored: masked (see weibao.core.masking), so that
    a file written by `weibao export` from the stored text hashes the same."""
    masked = replace(
        source, title=mask_text(source.title), body=mask_text(source.body),
        fixes=mask_value(source.fixes),
    )
    return masked.content_hash


def _live_hashes(session: Session, article: Article) -> set[str]:
    """The hashes a file may carry and still be the article readers see: the current
    version's, and while a newer one is in the works, the version last approved's."""
    hashes = {article.content_hash}
    if article.status != "published" and article.published_version is not None:
        approved = session.scalar(select(ArticleVersion.content_hash).where(
            ArticleVersion.article_id == article.id,
            ArticleVersion.version == article.published_version,
        ))
        hashes = {approved} if approved else hashes
    return hashes


def upsert_article(
    session: Session, source: ArticleSource, chunk_chars: int
) -> str:
    """Stores one article; returns "added", "updated" or "unchanged"."""
    article = session.get(Article, source.id)
    digest = stored_hash(source)
    # Hashes stored before masking was part of them are of the unmasked text.
    if article is not None and _live_hashes(session, article) & {digest, source.content_hash}:
        return "unchanged"
    if article is None:
        article = Article(id=source.id, version=1, created_at=utcnow())
        session.add(article)
        outcome = "added"
    else:
        session.add(snapshot(article))
        article.version += 1
        outcome = "updated"
    # A file is the published corpus (kept in git, reviewed there): loading it publishes.
    article.status = "published"
    article.published_version = article.version
    article.modified_by = None
    article.hospital_id = source.hospital_id
    article.title = source.title
    article.systems = source.systems
    article.symptoms = source.symptoms
    article.departments = source.departments
    article.fixes = source.fixes
    article.affected_versions = source.affected_versions
    article.audience = source.audience
    article.language = source.language
    article.updated = source.updated
    article.body = source.body
    article.source_path = source.source_path
    article.content_hash = digest
    article.modified_at = utcnow()
    session.flush()
    document = SearchDocument(
        kind="article",
        id=article.id,
        title=article.title,
        body=article.body,
        systems=article.systems,
        symptoms=article.symptoms,
        departments=article.departments,
        audience=article.audience,
        language=article.language,
        hospital_id=article.hospital_id,
    )
    write_chunks(session, document, chunk_chars)
    return outcome


def ingest_sources(
    session: Session, sources: list[ArticleSource], report: IngestReport, chunk_chars: int
) -> None:
    for source in sources:
        outcome = upsert_article(session, source, chunk_chars)
        getattr(report, outcome).append(source.id)
    scanned_dirs = {str(Path(s.source_path).parent) for s in sources if s.source_path}
    present = {s.id for s in sources}
    for article_id, source_path in session.execute(select(Article.id, Article.source_path)):
        if source_path and str(Path(source_path).parent) in scanned_dirs and article_id not in present:
            report.not_in_source.append(article_id)
