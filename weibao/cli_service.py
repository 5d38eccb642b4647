"""Service-management commands: `weibao report service` (JSON, XLSX or PDF)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from weibao.cli_base import CommandError, command


@command("report")
def cmd_report(args: argparse.Namespace) -> int:
    from weibao.core import migrate
    from weibao.core.db import Database, session_scope
    from weibao.core.settings import get_settings
    from weibao.routing.errors import DeskError
    from weibao.service import exports
    from weibao.service.reports import Period, service_report

    settings = get_settings()
    database = Database(settings.resolved_database_url)
    migrate.upgrade(database.engine)
    try:
        period = Period.parse(args.period)
        with session_scope(database.sessions) as session:
            report = service_report(session=session, hospital_id=args.hospital, period=period)
    except DeskError as exc:
        name = {"hospital_id": "--hospital", "period": "--period"}.get(exc.field or "", exc.field or "")
        raise CommandError(f"{name}: {exc.message}" if name else exc.message) from exc
    if args.format == "json":
        body = json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8")
    elif args.format == "xlsx":
        body = exports.to_xlsx(report, args.lang)
    else:
        try:
            body = exports.to_pdf(report, settings.report_font, args.lang)
        except exports.FontMissing as exc:
            raise CommandError(str(exc)) from exc
    if args.output == "-":
        import sys

        sys.stdout.buffer.write(body)
        return 0
    output = Path(args.output)
    if output.is_dir():
        raise CommandError(f"--output: {output} is a folder; name a file")
    if not output.parent.exists():
        raise CommandError(f"--output: folder {output.parent} does not exist")
    output.write_bytes(body)
    totals = report["totals"]
    print(f"{output}: {report['hospital']['id']} {report['period']}, {totals['tickets']} tickets, "
          f"{totals['resolved']} resolved, {totals['breaches']} breaches")
    return 0


@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    from weibao.core import migrate
    from weibao.core.db import Database, session_scope
    from weibao.core.settings import get_settings
    from weibao.service import demo

    database = Database(get_settings().resolved_database_url)
    migrate.upgrade(database.engine)
    with session_scope(database.sessions) as session:
        if args.remove:
            report = demo.remove(session=session)
            print(f"removed {report.summary()}")
            return 0
        try:
            report = demo.fill(session=session, months=args.months)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
    print(f"added {report.summary()} (marked: codes {demo.CODE_PREFIX}…, queries {demo.QUERY_MARK}…)")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="service report of a hospital for a month or quarter")
    p.add_argument("kind", choices=["service"], help="the report to write")
    p.add_argument("--hospital", required=True, help="hospital id")
    p.add_argument("--period", required=True, help="YYYY-MM (a month) or YYYY-Qn (a quarter)")
    p.add_argument("--format", choices=["json", "xlsx", "pdf"], default="json")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--output", required=True, help="file to write, or - for standard output")
    p = sub.add_parser("demo", help="fill six months of marked demo history (or --remove it)")
    p.add_argument("--remove", action="store_true", help="delete exactly the demo rows")
    p.add_argument("--months", type=int, default=6, choices=range(1, 25), metavar="N",
                   help="months of history (1-24, default 6)")
