"""The `weibao` command line.

An operator's mistake ends in one line on stderr, "weibao <command>: <problem>", and
one of these exit codes, never in a traceback:

  0    done
  1    `ingest`: some article files were rejected (one "rejected:" line each, naming
       the file and the problem); the other files were loaded. `init` loads the seed
       folder the same way but reports rejections without failing.
  2    bad usage or configuration: arguments, a WEIBAO_* setting, the database URL,
       a data folder that cannot be created, a database not yet set up by `weibao init`
  3    the database cannot be used: a damaged SQLite file, a server that does not answer
  4    a data file the command needs is malformed or missing: the ontology
       (WEIBAO_ONTOLOGY_DIR) or the seed operations data (WEIBAO_SEED_OPS_DIR)
  130  interrupted (Ctrl-C); the database transaction in progress was rolled back (an
       ingest's articles are committed together; the index catches up on the next start)

With -v the traceback of a database or file-system failure is logged as well.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from weibao.cli_base import COMMANDS, CommandError, command

# Nothing heavy at module level: Ctrl-C while alembic, SQLAlchemy or pydantic load must
# land inside main()'s handler, not in a traceback from the import.
if TYPE_CHECKING:
    from weibao.core.db import Database
    from weibao.core.settings import Settings
    from weibao.kb.service import KnowledgeBase

EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_DATABASE = 3
EXIT_BAD_FILES = 4
EXIT_INTERRUPTED = 130

log = logging.getLogger(__name__)


def get_settings() -> Settings:
    from weibao.core.settings import get_settings as cached_settings

    return cached_settings()


def _checked_database(settings: Settings) -> Database:
    """The database, refused (SchemaBehind) unless `weibao init` has set it up; checked
    before the embedding model is loaded or the index folder is touched."""
    from weibao.core import migrate
    from weibao.core.db import Database

    database = Database(settings.resolved_database_url)
    migrate.check_current(database.engine)
    return database


def _knowledge_base(with_graph: bool = False) -> KnowledgeBase:
    from weibao.kb.runtime import build_knowledge_base

    settings = get_settings()
    from weibao.routing.runtime import open_graph

    kb = build_knowledge_base(settings, None, _checked_database(settings))
    kb.open()
    if with_graph:
        # Searches rank with the graph built from the database, as the server's do: without
        # it articles got no graph coverage and fell under tickets whose own tags cover it.
        open_graph(kb)
    return kb


@command("init")
def cmd_init(args: argparse.Namespace) -> int:
    from weibao.bootstrap import initialise_all

    settings = get_settings()
    for variable, folder in (("WEIBAO_SEED_DIR", settings.seed_dir), ("WEIBAO_SEED_OPS_DIR", settings.seed_ops_dir)):
        if not folder.exists():  # checked before the database is created or migrated
            raise CommandError(f"{variable}: no such file or folder: {folder}")
    report = initialise_all(settings)
    print(f"database ready at {settings.resolved_database_url}")
    print(f"seed articles: {report.articles.summary()}")
    print(f"seed operations: {report.operations.summary()}")
    for error in report.articles.errors:
        print(f"rejected: {error}", file=sys.stderr)
    _first_admin(settings)
    if not args.no_train:
        _first_models(settings)
    return 0


def _first_models(settings: Settings) -> None:
    """A new desk understands with the trained model from its first ticket, not a day later
    when the scheduled retraining first runs; an existing model (in the database, which
    every host shares) is left to that schedule."""
    from weibao.cli_understanding import train_models
    from weibao.core.db import Database
    from weibao.core.model_files import stored_version
    from weibao.graph.classifier import STORED

    database = Database(settings.resolved_database_url)
    if stored_version(database.engine, STORED.name) is None:
        train_models(settings, database)


def _first_admin(settings: Settings) -> None:
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
    return EXIT_REJECTED if report.errors else 0


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
    kb = _knowledge_base(with_graph=True)
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
    from weibao.cli_ops import serve

    return serve(get_settings(), args.host, args.port, args.workers)


@command("eval")
def cmd_eval(args: argparse.Namespace) -> int:
    from weibao.kb.eval_report import run_search_eval

    if args.linking:
        from weibao.graph.classifier import load_model, model_path
        from weibao.graph.ensemble import EnsembleLinker
        from weibao.graph.evaluation import evaluate_linking, load_linking_items
        from weibao.graph.ontology import load_ontology

        settings = get_settings()
        # What the desk serves: the dictionary with the trained model, when there is one.
        linker = EnsembleLinker(load_ontology(settings.ontology_dir), model=load_model(model_path(settings.data_dir)))
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
        from weibao.chat.evaluation import run_chat_eval

        print(run_chat_eval(open_services(get_settings())))
        return 0
    kb = _knowledge_base(with_graph=True)
    print(run_search_eval(kb, get_settings().eval_dir / "queries.yaml"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="weibao", description="WeiBao maintenance desk")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init", help="migrate, load the seed articles, build the indexes and, when the data "
                       "folder has none, train the understanding model")
    p.add_argument("--no-train", action="store_true", help="leave the model to `weibao train` or the schedule")
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
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default WEIBAO_WORKERS, 1); more than 1 needs PostgreSQL")
    p = sub.add_parser("eval", help="retrieval evaluation on the labelled query set")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--linking", action="store_true", help="entity-linking precision and recall")
    group.add_argument("--routing", action="store_true", help="triage and assignment on held-out tickets")
    group.add_argument("--chat", action="store_true", help="evaluate the chat assistant's first replies")
    p.add_argument("--window", type=float, nargs=2, metavar=("START", "END"),
                   help="with --routing: replay this share of the history instead of the newest 20 %%")
    # Imported here, as late as possible: each cli_* module registers its commands on import.
    from weibao.cli_accounts import add_parsers as add_account_parsers

    add_account_parsers(sub)
    from weibao.cli_authoring import add_parsers as add_authoring_parsers

    add_authoring_parsers(sub)
    from weibao.cli_chat import add_parsers as add_chat_parsers

    add_chat_parsers(sub)
    from weibao.cli_desk import add_parsers as add_desk_parsers

    add_desk_parsers(sub)
    from weibao.cli_inspections import add_parsers as add_inspection_parsers

    add_inspection_parsers(sub)
    from weibao.cli_notify import add_parsers as add_notify_parsers

    add_notify_parsers(sub)
    from weibao.cli_ops import add_parsers as add_ops_parsers

    add_ops_parsers(sub)
    from weibao.cli_understanding import add_parsers as add_understanding_parsers

    add_understanding_parsers(sub)
    from weibao.cli_estate import add_parsers as add_estate_parsers

    add_estate_parsers(sub)
    from weibao.cli_service import add_parsers as add_service_parsers

    add_service_parsers(sub)
    return parser


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _env_name(field_name: object) -> str:
    return f"WEIBAO_{str(field_name).upper()}"


def _settings_problem(exc: Exception) -> str:
    """What is wrong with which WEIBAO_* variable, without echoing values (secrets)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        problems = []
        for error in exc.errors():
            name = _env_name(error["loc"][0]) if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        text = "; ".join(problems)
    else:  # pydantic_settings.SettingsError: a complex value that is not JSON
        field = re.search(r'field "([^"]+)"', str(exc))
        text = f"{_env_name(field.group(1))}: not valid JSON" if field else str(exc)
    return _one_line(f"{text} (fix the environment variable or .env)")


