from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.security.conftest import Env, build_env


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> Iterator[Env]:
    built = build_env(tmp_path, database_url)
    yield built
    built.database.engine.dispose()
