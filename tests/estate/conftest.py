"""Estate fixtures: the security tests' app over a fresh database (hospitals h-a with 7x24
cover and h-b, one user per role with a token, engineer eng-duty linked to "engineer"),
with the estate's clock replaced by a fake one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.web.security.conftest import Env, build_env
from weibao.estate.service import Estate

START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class EstateEnv:
    env: Env
    estate: Estate
    clock: FakeClock


@pytest.fixture
def estate_env(database_url: str, tmp_path: Path) -> Iterator[EstateEnv]:
    env = build_env(tmp_path, database_url)
    clock = FakeClock()
    estate = Estate(env.database.sessions, clock)
    env.app.state.estate = estate
    yield EstateEnv(env, estate, clock)
    env.app.state.rate_limiter.engine.dispose()
    env.database.engine.dispose()
