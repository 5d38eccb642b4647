"""Article versions as files and as what readers see: the Markdown+front-matter text of
any version, diffs between two, and the version last approved for readers.

The current version lives in `articles`; earlier ones in `article_versions`, each with
the author and time it was saved.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from weibao.core.db import utcnow
from weibao.kb.documents import ArticleSource
from weibao.kb.models import Article, ArticleVersion

DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED = "draft", "in_review", "published", "archived"


@dataclass(slots=True)
class StoredVersion:
    """An earlier version read back as an article-shaped record."""

    id: str
    title: str
    systems: list[str]
    symptoms: list[str]
    departments: list[str]
    audience: str
    language: str
    updated: date
    body: str
    fixes: list[dict[str, str]]
    version: int
    hospital_id: str | None = None
    affected_versions: dict[str, list[str]] = field(default_factory=dict)


def _strings(meta: dict[str, Any], key: str) -> list[str]:
    value = meta.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def stored_version(article_id: str, row: ArticleVersion) -> StoredVersion:
    meta: dict[str, Any] = dict(row.front_matter or {})
    updated = meta.get("updated")
    fixes = meta.get("fixes")
    affected = meta.get("affected_versions")
    return StoredVersion(
        id=article_id, title=row.title, systems=_strings(meta, "systems"),
        symptoms=_strings(meta, "symptoms"), departments=_strings(meta, "departments"),
        audience=str(meta.get("audience", "it_staff")), language=str(meta.get("language", "zh")),
        updated=date.fromisoformat(updated) if isinstance(updated, str) else utcnow().date(),
        body=row.body,
        fixes=[{"id": str(f.get("id")), "title": str(f.get("title"))} for f in fixes if isinstance(f, dict)]
        if isinstance(fixes, list) else [],
        version=row.version,
        affected_versions={str(k): [str(v) for v in vs] for k, vs in affected.items() if isinstance(vs, list)}
        if isinstance(affected, dict) else {},
    )


def snapshot(article: Article) -> ArticleVersion:
    """The article's current content as a history row, kept when it is replaced."""
    return ArticleVersion(
        article_id=article.id, version=article.version, title=article.title,
        front_matter={
            "systems": article.systems, "symptoms": article.symptoms,
            "departments": article.departments, "audience": article.audience,
            "language": article.language, "updated": article.updated.isoformat(),
            "fixes": article.fixes, "affected_versions": article.affected_versions or {},
        },
        body=article.body, content_hash=article.content_hash,
        author=article.modified_by, saved_at=article.modified_at, replaced_at=utcnow(),
    )


def source_of(article: Article | StoredVersion) -> ArticleSource:
    """The article as the Markdown+front-matter files hold it (hashing, diff, export)."""
    return ArticleSource(
        id=article.id, title=article.title, systems=list(article.systems),
        symptoms=list(article.symptoms), departments=list(article.departments),
        audience=article.audience, language=article.language, updated=article.updated,
        body=article.body, fixes=[dict(f) for f in article.fixes],
        hospital_id=article.hospital_id,
        affected_versions={k: list(v) for k, v in (article.affected_versions or {}).items()},
    )


def to_markdown(source: ArticleSource) -> str:
    """The file `weibao ingest` reads: YAML front matter, then the Markdown body."""
    meta = yaml.safe_dump(source.front_matter(), allow_unicode=True, sort_keys=False)
    return f"---\n{meta}---\n\n{source.body.strip()}\n"


def unified(a: ArticleSource, b: ArticleSource, name_a: str, name_b: str) -> list[str]:
    """A unified diff of two versions, as their files would differ."""
    return list(difflib.unified_diff(
        to_markdown(a).splitlines(), to_markdown(b).splitlines(), name_a, name_b, lineterm="", n=2,
    ))


def published_view(session: Session, article: Article) -> Article | None:
    """What readers see: the article when published; while a newer version is written or
    reviewed, a detached copy of the version last approved; None when it was never
    approved or is archived."""
    if article.status == PUBLISHED:
        return article
    if article.status == ARCHIVED or article.published_version is None:
        return None
    row = session.scalar(
        select(ArticleVersion).where(
            ArticleVersion.article_id == article.id,
            ArticleVersion.version == article.published_version,
        )
    )
    if row is None:
        return None
    old = stored_version(article.id, row)
    return Article(
        id=article.id, hospital_id=article.hospital_id, title=old.title, systems=old.systems,
        symptoms=old.symptoms, departments=old.departments, fixes=old.fixes,
        affected_versions=old.affected_versions,
        audience=old.audience, language=old.language, updated=old.updated, body=old.body,
        status=PUBLISHED, source_path=article.source_path, content_hash=row.content_hash,
        version=row.version, created_at=article.created_at,
        modified_at=row.saved_at or row.replaced_at, created_by=article.created_by,
        modified_by=row.author, published_version=row.version, reviewed_at=article.reviewed_at,
    )