def _check_database_url(settings: Settings) -> None:
    """Refuses a URL that cannot work before anything is opened or created."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    if not settings.database_url:
        return
    try:
        url = make_url(settings.database_url)
        dialect = url.get_dialect()
    except NoSuchModuleError as exc:  # a subclass of ArgumentError: first
        raise CommandError(
            f"WEIBAO_DATABASE_URL: unknown database kind {settings.database_url.split(':', 1)[0]!r}; "
            "use postgresql+psycopg://… or sqlite:///…"
        ) from exc
    except ArgumentError as exc:
        raise CommandError(
            "WEIBAO_DATABASE_URL: not a database URL; expected e.g. "
            "postgresql+psycopg://user:password@host:5432/weibao or sqlite:////path/weibao.db"
        ) from exc
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        raise CommandError(
            f"WEIBAO_DATABASE_URL: the driver for {url.drivername!r} is not installed ({exc}); "
            "use postgresql+psycopg://… or sqlite:///…"
        ) from exc
    if url.port is not None and not 1 <= url.port <= 65535:
        raise CommandError(f"WEIBAO_DATABASE_URL: port {url.port} is not between 1 and 65535")


def _load_settings() -> None:
    """Reads and checks the settings once, before any command runs (cached afterwards)."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        settings = get_settings()
    except (ValidationError, SettingsError) as exc:
        raise CommandError(_settings_problem(exc)) from exc
    _check_database_url(settings)
    # Whatever a command stores is masked with this deployment's hotline and patterns.
    from weibao.core import privacy

    privacy.configure(settings)


