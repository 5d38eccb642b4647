"""`weibao backup DEST` and `weibao restore SRC`: a consistent copy of database + index
(and the tickets' attachments).

A backup is a folder:

    manifest.json        format, dialect, schema revision, row counts, index generation
    weibao.db            SQLite: a copy made with sqlite3's online backup API (consistent
                         while the server keeps writing)
    tables/NAME.jsonl    PostgreSQL: every table exported through SQLAlchemy inside one
                         REPEATABLE READ, READ ONLY transaction (one snapshot of all
                         tables); the first line names the columns, each further line is
                         one row. No pg_dump needed (nor its version matching the server).
    index/CURRENT, index/<generation>/
                         the index snapshot that was current when the backup started
    attachments/         the tickets' screenshots and log files (DATA_DIR/attachments)

The database is the source of truth; the index is a cache of it. The index snapshot is
copied *before* the database, so it is never newer than the database copy, and on start
the knowledge base indexes whatever the database has that the snapshot lacks. A backup is
written into a hidden staging folder beside DEST and renamed into place at the end:
there is never a half-written DEST.

Restore goes into an empty target only: an empty (or missing) DATA_DIR, and for
PostgreSQL a database with no rows in any table. It brings the schema to the backup's
revision, loads the rows in one transaction, resets the id sequences, then migrates to
the code's newest revision (restoring an older backup upgrades it). A SQLite backup
restores into SQLite and a PostgreSQL backup into PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, func, insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine, make_url

from weibao.core import migrate
from weibao.core.db import Database, utcnow
from weibao.core.settings import Settings

FORMAT_VERSION = 1
ALEMBIC_TABLE = "alembic_version"
COPY_ATTEMPTS = 3
BATCH_ROWS = 1000


class BackupError(Exception):
    """An operator's mistake or an unusable source/target: one line for the CLI."""


@dataclass
class BackupReport:
    path: Path
    dialect: str
    revision: str | None
    tables: dict[str, int] = field(default_factory=dict)
    index_generation: str | None = None

    def summary(self) -> str:
        rows = sum(self.tables.values())
        index = self.index_generation or "none (rebuilt from the database on start)"
        return (f"{self.dialect} database at revision {self.revision}: {len(self.tables)} tables, "
                f"{rows} rows; index {index}")


# ---- values in JSON lines ------------------------------------------------------------
def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (tag, raw), = value.items()
        if tag == "$dt":
            return datetime.fromisoformat(raw)
        if tag == "$date":
            return date.fromisoformat(raw)
        if tag == "$time":
            return time.fromisoformat(raw)
        if tag == "$b64":
            return base64.b64decode(raw)
        if tag == "$dec":
            return Decimal(raw)
    return value


# ---- backup ----------------------------------------------------------------------------
def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _empty_or_missing(folder: Path) -> bool:
    return not folder.exists() or (folder.is_dir() and not any(folder.iterdir()))


def _revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _copy_index(index_dir: Path, target: Path) -> str | None:
    """Copies the current index generation; retried when a newer one replaces it meanwhile."""
    for _ in range(COPY_ATTEMPTS):
        try:
            name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        if not name or not (index_dir / name).is_dir():
            return None
        shutil.rmtree(target, ignore_errors=True)
        try:
            shutil.copytree(index_dir / name, target / name)
        except (FileNotFoundError, shutil.Error):
            continue  # another process saved a newer generation and removed this one
        (target / "CURRENT").write_text(name, encoding="utf-8")
        return name
    raise BackupError(f"the index under {index_dir} kept changing while it was copied; try again")


def _backup_sqlite(url: str, staging: Path) -> tuple[str | None, dict[str, int]]:
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"no database at {source_path}: run `weibao init` first")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    target = sqlite3.connect(staging / "weibao.db")
    try:
        source.backup(target)  # online and consistent, page by page
    finally:
        source.close()
        target.close()
    copy = Database(f"sqlite:///{staging / 'weibao.db'}")
    try:
        with copy.engine.connect() as connection:
            revision = _revision(connection)
            counts = {
                name: int(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() or 0)
                for name in inspect(connection).get_table_names()
            }
    finally:
        copy.engine.dispose()
    return revision, counts


def _backup_tables(engine: Engine, staging: Path) -> tuple[str | None, dict[str, int]]:
    folder = staging / "tables"
    folder.mkdir()
    counts: dict[str, int] = {}
    snapshot = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    try:
        with snapshot.begin():
            snapshot.execute(text("SET TRANSACTION READ ONLY"))
            revision = _revision(snapshot)
            metadata = MetaData()
            metadata.reflect(bind=snapshot)
            for table in metadata.sorted_tables:
                names = [c.name for c in table.columns]
                rows = 0
                with open(folder / f"{table.name}.jsonl", "w", encoding="utf-8") as out:
                    out.write(json.dumps(names) + "\n")
                    order = list(table.primary_key.columns) or list(table.columns)
                    result = snapshot.execution_options(stream_results=True).execute(
                        select(table).order_by(*order)
                    )
                    for row in result:
                        out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                        rows += 1
                counts[table.name] = rows
    finally:
        snapshot.close()
    return revision, counts


