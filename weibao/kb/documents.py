"""Reads seed articles: Markdown with YAML front matter, validated against the taxonomy."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from weibao.graph.taxonomy import AUDIENCES, DEPARTMENTS, LANGUAGES, SYMPTOMS, SYSTEMS
from weibao.kb.freshness import AffectedVersionsError, check_affected_versions

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?(.*)\Z", re.S)
_ARTICLE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
_FIX_ID = re.compile(r"^fix-[a-z0-9_-]{2,80}$")
MAX_TITLE = 300
# Articles need two levels (fixes: - id: …); anything far deeper is not an article.
MAX_FRONT_MATTER_DEPTH = 20


class ArticleFormatError(ValueError):
    """A seed file that cannot be loaded; the message names the file and the field."""

    def __init__(self, source: str, field_name: str, message: str) -> None:
        super().__init__(f"{source}: field '{field_name}': {message}")
        self.source = source
        self.field = field_name


@dataclass(slots=True)
class ArticleSource:
    id: str
    title: str
    systems: list[str]
    symptoms: list[str]
    departments: list[str]
    audience: str
    language: str
    updated: date
    body: str
    fixes: list[dict[str, str]] = field(default_factory=list)
    source_path: str | None = None
    hospital_id: str | None = None
    # {system id: [version, …]}; written to the file only when set, so that the files and
    # hashes of articles without it stay as they were.
    affected_versions: dict[str, list[str]] = field(default_factory=dict)

    def front_matter(self) -> dict[str, object]:
        meta: dict[str, object] = {
            "id": self.id,
            "title": self.title,
            "systems": self.systems,
            "symptoms": self.symptoms,
            "departments": self.departments,
            "audience": self.audience,
            "language": self.language,
            "updated": self.updated.isoformat(),
            "fixes": self.fixes,
        }
        if self.affected_versions:
            meta["affected_versions"] = self.affected_versions
        return meta

    @property
    def content_hash(self) -> str:
        payload = json.dumps(self.front_matter(), ensure_ascii=False, sort_keys=True) + self.body
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _id_list(meta: dict, name: str, valid: dict, source: str, required: bool) -> list[str]:
    value = meta.get(name)
    if value is None or value == []:
        if required:
            raise ArticleFormatError(source, name, "at least one id is required")
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ArticleFormatError(source, name, "must be a list of ids")
    unknown = [v for v in value if v not in valid]
    if unknown:
        raise ArticleFormatError(
            source, name, f"unknown id {unknown[0]!r}; valid: {', '.join(sorted(valid))}"
        )
    return list(dict.fromkeys(value))


def _choice(meta: dict, name: str, valid: tuple[str, ...], source: str) -> str:
    value = meta.get(name)
    if value not in valid:
        raise ArticleFormatError(source, name, f"{value!r} is not one of {', '.join(valid)}")
    return str(value)


def _fixes(meta: dict, source: str) -> list[dict[str, str]]:
    value = meta.get("fixes") or []
    if not isinstance(value, list):
        raise ArticleFormatError(source, "fixes", "must be a list of {id, title}")
    fixes = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ArticleFormatError(source, f"fixes[{i}]", "needs an id and a title")
        if not _FIX_ID.match(item["id"]):
            raise ArticleFormatError(source, f"fixes[{i}].id", "must look like fix-<words>")
        title = item.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ArticleFormatError(source, f"fixes[{i}].title", "is required")
        fixes.append({"id": item["id"], "title": title.strip()})
    return fixes


class _TooDeep(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark | None) -> None:
        super().__init__(f"nested more than {MAX_FRONT_MATTER_DEPTH} levels deep")
        self.problem = str(self)
        self.problem_mark = mark


class _FrontMatterLoader(yaml.SafeLoader):
    """The safe loader with a nesting limit: a hostile file nested thousands of levels
    deep would otherwise exhaust the Python stack (RecursionError, or a crash in a
    thread with a small stack) before any field is checked."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_FRONT_MATTER_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _load_front_matter(text: str, source: str) -> object:
    """The YAML mapping; every way YAML can fail becomes an ArticleFormatError."""
    loader: _FrontMatterLoader | None = None
    try:
        loader = _FrontMatterLoader(text)  # the reader rejects control characters here
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 2}" if where is not None else ""
        problem = getattr(exc, "problem", None)
        if isinstance(exc, yaml.reader.ReaderError):  # "unacceptable character #x0000: ..."
            problem = str(exc).splitlines()[0]
        detail = f": {' '.join(str(problem).split())}" if problem else ""
        raise ArticleFormatError(source, "front matter", f"invalid YAML{line}{detail}") from exc
    except RecursionError as exc:  # the depth limit should make this unreachable
        raise ArticleFormatError(source, "front matter", "nested too deeply") from exc
    except (ValueError, TypeError, OverflowError) as exc:
        # Values the YAML grammar allows but Python cannot build, e.g. 2026-13-45.
        raise ArticleFormatError(source, "front matter", f"invalid value: {' '.join(str(exc).split())}") from exc
    finally:
        if loader is not None:
            loader.dispose()


def parse_article_text(text: str, source: str) -> ArticleSource:
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        raise ArticleFormatError(source, "front matter", "file must start with a --- block")
    meta = _load_front_matter(match.group(1), source)
    if not isinstance(meta, dict):
        raise ArticleFormatError(source, "front matter", "must be a mapping")
    article_id = meta.get("id")
    if not isinstance(article_id, str) or not _ARTICLE_ID.match(article_id):
        raise ArticleFormatError(source, "id", "must be lower-case letters, digits, - or _")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        raise ArticleFormatError(source, "title", f"is required, at most {MAX_TITLE} characters")
    updated = meta.get("updated")
    if isinstance(updated, str):
        try:
            updated = date.fromisoformat(updated)
        except ValueError:
            updated = None
    if not isinstance(updated, date):
        raise ArticleFormatError(source, "updated", "must be a date such as 2026-08-14")
    body = match.group(2).strip()
    if not body:
        raise ArticleFormatError(source, "body", "the article has no text")
    systems = _id_list(meta, "systems", SYSTEMS, source, required=True)
    try:
        affected = check_affected_versions(meta.get("affected_versions"), systems)
    except AffectedVersionsError as exc:
        raise ArticleFormatError(source, exc.field, exc.message.split(": ", 1)[-1]) from exc
    return ArticleSource(
        id=article_id,
        title=title.strip(),
        systems=systems,
        symptoms=_id_list(meta, "symptoms", SYMPTOMS, source, required=True),
        departments=_id_list(meta, "departments", DEPARTMENTS, source, required=False),
        audience=_choice(meta, "audience", AUDIENCES, source),
        language=_choice(meta, "language", LANGUAGES, source),
        updated=updated,
        body=body,
        fixes=_fixes(meta, source),
        source_path=source,
        affected_versions=affected,
    )


def parse_article_file(path: Path) -> ArticleSource:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleFormatError(str(path), "encoding", "file is not UTF-8") from exc
    except OSError as exc:  # unreadable (permissions), a folder named *.md, vanished
        raise ArticleFormatError(str(path), "file", f"cannot read: {exc.strerror or exc}") from exc
    return parse_article_text(text, str(path))
