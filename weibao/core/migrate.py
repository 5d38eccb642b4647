"""Schema migrations with Alembic, callable from the CLI and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = engine.url.render_as_string(hide_password=False)
    # configparser reads "%" as interpolation; URL-encoded options (%3D) must be doubled.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to run on an up-to-date database."""
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


class SchemaBehind(RuntimeError):
    """The database was not migrated to what this code needs."""


def _never_created(engine: Engine) -> bool:
    """A SQLite URL whose file does not exist yet (what `weibao init` creates)."""
    if engine.url.get_backend_name() != "sqlite":
        return False
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("uri"):
        return False
    return not Path(database).exists()


def check_current(engine: Engine) -> None:
    """Raises SchemaBehind, saying what to run, unless the schema is at the newest revision."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    if _never_created(engine):
        # Connecting would create an empty file: refuse without touching the disk.
        if not Path(engine.url.database or "").parent.is_dir():
            raise SchemaBehind("cannot open the database (unable to open database file): run `weibao init` first")
        _behind(None, head)
    # Other failures (a server that does not answer, a damaged or locked file) are not
    # solved by `weibao init`; they propagate as SQLAlchemy errors for the caller to report.
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        _behind(current, head)


def _behind(current: str | None, head: str | None) -> NoReturn:
    raise SchemaBehind(
        f"database schema is at revision {current or 'none'}, this version needs {head}: "
        "run `weibao init` (it migrates and keeps the data)"
    )
