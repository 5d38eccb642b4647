"""Revocable sessions, token lineage and the rejected-token flood: the audit findings by name."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import func, select, update

from tests.web.security.conftest import (
    PASSWORD,
    Env,
    add_password_user,
    build_env,
    csrf_from,
    sign_in,
)
from weibao.core import accounts
from weibao.core.accounts import ApiToken, User, UserSession
from weibao.core.audit import AuditEvent
from weibao.core.db import session_scope, utcnow
from weibao.web.security.session import COOKIE_NAME


def signed_in_client(env: Env, username: str = "eng") -> tuple[TestClient, str]:
    """A client signed in as `username` (created with PASSWORD), and its cookie value."""
    client = env.client()
    assert sign_in(client, username).status_code == 303
    return client, client.cookies[COOKIE_NAME]


def replay(env: Env, cookie: str) -> int:
    """The status of /api/me for a new client that presents a copy of the cookie."""
    client = env.client()
    client.cookies.set(COOKIE_NAME, cookie)
    return client.get("/api/me").status_code


def audit_count(env: Env, action: str) -> int:
    with session_scope(env.database.sessions) as session:
        return int(session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        ) or 0)


def token_row(env: Env, token_id: int) -> ApiToken:
    with session_scope(env.database.sessions) as session:
        token = session.get(ApiToken, token_id)
        assert token is not None
        session.expunge(token)
        return token


# 1. Sessions are server-side and revocable.


def test_sign_in_stores_only_the_hash_of_the_cookie_key(env: Env) -> None:
    user_id = add_password_user(env, "eng")
    _, cookie = signed_in_client(env)
    payload = json.loads(
        TimestampSigner("test-secret-key", salt="weibao.session").unsign(cookie, max_age=3600)
    )
    assert "uid" not in payload and "sv" not in payload
    with session_scope(env.database.sessions) as session:
        row = session.scalar(select(UserSession).where(UserSession.user_id == user_id))
        assert row is not None and row.revoked_at is None
        assert row.key_hash == hashlib.sha256(payload["sid"].encode()).hexdigest()
        hours = env.app.state.settings.session_hours
        assert abs((row.expires_at - row.created_at) - timedelta(hours=hours)) < timedelta(
            seconds=5
        )


def test_replayed_cookie_after_logout_is_anonymous(env: Env) -> None:
    add_password_user(env, "eng")
    client, cookie = signed_in_client(env)
    assert replay(env, cookie) == 200
    token = csrf_from(client.get("/account/password").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert replay(env, cookie) == 401
    # A page answers as to an anonymous caller: off to the sign-in.
    stale = env.client()
    stale.cookies.set(COOKIE_NAME, cookie)
    assert stale.get("/account/password").headers["location"].startswith("/login")


def test_a_cookie_holding_a_user_id_and_password_version_no_longer_signs_in(env: Env) -> None:
    # The old cookie format: uid + a version derived from the password hash.
    user_id = add_password_user(env, "eng")
    with session_scope(env.database.sessions) as session:
        user = session.get(User, user_id)
        assert user is not None
        version = hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
    forged = TimestampSigner("test-secret-key", salt="weibao.session").sign(
        json.dumps({"uid": user_id, "sv": version})
    ).decode()
    assert replay(env, forged) == 401


def test_own_password_change_revokes_copies_but_keeps_this_browser_signed_in(env: Env) -> None:
    add_password_user(env, "eng")
    client, cookie = signed_in_client(env)
    _, other_cookie = signed_in_client(env)
    token = csrf_from(client.get("/account/password").text)
    new = "another-long-password"
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": new, "repeat": new, "csrf_token": token},
    )
    assert response.status_code == 303
    assert client.get("/api/me").status_code == 200  # a fresh session
    assert client.cookies[COOKIE_NAME] != cookie
    assert replay(env, cookie) == 401
    assert replay(env, other_cookie) == 401


def test_password_set_by_an_admin_revokes_every_session(env: Env) -> None:
    user_id = add_password_user(env, "eng")
    _, cookie = signed_in_client(env)
    with session_scope(env.database.sessions) as session:
        user = session.get(User, user_id)
        assert user is not None
        accounts.set_password(session=session, user=user, password="set-by-the-admin")
    assert replay(env, cookie) == 401


def test_disabling_a_user_revokes_sessions_and_tokens(env: Env) -> None:
    user_id = add_password_user(env, "eng")
    client, cookie = signed_in_client(env)
    csrf = csrf_from(client.get("/account/password").text)
    minted = client.post("/api/tokens", json={"name": "ci"}, headers={"X-CSRF-Token": csrf})
    secret = minted.json()["secret"]
    bearer = {"Authorization": f"Bearer {secret}"}
    assert env.client().get("/api/me", headers=bearer).status_code == 200
    with session_scope(env.database.sessions) as session:
        user = session.get(User, user_id)
        assert user is not None
        accounts.disable_user(session=session, user=user)
    assert replay(env, cookie) == 401
    assert env.client().get("/api/me", headers=bearer).status_code == 401
    with session_scope(env.database.sessions) as session:
        assert all(t.revoked_at is not None for t in accounts.get_tokens(
            session=session, user_id=user_id))
        rows = session.scalars(select(UserSession).where(UserSession.user_id == user_id))
        assert all(r.revoked_at is not None for r in rows)
        # Enabling the account again does not bring the old sessions back.
        session.execute(update(User).where(User.id == user_id).values(is_active=True))
    assert replay(env, cookie) == 401


def test_expired_session_is_anonymous(env: Env) -> None:
    add_password_user(env, "eng")
    _, cookie = signed_in_client(env)
    with session_scope(env.database.sessions) as session:
        session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert replay(env, cookie) == 401


def test_last_seen_is_written_at_most_once_a_minute(env: Env) -> None:
    add_password_user(env, "eng")
    client, _ = signed_in_client(env)

    def last_seen() -> object:
        with session_scope(env.database.sessions) as session:
            return session.scalar(select(UserSession.last_seen_at))

    first = last_seen()
    for _ in range(3):
        assert client.get("/api/me").status_code == 200
    assert last_seen() == first
    earlier = utcnow() - timedelta(minutes=2)
    with session_scope(env.database.sessions) as session:
        session.execute(update(UserSession).values(last_seen_at=earlier))
    client.get("/api/me")
    seen = last_seen()
    assert seen is not None and seen > earlier + timedelta(minutes=1)  # type: ignore[operator]


# 2. Tokens minted with tokens.


def mint(env: Env, secret: str, **body: object) -> dict[str, object]:
    response = env.client().post(
        "/api/tokens", json={"name": "child", **body},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_token_minted_by_a_token_records_its_parent_and_expires_no_later(env: Env) -> None:
    with session_scope(env.database.sessions) as session:
        parent_id = accounts.get_tokens(session=session, user_id=env.user_ids["engineer"])[0].id
    child = mint(env, env.tokens["engineer"], expires_days=3650)
    parent = token_row(env, parent_id)
    made = token_row(env, child["token"]["id"])  # type: ignore[index]
    assert made.parent_id == parent_id
    assert parent.expires_at is not None and made.expires_at is not None
    assert made.expires_at <= parent.expires_at
    # The child is the same user with the same role, nothing more.
    me = env.client().get(
        "/api/me", headers={"Authorization": f"Bearer {child['secret']}"}
    ).json()
    assert (me["username"], me["role"]) == ("engineer", "engineer")


def test_token_from_a_session_expires_after_token_days_by_default(env: Env) -> None:
    add_password_user(env, "eng")
    client, _ = signed_in_client(env)
    csrf = csrf_from(client.get("/account/password").text)
    created = client.post("/api/tokens", json={}, headers={"X-CSRF-Token": csrf}).json()
    token = token_row(env, created["token"]["id"])
    days = env.app.state.settings.token_days
    assert token.parent_id is None and token.expires_at is not None
    assert abs(token.expires_at - (utcnow() + timedelta(days=days))) < timedelta(minutes=1)


def test_no_field_lets_a_token_pick_another_user_or_role(env: Env) -> None:
    client = env.client("clinician")
    for extra in ({"role": "admin"}, {"user_id": env.user_ids["admin"]}, {"username": "admin"},
                  {"parent_id": None}):
        response = client.post("/api/tokens", json={"name": "x", **extra})
        assert response.status_code == 422, extra
        assert response.json()["detail"][0]["loc"][-1] == next(iter(extra))


def test_revoking_a_token_revokes_its_children_and_grandchildren(env: Env) -> None:
    parent_secret = env.tokens["engineer"]
    child = mint(env, parent_secret)
    grandchild = mint(env, child["secret"])  # type: ignore[arg-type]
    with session_scope(env.database.sessions) as session:
        parent_id = accounts.get_tokens(session=session, user_id=env.user_ids["engineer"])[-1].id
    # Revoked through the API, as the engineer, with the grandchild itself.
    response = env.client().delete(
        f"/api/tokens/{parent_id}", headers={"Authorization": f"Bearer {grandchild['secret']}"}
    )
    assert response.status_code == 204
    for minted in (child, grandchild):
        assert token_row(env, minted["token"]["id"]).revoked_at is not None  # type: ignore[index]
        bearer = {"Authorization": f"Bearer {minted['secret']}"}
        assert env.client().get("/api/me", headers=bearer).status_code == 401


def test_grandchild_of_a_revoked_or_expired_token_is_refused(env: Env) -> None:
    child = mint(env, env.tokens["engineer"])
    grandchild = mint(env, child["secret"])  # type: ignore[arg-type]
    bearer = {"Authorization": f"Bearer {grandchild['secret']}"}
    assert env.client().get("/api/me", headers=bearer).status_code == 200
    child_id = child["token"]["id"]  # type: ignore[index]
    # Only the middle token is revoked, behind the API's back: the chain check catches it.
    with session_scope(env.database.sessions) as session:
        session.execute(update(ApiToken).where(ApiToken.id == child_id).values(
            revoked_at=utcnow()))
    assert env.client().get("/api/me", headers=bearer).status_code == 401
    with session_scope(env.database.sessions) as session:
        session.execute(update(ApiToken).where(ApiToken.id == child_id).values(
            revoked_at=None, expires_at=utcnow() - timedelta(seconds=1)))
    assert env.client().get("/api/me", headers=bearer).status_code == 401


def test_expires_days_must_be_a_real_integer(env: Env) -> None:
    client = env.client("admin")
    for bad in (True, False, "7", 1.5, 0, 3651):
        response = client.post("/api/tokens", json={"expires_days": bad})
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["body", "expires_days"], bad
    assert client.post("/api/tokens", json={"expires_days": 1}).status_code == 201


# 3. Rejected tokens do not flood the audit log.


def test_a_hundred_bad_tokens_write_one_audit_row_and_then_429(env: Env) -> None:
    limit = env.app.state.settings.auth_failure_rate_per_minute
    client = env.client()
    responses = [
        client.get("/api/me", headers={"Authorization": f"Bearer wb_forged{i}"})
        for i in range(100)
    ]
    codes = [r.status_code for r in responses]
    # The first `limit` are refused as bad tokens; once a 429, always a 429 (the shared
    # counter's sliding window may admit one more at a minute boundary).
    assert codes[:limit] == [401] * limit and set(codes) == {401, 429}
    assert codes == sorted(codes) and codes.count(429) >= 100 - limit - 2
    assert audit_count(env, "auth.token_rejected") <= 2
    refused = responses[-1]
    assert int(refused.headers["retry-after"]) >= 1
    assert "too many invalid tokens" in refused.json()["detail"]
    # Over the limit, even a good token from that address waits: nothing is looked up.
    good = client.get("/api/me", headers={"Authorization": f"Bearer {env.tokens['admin']}"})
    assert good.status_code == 429
    # Another address is not affected.
    elsewhere = env.client(client=("10.0.0.9", 1234))
    assert elsewhere.get(
        "/api/me", headers={"Authorization": f"Bearer {env.tokens['admin']}"}
    ).status_code == 200


def test_rejections_under_the_limit_leave_good_tokens_alone(
    database_url: str, tmp_path: Path
) -> None:
    env = build_env(tmp_path, database_url, auth_failure_rate_per_minute=3)
    client = env.client()
    codes = [client.get("/api/me", headers={"Authorization": "Bearer nope"}).status_code
             for _ in range(3)]
    assert codes == [401, 401, 401]
    assert env.client("admin").get("/api/me").status_code == 200
    assert client.get("/api/me", headers={"Authorization": "Bearer nope"}).status_code == 429
    with session_scope(env.database.sessions) as session:
        rows = list(session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.token_rejected")))
    assert len(rows) == 1 and rows[0].ip == "testclient" and rows[0].detail["rejected"] == 1
