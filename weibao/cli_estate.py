"""`weibao installations import FILE [--dry-run]`: load what each hospital runs from CSV/XLSX."""

from __future__ import annotations

import argparse
from pathlib import Path

from weibao.cli_base import CommandError, command


@command("installations")
def cmd_installations(args: argparse.Namespace) -> int:
    from weibao.core import migrate
    from weibao.core.db import Database
    from weibao.core.settings import get_settings
    from weibao.estate.installations import Installations, read_table

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"{args.file}: no such file")
    try:
        rows = read_table(path.read_bytes(), path.name)
    except ValueError as exc:
        raise CommandError(f"{args.file}: {exc}") from exc
    settings = get_settings()
    database = Database(settings.resolved_database_url)
    migrate.check_current(database.engine)
    report = Installations(database.sessions).import_rows(rows, dry_run=args.dry_run)
    for error in report.errors:
        print(f"{args.file}:{error.line}: {error.field}: {error.message}")
    counts = f"{report.rows} rows: {report.created} new, {report.updated} changed, {report.unchanged} unchanged"
    if report.errors:
        # Nothing was written: the whole file goes in, or none of it.
        raise CommandError(f"{len(report.errors)} bad rows in {args.file}; nothing imported ({counts})")
    print(f"{'dry run, nothing written: ' if args.dry_run else 'imported '}{counts}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("installations", help="hospitals' installed systems and versions")
    actions = p.add_subparsers(dest="installations_command", required=True)
    c = actions.add_parser("import", help="import from CSV or XLSX: all rows or none")
    c.add_argument("file", metavar="FILE", help=".csv (UTF-8) or .xlsx with columns hospital_id, "
                   "system, version[, environment, product, modules, hosts, interfaces]")
    c.add_argument("--dry-run", action="store_true", help="check every row and count, write nothing")
