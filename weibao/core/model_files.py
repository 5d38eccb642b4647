"""Trained models: a pickled {"format": N, "model": object}, kept in the database and cached
in the data folder.

The database is where a model lives: `trained_models` holds one row per model name (the
pickle's bytes, their sha256, the format) and a retraining replaces it. Every host and
worker sharing the database reads that row, whichever host trained; the file in the data
folder (`DATA_DIR/models/`) is a local copy of the row, which each process's readers load.

- Writers (`weibao train`, `weibao init`, the scheduled retraining) call `store_model`:
  the row, committed in its own transaction, then the local file.
- Readers call `ModelSync.check` (at start-up and on the training monitor's tick): one
  small query for the row's sha256 and format (no payload); when they differ from the
  local file, the payload is read, checked and written over the file, and the file
  watchers of each worker load it. A payload that does not load as the model it should be
  is logged once and the file (the previous model) is kept.
- Without a row (a database from before this table) the file is used as it is.

Pickles run code when loaded: the database and the data folder are trusted stores, written
by this program only.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar

from sqlalchemy import Integer, LargeBinary, String, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow

T = TypeVar("T")

log = logging.getLogger(__name__)


class TrainedModel(Base):
    """One trained model, replaced whole by each retraining."""

    __tablename__ = "trained_models"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    format: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


@dataclass(frozen=True)
class ModelSpec(Generic[T]):
    """What a stored model is: its row `name`, pickle format, class, and the words and error
    its messages use ("understanding model", ModelFileError)."""

    name: str
    format_version: int
    kind: type[T]
    label: str
    error: type[Exception]


@dataclass(frozen=True)
class StoredVersion:
    sha256: str
    format: int
    size: int
    trained_at: datetime


def dump_model(model: object, format_version: int) -> bytes:
    buffer = io.BytesIO()
    pickle.dump({"format": format_version, "model": model}, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    """A reader never sees half a file; workers writing the same file at once each use a
    temporary file of their own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_model_file(path: Path, model: object, format_version: int) -> int:
    """Writes atomically (a reader never sees half a file); returns the size in bytes."""
    data = dump_model(model, format_version)
    _write_atomically(path, data)
    return len(data)


def read_model_bytes(
    data: bytes, where: str, format_version: int, kind: type[T], name: str, error: type[Exception]
) -> T:
    """The `kind` pickled in `data`; `error` naming `where` it came from and the `name` of
    the model when it is truncated, foreign or of another format."""
    try:
        payload = pickle.loads(data)
    except Exception as exc:  # a truncated or foreign payload must say which one
        raise error(f"cannot read the {name} at {where}: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != format_version \
            or not isinstance(payload.get("model"), kind):
        article = "an" if name[:1] in "aeiou" else "a"
        raise error(f"{where}: not {article} {name} of format {format_version}; run `weibao train`")
    model: T = payload["model"]
    return model


def read_model_file(
    path: Path, format_version: int, kind: type[T], name: str, error: type[Exception]
) -> T | None:
    """The `kind` saved at `path`, or None when there is none yet; `error` naming the file
    and the `name` of the model when it is truncated, foreign or of another format."""
    if not path.exists():
        return None
    return read_model_bytes(path.read_bytes(), str(path), format_version, kind, name, error)


# ---- the database's copy ---------------------------------------------------------------
def _upsert(connection: Connection, values: dict[str, object]) -> None:
    """Inserts or replaces the row: the last of two writers at once wins, neither fails."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(TrainedModel).values(**values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[TrainedModel.name],
        set_={k: statement.excluded[k] for k in values if k != "name"},
    ))


def store_model(engine: Engine | Connection, spec: ModelSpec[T], model: T, path: Path) -> int:
    """Writes `model` as the database's `spec.name` (committed at once, in its own
    transaction: every host may load it from now on), then as the local file at `path`;
    returns the size in bytes."""
    data = dump_model(model, spec.format_version)
    values: dict[str, object] = {
        "name": spec.name, "format": spec.format_version, "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data), "trained_at": utcnow(), "payload": data,
    }
    target = engine.engine if isinstance(engine, Connection) else engine
    with target.begin() as connection:
        _upsert(connection, values)
    _write_atomically(path, data)
    return len(data)


def stored_versions(engine: Engine) -> dict[str, StoredVersion]:
    """Each stored model's sha256, format, size and time, without the payloads."""
    t = TrainedModel
    with engine.connect() as connection:
        rows = connection.execute(select(t.name, t.sha256, t.format, t.size, t.trained_at)).all()
    return {name: StoredVersion(sha, fmt, size, at) for name, sha, fmt, size, at in rows}


def stored_version(engine: Engine, name: str) -> StoredVersion | None:
    t = TrainedModel
    with engine.connect() as connection:
        row = connection.execute(
            select(t.sha256, t.format, t.size, t.trained_at).where(t.name == name)
        ).first()
    return StoredVersion(*row) if row is not None else None


def _file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class ModelSync(Generic[T]):
    """Keeps the local file at `path` equal to the database's model `spec.name`."""

    def __init__(self, engine: Engine, spec: ModelSpec[T], path: Path) -> None:
        self.engine = engine
        self.spec = spec
        self.path = path
        self._seen: str | None = None  # the row's sha256 last handled (copied, equal or refused)

    def check(self) -> bool:
        """True when the file was replaced by the database's model. A payload that does not
        load is logged (once per payload) and leaves the file as it was."""
        version = stored_version(self.engine, self.spec.name)
        if version is None or version.sha256 == self._seen:
            return False
        if _file_sha256(self.path) == version.sha256:
            self._seen = version.sha256
            return False
        t = TrainedModel
        with self.engine.connect() as connection:
            row = connection.execute(select(t.sha256, t.payload).where(t.name == self.spec.name)).first()
        if row is None:  # removed meanwhile
            return False
        sha, data = row[0], bytes(row[1])
        where = f"the database (trained_models {self.spec.name!r})"
        try:
            if hashlib.sha256(data).hexdigest() != sha:
                raise self.spec.error(f"{where}: the {self.spec.label}'s bytes do not match their sha256")
            read_model_bytes(data, where, self.spec.format_version, self.spec.kind, self.spec.label,
                             self.spec.error)
        except self.spec.error as exc:
            self._seen = sha  # said once; the next retraining brings a new row
            log.error("%s; keeping the current %s", exc, self.spec.label)
            return False
        _write_atomically(self.path, data)
        self._seen = sha
        log.info("%s %s loaded from the database (%d bytes)", self.spec.label, sha[:12], len(data))
        return True


def sync_model(engine: Engine, spec: ModelSpec[T], path: Path) -> bool:
    """`ModelSync.check` once (at start-up): a database that cannot be read, or has no
    `trained_models` table yet, leaves the file as it is, with a warning."""
    try:
        return ModelSync(engine, spec, path).check()
    except SQLAlchemyError as exc:
        log.warning("%s: cannot read the database's copy (%s); using %s", spec.label, type(exc).__name__, path)
        return False
    except OSError as exc:
        log.warning("%s: cannot write %s (%s)", spec.label, path, type(exc).__name__)
        return False
