"""Chat fixtures: the real seeded knowledge base and desk, chat storage in a fresh database.

The seeded services are shared by the whole run, so chat sessions and users live in a
database of each test's own; only the knowledge base and the ticket desk are shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from weibao.chat.dialogue import TurnContext
from weibao.chat.service import ChatService, Turn
from weibao.core import accounts, migrate
from weibao.core.db import Database, session_scope

# Two seeded hospitals; seeded ticket T-2025-00001 belongs to the first.
OWN_HOSPITAL = "h-bjhd"
OTHER_HOSPITAL = "h-hzsy"
OWN_TICKET = "T-2025-00001"
PASSWORD = "correct-horse-battery"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def chat_database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'chat.db'}")
    migrate.upgrade(database.engine)
    return database


@dataclass
class Chat:
    """Talks to a ChatService as one caller, keeping the session id between turns."""

    service: ChatService
    ctx: TurnContext
    clock: Clock
    session_id: str | None = None
    turns: list[Turn] = field(default_factory=list)

    def say(self, message: str) -> Turn:
        turn = self.service.turn(message, session_id=self.session_id, ctx=self.ctx)
        self.session_id = turn.session_id
        self.turns.append(turn)
        return turn


@pytest.fixture
def make_chat(seeded_services, chat_database: Database) -> Callable[..., Chat]:  # type: ignore[no-untyped-def]
    def make(hospital: str | None = OWN_HOSPITAL, **settings: object) -> Chat:
        clock = Clock()
        service = ChatService(
            kb=seeded_services.kb, desk=seeded_services.desk,
            settings=seeded_services.settings.model_copy(update=settings),
            sessions=chat_database.sessions, clock=clock,
        )
        ctx = TurnContext(hospital_id=hospital, ticket_scope=hospital)
        return Chat(service, ctx, clock)

    return make


@dataclass
class Web:
    app: FastAPI
    database: Database
    tokens: dict[str, str]

    def client(self, who: str | None = None) -> TestClient:
        client = TestClient(self.app, follow_redirects=False)
        if who is not None:
            client.headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return client


def build_web(seeded_services, tmp_path: Path, **overrides: object) -> Web:  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings
    from weibao.web.app import create_app

    database_url = f"sqlite:///{tmp_path / 'web.db'}"
    database = Database(database_url)
    migrate.upgrade(database.engine)
    settings = make_settings(
        tmp_path, database_url, secret_key="test-secret-key", chat_rate_per_minute=1000, **overrides
    )
    app = create_app(settings, kb=seeded_services.kb, database=database, desk=seeded_services.desk)
    tokens: dict[str, str] = {}
    with session_scope(database.sessions) as session:
        for hospital in (OWN_HOSPITAL, OTHER_HOSPITAL):
            accounts.create_hospital(session=session, hospital_id=hospital, name=hospital)
        for name, role, hospital in (
            ("nurse", "clinician", OWN_HOSPITAL),
            ("nurse_b", "clinician", OTHER_HOSPITAL),
            ("engineer", "engineer", None),
        ):
            user = accounts.create_user(
                session=session, username=name, role=role, hospital_id=hospital,
                password=PASSWORD if name == "nurse" else None,
            )
            _, tokens[name] = accounts.create_token(
                session=session, user=user, name="test", expires_in=timedelta(days=1)
            )
    return Web(app, database, tokens)


@pytest.fixture
def web(seeded_services, tmp_path: Path) -> Web:  # type: ignore[no-untyped-def]
    return build_web(seeded_services, tmp_path)
