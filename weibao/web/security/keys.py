"""The secret that signs session cookies.

Every worker, on every host, must sign with the same key. In order:

1. `WEIBAO_SECRET_KEY` when set;
2. the `app_secrets` row `session_key` in the database, created once with
   INSERT … ON CONFLICT DO NOTHING and read back, so that workers starting together agree
   on whichever insert won. When that row does not exist yet and an earlier version left a
   `DATA_DIR/secret_key` file, the file's key is stored as the row (sessions signed before
   the upgrade stay valid); the file is read, never written, from then on.

Without a database (`load_secret_key(settings)` alone, single-host tools) the key is the
file `DATA_DIR/secret_key`, created once with mode 0600, as before.
"""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING

from weibao.core.settings import Settings

if TYPE_CHECKING:
    from weibao.core.db import Database

SESSION_KEY_NAME = "session_key"


def load_secret_key(settings: Settings, database: Database | None = None) -> str:
    if settings.secret_key:
        return settings.secret_key
    if database is not None:
        return shared_secret(database, SESSION_KEY_NAME, _legacy_file_key(settings))
    return _file_key(settings)


def shared_secret(database: Database, name: str, initial: str | None = None) -> str:
    """The named secret from the database, created once (`initial` or a random one)."""
    from sqlalchemy import Executable, select
    from sqlalchemy.dialects import postgresql, sqlite

    from weibao.core.app_secrets import AppSecret
    from weibao.core.db import utcnow

    with database.engine.begin() as connection:
        value = connection.scalar(select(AppSecret.value).where(AppSecret.name == name))
        if value is not None:
            return str(value)
        row = {"name": name, "value": initial or secrets.token_urlsafe(48), "created_at": utcnow()}
        insert: Executable
        if database.engine.url.get_backend_name() == "postgresql":
            insert = postgresql.insert(AppSecret).values(**row).on_conflict_do_nothing()
        else:
            insert = sqlite.insert(AppSecret).values(**row).on_conflict_do_nothing()
        connection.execute(insert)
    # Read back in a new transaction: the row another worker inserted first, if any.
    with database.engine.connect() as connection:
        return str(connection.scalar(select(AppSecret.value).where(AppSecret.name == name)))


def _legacy_file_key(settings: Settings) -> str | None:
    path = settings.data_dir / "secret_key"
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def _file_key(settings: Settings) -> str:
    """DATA_DIR/secret_key, created once with mode 0600."""
    path = settings.data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two processes start at once, the second reads the first one's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
