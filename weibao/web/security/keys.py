"""The secret that signs session cookies."""

from __future__ import annotations

import os
import secrets

from weibao.core.settings import Settings


def load_secret_key(settings: Settings) -> str:
    """WEIBAO_SECRET_KEY when set, else DATA_DIR/secret_key, created once with mode 0600."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two workers start at once, the second reads the first one's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
