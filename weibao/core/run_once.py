"""Scheduled work that runs once across every worker and host sharing the database.

Two pieces, both PostgreSQL advisory locks (on SQLite, which serves one process only,
both are plain in-process locks):

- `Leadership`: one worker holds a session-level advisory lock on a connection of its
  own and is the scheduler; the others try again on each tick. When the leader dies, its
  connection closes, the server drops the lock and the next worker to tick takes over
  (failover within one period). A leader whose connection broke steps down at its next
  tick, before running anything.
- `exclusive(engine, name)`: a transaction-level advisory lock around one run of one
  job (`pg_try_advisory_xact_lock`), so that two runs of the same job never overlap,
  whoever starts them (the scheduler, `weibao sla-check` from a shell, a second leader
  during a failover).

`Scheduler` puts them together: `tick()` runs each due job once, on the leader only,
under its job lock. Later jobs (inspections, early warnings) are added as `Job`s.

Lock keys are derived from the job name and the current schema, so two deployments (or
two test schemas) in one PostgreSQL database do not block each other.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

# In-process locks for SQLite (one process serves a SQLite database).
_LOCAL_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCAL_GUARD = threading.Lock()


def is_postgres(engine: Engine) -> bool:
    return engine.url.get_backend_name() == "postgresql"


def lock_key(name: str, schema: str = "") -> int:
    """A stable signed 64-bit advisory-lock key for a job name (and schema)."""
    digest = hashlib.blake2b(f"weibao:{schema}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _schema(connection: Connection) -> str:
    return str(connection.execute(text("SELECT current_schema()")).scalar() or "")


def _local_lock(engine: Engine, name: str) -> threading.Lock:
    key = (engine.url.render_as_string(hide_password=True), name)
    with _LOCAL_GUARD:
        return _LOCAL_LOCKS.setdefault(key, threading.Lock())


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[bool]:
    """Yields True when this caller may run job `name` now (nobody else is running it),
    False when another run holds it; the lock is released when the block ends."""
    if not is_postgres(engine):
        lock = _local_lock(engine, f"job:{name}")
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
        return
    with engine.connect() as connection, connection.begin():
        key = lock_key(f"job:{name}", _schema(connection))
        acquired = bool(
            connection.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar()
        )
        # The transaction (and with it the lock) stays open while the job runs on its own
        # sessions; it ends, releasing the lock, when the block exits or the process dies.
        yield acquired


class Leadership:
    """Whether this process is the one that runs scheduled work (see the module doc)."""

    def __init__(self, engine: Engine, name: str = "scheduler") -> None:
        self.engine = engine
        self.name = name
        self._connection: Connection | None = None
        self._local: threading.Lock | None = None
        self.is_leader = False

    def try_lead(self) -> bool:
        """Keeps or takes the leadership; True when this process should run the jobs."""
        if not is_postgres(self.engine):
            if not self.is_leader:
                self._local = _local_lock(self.engine, f"leader:{self.name}")
                self.is_leader = self._local.acquire(blocking=False)
            return self.is_leader
        if self.is_leader and self._alive():
            return True
        self._drop()
        try:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except Exception as exc:  # the database is away: nobody here leads this tick
            log.warning("scheduler: cannot reach the database (%s)", type(exc).__name__)
            return False
        try:
            key = lock_key(f"leader:{self.name}", _schema(connection))
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        except Exception as exc:
            log.warning("scheduler: leader election failed (%s)", type(exc).__name__)
            connection.invalidate()
            connection.close()
            return False
        if not got:
            connection.close()
            return False
        self._connection, self.is_leader = connection, True
        log.info("scheduler: this worker now runs the scheduled jobs")
        return True

    def _alive(self) -> bool:
        try:
            assert self._connection is not None
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:
            log.warning("scheduler: lost the leader connection; stepping down")
            return False

    def _drop(self) -> None:
        connection, self._connection, self.is_leader = self._connection, None, False
        if connection is not None:
            try:
                connection.invalidate()  # closing the session releases its advisory lock
                connection.close()
            except Exception:  # already gone
                pass

    def release(self) -> None:
        """Steps down (at shutdown): another worker takes over at its next tick."""
        if self._local is not None and self.is_leader:
            self._local.release()
        self._local = None
        self._drop()


@dataclass
class Job:
    """A scheduled job: `fn` is called at most once per `every_seconds` across workers."""

    name: str
    every_seconds: float
    fn: Callable[[], object]
    next_due: float = field(default=0.0)


class Scheduler:
    """Runs due jobs on the leader only, each under its own job lock."""

    def __init__(self, engine: Engine, jobs: list[Job], leadership: Leadership | None = None) -> None:
        self.engine = engine
        self.jobs = jobs
        self.leadership = leadership or Leadership(engine)

    def tick(self, now: float | None = None) -> dict[str, object]:
        """Runs the jobs that are due; returns {job name: its result} for those run here."""
        now = time.monotonic() if now is None else now
        if not self.leadership.try_lead():
            return {}
        results: dict[str, object] = {}
        for job in self.jobs:
            if now < job.next_due:
                continue
            with exclusive(self.engine, job.name) as mine:
                if not mine:
                    continue  # another run of this job is under way elsewhere
                # A little slack: a loop that sleeps one period finds the job due again.
                job.next_due = now + job.every_seconds - min(1.0, job.every_seconds * 0.1)
                try:
                    results[job.name] = job.fn()
                except Exception as exc:  # one bad run must not stop the others or the loop
                    log.error("scheduled job %s failed: %s", job.name, type(exc).__name__)
                    results[job.name] = exc
        return results

    def close(self) -> None:
        self.leadership.release()