def _database_problem(exc: Exception) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    url = get_settings().resolved_database_url
    shown = make_url(url).render_as_string(hide_password=True)
    reason = _one_line(getattr(exc, "orig", None) or exc)
    if url.startswith("sqlite"):
        if isinstance(exc, OperationalError):
            return f"cannot use the database {shown} ({reason})"
        return (
            f"the database {shown} is damaged or not a SQLite database ({reason}): "
            "restore it from a backup, or move it away and run `weibao init`"
        )
    return (
        f"cannot use the database {shown} ({reason}): "
        "check WEIBAO_DATABASE_URL and that the server is running"
    )


def _file_problem(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    text = f"{where}{exc.strerror or exc}"
    try:
        data_dir = get_settings().data_dir.resolve()
        if exc.filename and (
            Path(exc.filename).resolve() == data_dir or data_dir in Path(exc.filename).resolve().parents
        ):
            text += " (check WEIBAO_DATA_DIR)"
    except Exception:  # the hint is optional; the settings may be what failed
        pass
    return _one_line(text)


# Errors that already name the file or setting at fault, by module: matched only when
# that module is loaded (it raised them), so that `weibao link` need not import them all.
_NAMED_ERRORS = (
    ("weibao.kb.embedding", "EmbeddingModelError", EXIT_USAGE),
    ("weibao.graph.ontology", "OntologyError", EXIT_BAD_FILES),
    ("weibao.routing.seed", "SeedError", EXIT_BAD_FILES),
)


def _named_error_code(exc: Exception) -> int | None:
    for module_name, class_name, code in _NAMED_ERRORS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(exc, getattr(module, class_name)):
            return code
    return None


def _yaml_problem(exc: Exception) -> str | None:
    """A data file that is not YAML, from a loader that did not name the file."""
    yaml = sys.modules.get("yaml")
    if yaml is None or not isinstance(exc, yaml.YAMLError):
        return None
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or exc
    return f"a data file is not valid YAML{where}: {problem} (check WEIBAO_SEED_OPS_DIR and WEIBAO_ONTOLOGY_DIR)"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        print("weibao: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    def fail(code: int, message: object) -> int:
        print(f"weibao {args.command}: {_one_line(message)}", file=sys.stderr)
        return code

    try:
        from sqlalchemy.exc import DBAPIError

        from weibao.core.migrate import SchemaBehind
    except KeyboardInterrupt:
        return fail(EXIT_INTERRUPTED, "interrupted")
    try:
        _load_settings()
        return COMMANDS[args.command](args)
    except (CommandError, SchemaBehind) as exc:
        return fail(EXIT_USAGE, exc)
    except DBAPIError as exc:
        if args.verbose:
            log.exception("database failure")
        return fail(EXIT_DATABASE, _database_problem(exc))
    except OSError as exc:
        if args.verbose:
            log.exception("file-system failure")
        return fail(EXIT_USAGE, _file_problem(exc))
    except Exception as exc:
        code, message = _named_error_code(exc), _yaml_problem(exc)
        if message is not None:
            return fail(EXIT_BAD_FILES, message)
        if code is None:
            raise  # a bug, not an operator's mistake: the traceback is for us
        return fail(code, exc)
    except KeyboardInterrupt:
        return fail(EXIT_INTERRUPTED, "interrupted; the step in progress was rolled back, run the command again")


if __name__ == "__main__":
    # Run as the imported module, so that cli_accounts registers into the same COMMANDS.
    try:
        from weibao.cli import main as _main
    except KeyboardInterrupt:
        print("weibao: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(_main())
