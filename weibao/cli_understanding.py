"""`weibao heldout` and `weibao train`: the understanding's held-out figures and its model."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from weibao.cli_base import CommandError, command
from weibao.core.settings import get_settings

if TYPE_CHECKING:
    from weibao.core.db import Database
    from weibao.core.settings import Settings


@command("heldout")
def cmd_heldout(args: argparse.Namespace) -> int:
    from weibao.bootstrap import open_services
    from weibao.routing import heldout

    settings = get_settings()
    if not (settings.eval_dir / args.set).is_dir():
        raise CommandError(f"--set: no held-out set {args.set!r} under {settings.eval_dir}")
    try:
        tickets = heldout.load_tickets(settings.eval_dir, args.set)
        queries = heldout.load_queries(settings.eval_dir, args.set)
    except (OSError, ValueError, KeyError) as exc:
        raise CommandError(f"held-out set: {exc}") from exc
    services = open_services(settings)
    parts = set(args.part or ["linking", "triage", "search"])
    report: dict[str, Any] = {}
    if "linking" in parts:
        report["linking"] = heldout.evaluate_labeller(heldout.labeller_for(services.kb), tickets)
    if "triage" in parts:
        report["triage"] = heldout.evaluate_triage(services.desk, tickets)
    if "search" in parts:
        report["search"] = heldout.evaluate_search(services.kb, queries)
    if args.json:
        # The misses only when asked for: a frozen set's one measurement shows figures alone.
        print(json.dumps(report if args.verbose_errors else _without_misses(report),
                         ensure_ascii=False, indent=1))
    else:
        print(heldout.format_report(report, verbose=args.verbose_errors))
    return 0


def _without_misses(report: Any) -> Any:
    if isinstance(report, dict):
        return {k: _without_misses(v) for k, v in report.items() if k not in ("errors", "misses")}
    return report


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("heldout", help="linking, triage and search on the frozen held-out set")
    p.add_argument("--part", action="append", choices=["linking", "triage", "search"],
                   help="only this part (repeatable; default all)")
    p.add_argument("--errors", dest="verbose_errors", action="store_true",
                   help="list every miss (also in --json; never on a frozen set)")
    p.add_argument("--set", default="heldout", metavar="NAME",
                   help="the set's folder under the eval folder: heldout6 (the newest, measured "
                   "once per round) or the development sets heldout (default), heldout2, "
                   "heldout3, heldout4 and heldout5")
    p.add_argument("--json", action="store_true")
    sub.add_parser("train", help="train the systems/symptoms model from articles, resolved tickets, "
                   "corrections and aliases (into the data folder)")


@command("train")
def cmd_train(args: argparse.Namespace) -> int:
    from weibao.core import migrate
    from weibao.core.db import Database

    settings = get_settings()
    database = Database(settings.resolved_database_url)
    migrate.check_current(database.engine)  # an uninitialised or outdated database: one line (main)
    train_models(settings, database)
    return 0


def train_models(settings: Settings, database: Database) -> None:
    """Trains and saves the understanding and priority models, printing one summary each
    (`weibao train`, and `weibao init` on a data folder without a model)."""
    from weibao.core.db import session_scope
    from weibao.graph.ontology import load_ontology
    from weibao.routing.training import train_and_save, train_priority_and_save

    try:
        with session_scope(database.sessions) as session:
            _, report = train_and_save(session, load_ontology(settings.ontology_dir), settings.data_dir)
            # The priority model: resolved tickets, corrected priorities, the development sets.
            priority_model, priority_report = train_priority_and_save(session, settings.eval_dir, settings.data_dir)
    except ValueError as exc:
        raise CommandError(f"train: {exc}") from exc
    print(f"trained on {sum(report.by_source.values())} samples "
          f"({', '.join(f'{k} {v}' for k, v in sorted(report.by_source.items()))}) in {report.seconds:.1f} s")
    print(f"model: {report.path} ({report.size_bytes / 1_000_000:.1f} MB)")
    print(f"priority model: {priority_report.samples} tickets "
          f"({', '.join(f'{k} {v}' for k, v in sorted(priority_report.by_source.items()))}) in "
          f"{priority_report.seconds:.1f} s, {priority_report.path} ({priority_report.size_bytes / 1_000_000:.1f} MB)"
          f"{'' if priority_model.enabled else '; not applied to triage (the rules alone decide)'}")
