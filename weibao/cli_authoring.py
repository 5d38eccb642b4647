"""Authoring commands: `weibao export articles DIR [--replace]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from weibao.cli_base import CommandError, command


@command("export")
def cmd_export(args: argparse.Namespace) -> int:
    from weibao.core import migrate
    from weibao.core.db import Database, session_scope
    from weibao.core.settings import get_settings
    from weibao.kb.export import ExportError, export_articles

    settings = get_settings()
    database = Database(settings.resolved_database_url)
    migrate.check_current(database.engine)
    try:
        with session_scope(database.sessions) as session:
            report = export_articles(session, Path(args.dir), replace=args.replace)
    except ExportError as exc:
        raise CommandError(f"DIR: {exc}") from exc
    print(f"{args.dir}: {report.summary()}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="write the published articles as Markdown files `ingest` reads")
    p.add_argument("what", choices=["articles"], help="what to export")
    p.add_argument("dir", help="a new or empty folder (or one of an earlier export, with --replace)")
    p.add_argument("--replace", action="store_true", help="overwrite the *.md files of an earlier export")
