"""Authoring commands: `weibao export articles DIR [--replace]`; `weibao review-right
list|grant|revoke [ENGINEER_ID]` (an engineer's right to review others' articles)."""

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


@command("review-right")
def cmd_review_right(args: argparse.Namespace) -> int:
    from weibao.core import audit, migrate
    from weibao.core.db import Database, session_scope
    from weibao.core.settings import get_settings
    from weibao.routing import engineers
    from weibao.routing.errors import NotFound

    settings = get_settings()
    database = Database(settings.resolved_database_url)
    migrate.check_current(database.engine)
    with session_scope(database.sessions) as session:
        if args.action == "list":
            for engineer in engineers.get_all(session=session):
                print(f"{engineer.id}\t{engineer.name}\t{'reviewer' if engineer.can_review else '-'}")
            return 0
        if not args.engineer_id:
            raise CommandError("ENGINEER_ID: name the engineer profile to grant or revoke")
        try:
            engineer = engineers.set_review_right(
                session=session, engineer_id=args.engineer_id, allowed=args.action == "grant")
        except NotFound as exc:
            raise CommandError(f"ENGINEER_ID: {exc.message}") from exc
        audit.record(session, action="engineer.updated", actor_name="cli", actor_role="admin",
                     target=f"engineer:{engineer.id}", detail={"can_review": engineer.can_review})
    print(f"{args.engineer_id}: {'may' if args.action == 'grant' else 'may not'} review articles")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="write the published articles as Markdown files `ingest` reads")
    p.add_argument("what", choices=["articles"], help="what to export")
    p.add_argument("dir", help="a new or empty folder (or one of an earlier export, with --replace)")
    p.add_argument("--replace", action="store_true", help="overwrite the *.md files of an earlier export")
    p = sub.add_parser("review-right", help="list, grant or revoke engineers' right to review articles")
    p.add_argument("action", choices=["list", "grant", "revoke"])
    p.add_argument("engineer_id", nargs="?", help="engineer profile id (grant, revoke)")
