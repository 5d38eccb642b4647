"""Fresh, migrated databases for tests, copied from one migrated once per pytest process.

Running every migration for each test cost ~0.2 s on SQLite and 1-2 s on PostgreSQL, for
the ~200 tests that take each. The copy is of what the migrations made: a SQLite file's
bytes, or a PostgreSQL schema's plain `pg_dump` (tables, indexes, constraints, sequences
and the rows migrations insert, alembic's version among them) replayed under the new
schema's name in one transaction. Without `pg_dump`, each schema is migrated as before.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from weibao.core import migrate
from weibao.core.db import Database


@cache
def _sqlite_template(folder: Path) -> Path:
    path = folder / "template.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database.engine)
    database.engine.dispose()
    with sqlite3.connect(path) as conn:  # everything in the main file: it is copied alone
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def fresh_sqlite(path: Path, template_folder: Path) -> None:
    shutil.copyfile(_sqlite_template(template_folder), path)


@cache
def _postgresql_dump(base_url: str) -> tuple[str, str] | None:
    """(template schema name, its dump as SQL), or None where pg_dump cannot make one."""
    import psycopg

    raw = base_url.replace("postgresql+psycopg", "postgresql")
    schema = f"wb_tpl_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        database = Database(f"{base_url}?options=-csearch_path%3D{schema}")
        migrate.upgrade(database.engine)
        database.engine.dispose()
        parts = urlsplit(raw)
        command = ["pg_dump", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
                   "-U", parts.username or "postgres", "-d", parts.path.lstrip("/"), "-n", schema,
                   "--inserts", "--no-owner", "--no-privileges"]
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            return None
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    # psql's own commands (\restrict ...) are not SQL.
    script = "\n".join(line for line in out.splitlines() if not line.startswith("\\"))
    return schema, script


def fresh_postgresql_schema(base_url: str, schema: str, url: str) -> None:
    """Creates `schema` migrated to the head; `url` reaches it (search_path set)."""
    import psycopg

    raw = base_url.replace("postgresql+psycopg", "postgresql")
    dump = _postgresql_dump(base_url)
    if dump is None:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        database = Database(url)
        migrate.upgrade(database.engine)
        database.engine.dispose()
        return
    template, script = dump
    with psycopg.connect(raw) as conn:  # one transaction: one commit for the whole schema
        conn.execute(script.replace(template, schema).encode())
