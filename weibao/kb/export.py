"""`weibao export articles DIR`: the published corpus as the Markdown+front-matter files
that `weibao ingest` reads, so a vendor can keep its knowledge in git.

Each article is written as readers see it (the version last approved, also while a newer
one is in review), one `<id>.md` per article. Drafts, archived articles and articles
private to one hospital stay out. Ingesting the folder again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from weibao.kb.models import Article
from weibao.kb.versions import published_view, source_of, to_markdown


class ExportError(ValueError):
    """The target folder cannot take the export; the message names it."""


@dataclass(slots=True)
class ExportReport:
    written: list[str] = field(default_factory=list)
    skipped_private: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"exported {len(self.written)} published articles"
            f"{f', left out {len(self.skipped_private)} private to a hospital' if self.skipped_private else ''}"
            f"{f', removed {len(self.removed)} old files' if self.removed else ''}"
        )


def prepare_folder(folder: Path, replace: bool) -> list[Path]:
    """Checks the target; returns the old *.md files `replace` allows to remove."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder}: is a file, not a folder")
    if not folder.exists():
        if not folder.parent.exists():
            raise ExportError(f"{folder}: parent folder {folder.parent} does not exist")
        return []
    present = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if not present:
        return []
    if not replace:
        raise ExportError(f"{folder}: not empty (pass --replace to overwrite its *.md files)")
    others = [p for p in present if p.suffix != ".md" or not p.is_file()]
    if others:
        raise ExportError(f"{folder}: holds other things than *.md files, e.g. {others[0].name}")
    return present


def export_articles(session: Session, folder: Path, *, replace: bool = False) -> ExportReport:
    """Writes every published article's file into `folder` (created when missing)."""
    old = prepare_folder(folder, replace)
    report = ExportReport()
    files: dict[str, str] = {}
    for article in session.scalars(select(Article).order_by(Article.id)):
        shown = published_view(session, article)
        if shown is None:
            continue
        if shown.hospital_id is not None:
            report.skipped_private.append(article.id)
            continue
        files[f"{article.id}.md"] = to_markdown(source_of(shown))
    folder.mkdir(exist_ok=True)
    for path in old:
        if path.name not in files:
            path.unlink()
            report.removed.append(path.name)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        report.written.append(name[:-3])
    return report
