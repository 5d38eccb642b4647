"""One snapshot writer at a time, per index folder.

On PostgreSQL a session-level advisory lock (`pg_try_advisory_lock`), which also covers
processes on other hosts sharing the database; elsewhere (SQLite, one host) an `fcntl`
lock on a file in the index folder. Both are try-locks: a process that does not get it
skips this snapshot, another process is writing one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

LOCK_NAMESPACE = 0x5745_4942_0000_0000  # "WEIB": keeps our keys apart from other users'


def lock_key(index_dir: Path) -> int:
    key = LOCK_NAMESPACE | zlib.crc32(str(index_dir.resolve()).encode("utf-8"))
    return key - (1 << 64) if key >= 1 << 63 else key  # a signed bigint


@contextlib.contextmanager
def snapshot_lock(sessions: sessionmaker[Session], index_dir: Path) -> Iterator[bool]:
    """Yields True when this process may write a snapshot now, False when another is."""
    session = sessions()
    try:
        if session.get_bind().dialect.name == "postgresql":
            connection = session.connection()
            key = lock_key(index_dir)
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            try:
                yield got
            finally:
                if got:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                session.commit()
            return
    finally:
        session.close()
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / ".snapshot.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
