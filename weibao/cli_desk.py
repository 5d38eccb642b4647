"""`weibao triage`, `weibao sla-check`, `weibao tickets` and `weibao link`: the ticket desk and the graph."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from weibao.cli_base import CommandError, command
from weibao.core.settings import get_settings

if TYPE_CHECKING:
    from weibao.bootstrap import Services


def _services() -> Services:
    from weibao.bootstrap import open_services

    return open_services(get_settings())


@command("triage")
def cmd_triage(args: argparse.Namespace) -> int:
    from weibao.routing.errors import DeskError
    from weibao.routing.planning import TicketDraft
    from weibao.routing.presenters import plan_payload

    at = None
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError as exc:
            raise CommandError(f"--at: not an ISO-8601 time: {args.at!r}") from exc
        if at.tzinfo is None:
            raise CommandError("--at: give a time-zone offset, e.g. 2026-11-26T21:30:00+08:00")
    if not args.text.strip():
        raise CommandError("TEXT: describe the problem")
    draft = TicketDraft(
        hospital_id=args.hospital, title=args.text[:200], description=args.text[200:], at=at,
        priority=args.priority, priority_reason="set on the command line" if args.priority else "",
        channel="api",
    )
    try:
        plan = _services().desk.plan(draft)
    except DeskError as exc:
        raise CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc
    payload: dict[str, Any] = plan_payload(plan)
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    triage = payload["triage"]
    sla = payload["sla"]
    print(f"system {triage['system']} · symptom {triage['symptom']} · department {triage['department']}")
    print(f"priority {payload['priority']} ({triage['priority_rule']})")
    print(f"SLA {sla['tier']}: respond by {sla['response_due']}, resolve by {sla['resolution_due']}")
    assignee = payload["assignee"]
    print(f"assignee: {assignee['name']} ({assignee['id']}, {assignee['tier']})" if assignee
          else "assignee: none qualifies → unassigned queue, escalated")
    for c in payload["candidates"][:5]:
        why = f"  excluded: {c['excluded_because']}" if "excluded_because" in c else ""
        factors = ", ".join(f"{k} {v:.2f}" for k, v in c["factors"].items())
        print(f"  {c['score']:.3f} {c['name']} ({c['tier']}): {factors}{why}")
    for a in payload["suggested_articles"]:
        print(f"  see {a['id']}: {a['title']}")
    return 0


@command("sla-check")
def cmd_sla_check(args: argparse.Namespace) -> int:
    """The check `serve` runs, under the same job lock, so a run from cron and the servers'
    scheduler never warn or escalate the same ticket twice."""
    from weibao.core.run_once import exclusive
    from weibao.web.sla_monitor import SLA_JOB

    desk = _services().desk
    with exclusive(desk.sessions.kw["bind"], SLA_JOB) as mine:
        if not mine:
            print("an SLA check is under way elsewhere; nothing done")
            return 0
        changes = desk.sla_check()
    for change in changes:
        print(f"{change['ticket']} {change['target']} → {change['state']}")
    print(f"{len(changes)} SLA state changes")
    return 0


@command("tickets")
def cmd_tickets(args: argparse.Namespace) -> int:
    """`weibao tickets autoclose [--dry-run]`: the job `serve` runs, under the same lock."""
    from datetime import timedelta

    from weibao.core import migrate
    from weibao.core.db import Database
    from weibao.routing.autoclose import run_autoclose

    settings = get_settings()
    database = Database(settings.resolved_database_url)
    migrate.check_current(database.engine)
    window = timedelta(days=settings.followup_window_days)
    codes = run_autoclose(database.sessions, window, dry_run=args.dry_run)
    if codes is None:
        print("an autoclose run is under way elsewhere; nothing done")
        return 0
    verb = "would close" if args.dry_run else "closed"
    listed = f": {' '.join(codes)}" if codes else ""
    print(f"{verb} {len(codes)} resolved tickets unconfirmed for {settings.followup_window_days:g} days{listed}")
    return 0


@command("link")
def cmd_link(args: argparse.Namespace) -> int:
    from weibao.graph.classifier import ModelFileError, load_model, model_path
    from weibao.graph.ensemble import EnsembleLinker
    from weibao.graph.ontology import OntologyError, load_ontology

    text = args.text.strip()
    if not text or len(text) > 2000:
        raise CommandError("TEXT: give 1 to 2000 characters")
    settings = get_settings()
    try:
        # The answer the desk serves: the dictionary and, once trained, the model.
        linker = EnsembleLinker(load_ontology(settings.ontology_dir), model=load_model(model_path(settings.data_dir)))
    except (OntologyError, ModelFileError) as exc:
        raise CommandError(str(exc)) from exc
    result = linker.link(text).to_dict(args.lang)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    for kind, mentions in result.items():
        for m in mentions:
            words = text[m['span'][0]:m['span'][1]] if m.get("source") != "model" else "model"
            print(f"{kind[:-1]:<10} {m['id']:<18} {m['name']}  «{words}» {m['confidence']:.2f}")
    if not any(result.values()):
        print("nothing linked")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("triage", help="dry run: what creating this ticket now would give")
    p.add_argument("text")
    p.add_argument("--hospital", required=True)
    p.add_argument("--at", help="ISO-8601 time with offset (default: now)")
    p.add_argument("--priority", choices=["P1", "P2", "P3", "P4"])
    p.add_argument("--json", action="store_true")
    sub.add_parser("sla-check", help="evaluate open tickets' SLA; warn, breach and escalate")
    p = sub.add_parser("tickets", help="ticket housekeeping")
    actions = p.add_subparsers(dest="tickets_command", required=True)
    close = actions.add_parser(
        "autoclose", help="close resolved tickets whose reporter neither confirmed nor reopened "
                          "within WEIBAO_FOLLOWUP_WINDOW_DAYS (serve does it every 10 minutes)")
    close.add_argument("--dry-run", action="store_true", help="list them, change nothing")
    p = sub.add_parser("link", help="the systems, symptoms, departments and terms a text names")
    p.add_argument("text")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--json", action="store_true")