def backup(settings: Settings, dest: Path) -> BackupReport:
    """Writes a backup of the configured database and index to `dest` (new or empty)."""
    dest = dest.resolve()
    if not _empty_or_missing(dest):
        raise BackupError(f"{dest} exists and is not empty: choose a new folder")
    url = settings.resolved_database_url
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        generation = _copy_index(settings.index_dir, staging / "index")  # first: never newer
        dialect = "sqlite" if _is_sqlite(url) else make_url(url).get_backend_name()
        if dialect == "sqlite":
            revision, counts = _backup_sqlite(url, staging)
        else:
            database = Database(url)
            try:
                revision, counts = _backup_tables(database.engine, staging)
            finally:
                database.engine.dispose()
        if revision is None:
            raise BackupError("the database has no schema yet: run `weibao init` first")
        # Ticket attachments, after the database: every row copied has its file (a file
        # uploaded meanwhile is an orphan that nothing serves).
        attachments = settings.data_dir / "attachments"
        if attachments.is_dir():
            shutil.copytree(attachments, staging / "attachments",
                            ignore=shutil.ignore_patterns("*.part"))
        report = BackupReport(dest, dialect, revision, counts, generation)
        manifest = {
            "format": FORMAT_VERSION, "created_at": utcnow().isoformat(), "dialect": dialect,
            "revision": revision, "tables": counts, "index_generation": generation,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if dest.exists():
            dest.rmdir()
        staging.rename(dest)
        return report
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


# ---- restore ---------------------------------------------------------------------------
def read_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{src} is not a weibao backup (no manifest.json)") from exc
    except ValueError as exc:
        raise BackupError(f"{src}/manifest.json is damaged ({exc})") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{src}: backup format {manifest.get('format')!r} is not {FORMAT_VERSION}")
    return manifest


def _rows_anywhere(engine: Engine) -> str | None:
    """The name of a table that holds rows (alembic's own excepted), or None."""
    with engine.connect() as connection:
        for name in inspect(connection).get_table_names():
            if name == ALEMBIC_TABLE:
                continue
            if connection.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None:
                return name
    return None


def _load_tables(engine: Engine, folder: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        metadata = MetaData()
        metadata.reflect(bind=connection)
        tables = [t for t in metadata.sorted_tables if t.name != ALEMBIC_TABLE]
        # Whatever the migrations themselves inserted is replaced by the backup's rows.
        for table in reversed(tables):
            connection.execute(table.delete())
        for table in tables:
            source = folder / f"{table.name}.jsonl"
            if not source.exists():
                continue
            counts[table.name] = _load_table(connection, table, source)
        for table in tables:
            _reset_sequence(connection, table)
    return counts


def _load_table(connection: Connection, table: Table, source: Path) -> int:
    rows = 0
    with open(source, encoding="utf-8") as lines:
        names = json.loads(next(lines))
        unknown = [n for n in names if n not in table.columns]
        if unknown:
            raise BackupError(f"table {table.name}: columns {unknown} are not in the schema")
        batch: list[dict[str, Any]] = []
        for line in lines:
            batch.append(dict(zip(names, (_decode(v) for v in json.loads(line)), strict=True)))
            if len(batch) >= BATCH_ROWS:
                connection.execute(insert(table), batch)
                rows, batch = rows + len(batch), []
        if batch:
            connection.execute(insert(table), batch)
            rows += len(batch)
    return rows


def _reset_sequence(connection: Connection, table: Table) -> None:
    """Next ids continue after the restored ones (PostgreSQL serial/identity columns)."""
    for column in table.primary_key.columns:
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
        ).scalar()
        if sequence is None:
            continue
        highest = connection.execute(select(func.max(column))).scalar()
        if highest is None:
            connection.execute(text("SELECT setval(:s, 1, false)"), {"s": sequence})
        else:
            connection.execute(text("SELECT setval(:s, :v, true)"), {"s": sequence, "v": highest})


def restore(settings: Settings, src: Path) -> BackupReport:
    """Restores a backup into the configured, empty data directory and database."""
    src = src.resolve()
    manifest = read_manifest(src)
    url = settings.resolved_database_url
    dialect = "sqlite" if _is_sqlite(url) else make_url(url).get_backend_name()
    if manifest["dialect"] != dialect:
        raise BackupError(
            f"{src} is a {manifest['dialect']} backup; WEIBAO_DATABASE_URL is {dialect}: "
            "restore into the same kind of database"
        )
    data_dir = settings.data_dir.resolve()
    if not _empty_or_missing(data_dir):
        raise BackupError(f"{data_dir} is not empty: restore only into an empty data directory")
    database_file = _sqlite_path(url) if dialect == "sqlite" else None
    if database_file is not None and database_file.exists():
        raise BackupError(f"{database_file} already exists: restore only into an empty target")
    database = None if dialect == "sqlite" else Database(url)
    try:
        if database is not None:
            busy = _rows_anywhere(database.engine)
            if busy is not None:
                raise BackupError(
                    f"the database already holds data (table {busy}): restore only into an empty database"
                )
        data_dir.mkdir(parents=True, exist_ok=True)
        created: list[Path] = []
        try:
            if (src / "index" / "CURRENT").exists():
                shutil.copytree(src / "index", settings.index_dir)
                created.append(settings.index_dir)
            if (src / "attachments").is_dir():
                shutil.copytree(src / "attachments", data_dir / "attachments")
                created.append(data_dir / "attachments")
            if database_file is not None:
                database_file.parent.mkdir(parents=True, exist_ok=True)
                _restore_sqlite_file(src / "weibao.db", database_file)
                created.append(database_file)
                database = Database(url)
                counts = dict(manifest["tables"])
            else:
                assert database is not None
                migrate.upgrade(database.engine, manifest["revision"])
                counts = _load_tables(database.engine, src / "tables")
            migrate.upgrade(database.engine)  # an older backup comes up to this code's schema
        except BaseException:
            for path in created:  # nothing half-restored in the data directory
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            raise
        return BackupReport(data_dir, dialect, manifest["revision"], counts, manifest.get("index_generation"))
    finally:
        if database is not None:
            database.engine.dispose()


def _restore_sqlite_file(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"{source} is missing from the backup")
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        reader.close()
        writer.close()
