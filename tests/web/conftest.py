"""Web fixtures over the seeded services: the real knowledge base and ticket desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from weibao.core import accounts
from weibao.core.db import session_scope
from weibao.routing.models import Engineer
from weibao.web.app import create_app

# name -> (role, hospital) of the people who use the seeded app in these tests.
SEEDED_PEOPLE = {
    "nurse_hz": ("clinician", "h-hzsy"),
    "it_hz": ("hospital_it", "h-hzsy"),
    "it_fs": ("hospital_it", "h-fsnh"),
    "engineer": ("engineer", None),
    "manager": ("manager", None),
    "admin_ops": ("admin", None),
}
# The engineer's account is linked to this seeded engineer profile.
ENGINEER_PROFILE = "eng-zhouhaitao"


@pytest.fixture(scope="session")
def app(seeded_dir, seeded_services):  # type: ignore[no-untyped-def]
    return create_app(
        make_settings(seeded_dir, secret_key="test-secret-key"),
        kb=seeded_services.kb,
        database=seeded_services.database,
        desk=seeded_services.desk,
    )


@pytest.fixture(scope="session")
def tokens(seeded_services) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A personal API token for each of SEEDED_PEOPLE."""
    secrets: dict[str, str] = {}
    with session_scope(seeded_services.database.sessions) as session:
        for name, (role, hospital) in SEEDED_PEOPLE.items():
            user = accounts.get_user_by_username(session=session, username=name) or accounts.create_user(
                session=session, username=name, role=role, hospital_id=hospital
            )
            _, secrets[name] = accounts.create_token(
                session=session, user=user, name="tests", expires_in=timedelta(days=1)
            )
            if name == "engineer":
                session.get(Engineer, ENGINEER_PROFILE).user_id = user.id  # type: ignore[union-attr]
    return secrets


@pytest.fixture
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def as_user(app, tokens):  # type: ignore[no-untyped-def]
    """as_user("it_hz") → a TestClient that calls with that person's token."""

    def make(name: str) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False)
        client.headers["Authorization"] = f"Bearer {tokens[name]}"
        return client

    return make
