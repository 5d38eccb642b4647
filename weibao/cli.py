"""The `weibao` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from weibao.core.migrate import SchemaBehind
from weibao.core.settings import get_settings

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Handler] = {}


class CommandError(Exception):
    """A user error: printed as one line, exit code 2."""


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn

    return register


def _knowledge_base():  # type: ignore[no-untyped-def]
    from weibao.kb.runtime import open_knowledge_base

    return open_knowledge_base(get_settings())


@command("init")
def cmd_init(args: argparse.Namespace) -> int:
    from weibao.bootstrap import initialise_all

    settings = get_settings()
    report = initialise_all(settings)
    print(f"database ready at {settings.resolved_database_url}")
    print(f"seed articles: {report.articles.summary()}")
    print(f"seed operations: {report.operations.summary()}")
    for error in report.articles.errors:
        print(f"rejected: {error}", file=sys.stderr)
    _first_admin(settings)
    return 0


def _first_admin(settings) -> None:  # type: ignore[no-untyped-def]
    from weibao.core.accounts import ensure_first_admin
    from weibao.core.db import Database, session_scope

    with session_scope(Database(settings.resolved_database_url).sessions) as session:
        password = ensure_first_admin(session, settings)
    if password:
        print("first administrator: admin; one-time password (shown once, change it at")
        print(f"first sign-in): {password}")


@command("ingest")
def cmd_ingest(args: argparse.Namespace) -> int:
    settings = get_settings()
    path = Path(args.path) if args.path else settings.seed_dir
    if not path.exists():
        raise CommandError(f"{path}: no such file or folder")
    kb = _knowledge_base()
    report = kb.ingest(path)
    for error in report.errors:
        print(f"rejected: {error}", file=sys.stderr)
    for article_id in report.not_in_source:
        print(f"kept: {article_id} is no longer in {path} (not removed)")
    print(report.summary())
    return 1 if report.errors else 0


@command("search")
def cmd_search(args: argparse.Namespace) -> int:
    from weibao.kb.search import SearchOptions
    from weibao.kb.validation import InvalidParameter, check_query, check_top_k, make_filters

    try:
        query = check_query(args.query, "QUERY")
        top_k = check_top_k(args.top_k, "--top-k")
        filters = make_filters(args.system, args.symptom, args.audience, args.lang)
    except InvalidParameter as exc:
        raise CommandError(str(exc)) from exc
    kb = _knowledge_base()
    result = kb.search_linked(query, SearchOptions(top_k=top_k, filters=filters))
    if args.json:
        from weibao.kb.presenters import search_payload

        print(json.dumps(search_payload(result, "zh"), ensure_ascii=False, indent=2))
        return 0
    if not result.hits:
        print("no results")
    for rank, hit in enumerate(result.hits, start=1):
        print(f"{rank:>2}. [{hit.id}] {hit.title}  ({hit.score:.4f})")
        print(f"    {'/'.join(hit.systems)} · {'/'.join(hit.symptoms)} · {hit.audience} · {hit.language}")
        print(f"    {hit.snippet.text}")
    print(f"({result.took_ms:.1f} ms)")
    return 0


@command("serve")
def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from weibao.core import migrate
    from weibao.core.db import Database
    from weibao.web.app import create_app

    settings = get_settings()
    migrate.check_current(Database(settings.resolved_database_url).engine)  # before the server starts
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


@command("eval")
def cmd_eval(args: argparse.Namespace) -> int:
    from weibao.kb.eval_report import run_search_eval

    if args.linking:
        from weibao.graph.evaluation import evaluate_linking, load_linking_items
        from weibao.graph.linking import EntityLinker
        from weibao.graph.ontology import load_ontology

        settings = get_settings()
        linker = EntityLinker(load_ontology(settings.ontology_dir))
        result = evaluate_linking(linker, load_linking_items(settings.eval_dir / "linking.yaml"))
        for kind in ("systems", "symptoms", "micro"):
            r = result[kind]
            print(f"{kind:<9} precision {r['precision']:.3f}  recall {r['recall']:.3f}  f1 {r['f1']:.3f}")
        return 0
    if args.window and not args.routing:
        raise CommandError("--window: only with --routing")
    if args.routing:
        from weibao.bootstrap import open_services
        from weibao.routing.evaluation import NEWEST, check_window, evaluate_routing, format_routing

        try:
            window = check_window(tuple(args.window) if args.window else NEWEST)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        print(format_routing(evaluate_routing(open_services(get_settings()).desk, window)))
        return 0
    if getattr(args, "chat", False):
        from weibao.bootstrap import open_services
        from weibao.web.chat.evaluation import run_chat_eval

        print(run_chat_eval(open_services(get_settings())))
        return 0
    kb = _knowledge_base()
    print(run_search_eval(kb, get_settings().eval_dir / "queries.yaml"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="weibao", description="WeiBao maintenance desk")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="migrate, load the seed articles and build the indexes")
    p = sub.add_parser("ingest", help="load or update articles from a file or folder")
    p.add_argument("path", nargs="?", help="file or folder (default: the seed folder)")
    p = sub.add_parser("search", help="search the knowledge base")
    p.add_argument("query")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--system")
    p.add_argument("--symptom")
    p.add_argument("--audience")
    p.add_argument("--lang")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("serve", help="serve the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p = sub.add_parser("eval", help="retrieval evaluation on the labelled query set")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--linking", action="store_true", help="entity-linking precision and recall")
    group.add_argument("--routing", action="store_true", help="triage and assignment on held-out tickets")
    group.add_argument("--chat", action="store_true", help="evaluate the chat assistant's first replies")
    p.add_argument("--window", type=float, nargs=2, metavar=("START", "END"),
                   help="with --routing: replay this share of the history instead of the newest 20 %%")
    # Imported here: cli_accounts registers its commands with `command` from this module.
    from weibao.cli_accounts import add_parsers as add_account_parsers

    add_account_parsers(sub)
    from weibao.cli_chat import add_parsers as add_chat_parsers

    add_chat_parsers(sub)
    from weibao.cli_desk import add_parsers as add_desk_parsers

    add_desk_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return COMMANDS[args.command](args)
    except (CommandError, SchemaBehind) as exc:
        print(f"weibao {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # Run as the imported module, so that cli_accounts registers into the same COMMANDS.
    from weibao.cli import main as _main

    sys.exit(_main())
