"""Web fixtures: an app over a fresh database with one user per role and their tokens.

The knowledge base is a small stand-in, so these tests do not depend on the graph
package or the embedding model; the search and article routes only present what it gives.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from weibao.core import accounts
from weibao.core.db import Database, session_scope
from weibao.kb.models import Article
from weibao.kb.search import Understanding
from weibao.kb.service import SearchResult
from weibao.kb.tokenize import Tokenizer
from weibao.routing.desk import TicketDesk
from weibao.routing.models import Contract, Engineer
from weibao.routing.planning import TicketDraft
from weibao.web.app import create_app

PASSWORD = "correct-horse-battery"
HOSPITAL_A = "h-a"
HOSPITAL_B = "h-b"
ENGINEER = "eng-duty"
# name -> (role, hospital). "*_b" are members of another hospital than the records' one.
PEOPLE = {
    "clinician": ("clinician", HOSPITAL_A),
    "hospital_it": ("hospital_it", HOSPITAL_A),
    "engineer": ("engineer", None),
    "manager": ("manager", None),
    "admin": ("admin", None),
    "clinician_b": ("clinician", HOSPITAL_B),
    "hospital_it_b": ("hospital_it", HOSPITAL_B),
}


_TOKENIZER: Tokenizer | None = None


class FakeKB:
    """Just enough of KnowledgeBase for the web layer."""

    index = None

    def __init__(self) -> None:
        self.article = Article(
            id="a-1", title="打印机无法打印", systems=["terminal"], symptoms=["print_failure"],
            departments=[], fixes=[], audience="clinician", language="zh",
            updated=date(2026, 1, 1), body="重启打印服务。", status="published",
            content_hash="x", version=1,
        )

    def reload_if_changed(self) -> bool:
        return False

    def search_linked(self, query: str, options: object = None) -> SearchResult:
        return SearchResult(query=query, took_ms=0.1, hits=[])

    def get_article(self, article_id: str, include_drafts: bool = False) -> Article | None:
        return self.article if article_id == "a-1" else None

    def article_history(self, article_id: str) -> list[object]:
        return []

    # What the ticket desk and the chat ask of a knowledge base: nothing linked, nothing found.
    graph = None
    linker = None

    @property
    def tokenizer(self) -> Tokenizer:
        global _TOKENIZER
        if _TOKENIZER is None:
            _TOKENIZER = Tokenizer()
        return _TOKENIZER

    def link(self, text: str) -> None:
        return None

    def understand(self, text: str, **candidates: object) -> Understanding:
        return Understanding(text=text)

    def search_understood(self, understanding: Understanding, options: object = None) -> SearchResult:
        return SearchResult(query=understanding.text, took_ms=0.1, hits=[])

    def search(self, query: str, options: object = None, *args: object) -> SearchResult:
        return SearchResult(query=query, took_ms=0.1, hits=[])

    def index_documents(self, docs: list[object]) -> int:
        return 0

    # What resolve and /healthz ask since the index tails the change log: nothing stored.
    applied_seq = 0

    def write_documents(self, session: object, docs: list[object]) -> int:
        return 0

    def catch_up(self) -> set[tuple[str, str]]:
        return set()


@dataclass
class Env:
    app: FastAPI
    database: Database
    desk: TicketDesk
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=itertools.count)

    def client(self, who: str | None = None, **kwargs: object) -> TestClient:
        client = TestClient(self.app, follow_redirects=False, **kwargs)  # type: ignore[arg-type]
        if who is not None:
            client.headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return client

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def new_ticket(self, resolved: bool = False) -> str:
        """A fresh ticket of hospital A (assigned to the one engineer), optionally resolved."""
        ticket, _ = self.desk.create(TicketDraft(hospital_id=HOSPITAL_A, title=self.unique("打印机坏了")))
        if resolved:
            self.desk.resolve(ticket.code, "test", "碳带用完", ["更换碳带"])
        return ticket.code


def build_env(tmp: Path, database_url: str, **overrides: object) -> Env:
    settings = make_settings(tmp, database_url, secret_key="test-secret-key", **overrides)
    database = Database(database_url)
    kb = FakeKB()
    desk = TicketDesk(kb, database.sessions)  # type: ignore[arg-type]
    app = create_app(settings, kb=kb, database=database, desk=desk)  # type: ignore[arg-type]
    env = Env(app=app, database=database, desk=desk)
    with session_scope(database.sessions) as session:
        accounts.create_hospital(session=session, hospital_id=HOSPITAL_A, name="甲医院")
        accounts.create_hospital(session=session, hospital_id=HOSPITAL_B, name="乙医院")
        session.add(Contract(hospital_id=HOSPITAL_A, tier="premium"))
        # The engineer also holds the right to review articles (weibao.routing.engineers).
        session.add(Engineer(id=ENGINEER, name="值班工程师", tier="L2", systems={}, tags=[],
                             departments={}, regions=[], max_open=1000, can_review=True,
                             shifts=[{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                      "start": "00:00", "end": "00:00"}]))
        for name, (role, hospital) in PEOPLE.items():
            # No password: hashing is slow, and these callers use tokens.
            user = accounts.create_user(
                session=session, username=name, role=role, hospital_id=hospital
            )
            _, secret = accounts.create_token(
                session=session, user=user, name="test", expires_in=timedelta(days=1)
            )
            env.tokens[name] = secret
            env.user_ids[name] = user.id
        # The engineer's account is the on-duty engineer's profile: tickets land on them.
        session.get(Engineer, ENGINEER).user_id = env.user_ids["engineer"]  # type: ignore[union-attr]
    return env


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> Iterator[Env]:
    built = build_env(tmp_path, database_url)
    yield built
    # Return the connections now: a whole run on PostgreSQL would otherwise pile them up.
    limiter = getattr(built.app.state, "rate_limiter", None)
    if limiter is not None and getattr(limiter, "engine", None) is not None:
        limiter.engine.dispose()
    built.database.engine.dispose()


def add_password_user(env: Env, username: str, role: str = "engineer", **kwargs: object) -> int:
    with session_scope(env.database.sessions) as session:
        user = accounts.create_user(
            session=session, username=username, role=role, password=PASSWORD, **kwargs  # type: ignore[arg-type]
        )
        return user.id


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> object:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
    )
