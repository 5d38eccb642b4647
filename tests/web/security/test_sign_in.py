"""Sign-in, lockout, tokens, CSRF, headers, limits: the edge cases by name."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from tests.web.security.conftest import (
    PASSWORD,
    Env,
    add_password_user,
    build_env,
    csrf_from,
    sign_in,
)
from weibao.core.accounts import ApiToken, User
from weibao.core.audit import AuditEvent
from weibao.core.db import session_scope, utcnow
from weibao.web.deps import Caller
from weibao.web.security.middleware import SECURITY_HEADERS
from weibao.web.security.policy import scope_to_hospital


def actions(env: Env) -> list[str]:
    with session_scope(env.database.sessions) as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_sign_in_sets_a_hardened_cookie_and_me_answers(env: Env) -> None:
    add_password_user(env, "eng")
    client = env.client()
    response = sign_in(client, "eng")
    assert response.status_code == 303 and response.headers["location"] == "/home"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/api/me").json()["username"] == "eng"
    assert "auth.login" in actions(env)


def test_cookie_is_secure_over_https(env: Env) -> None:
    add_password_user(env, "eng")
    client = env.client(base_url="https://testserver")
    assert "Secure" in sign_in(client, "eng").headers["set-cookie"]


def test_sign_in_redirect_stays_on_this_site(env: Env) -> None:
    add_password_user(env, "eng")
    client = env.client()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "eng", "password": PASSWORD, "next": "//evil.example/x",
              "csrf_token": csrf_from(page.text)},
    )
    assert response.headers["location"] == "/"


def test_lockout_after_repeated_failures_is_audited_and_holds_for_the_right_password(
    env: Env,
) -> None:
    add_password_user(env, "eng")
    client = env.client()
    threshold = env.app.state.settings.lockout_threshold
    statuses = [sign_in(client, "eng", "wrong-password").status_code for _ in range(threshold)]
    assert statuses == [401] * (threshold - 1) + [423]
    assert sign_in(client, "eng").status_code == 423  # locked: even the right password fails
    logged = actions(env)
    assert logged.count("auth.login_failed") == threshold + 1 and "auth.locked" in logged
    with session_scope(env.database.sessions) as session:
        session.execute(update(User).where(User.username == "eng").values(
            locked_until=utcnow() - timedelta(seconds=1)))
    assert sign_in(client, "eng").status_code == 303  # the lock ran out


def test_unknown_user_fails_like_a_wrong_password(env: Env) -> None:
    response = sign_in(env.client(), "nobody", "whatever-pw")
    assert response.status_code == 401 and "用户名或密码错误" in response.text


def test_login_rate_limit_answers_429_with_retry_after(database_url: str, tmp_path: Path) -> None:
    env = build_env(tmp_path, database_url, login_rate_per_minute=2)
    client = env.client()
    codes = [sign_in(client, "nobody", "x" * 10).status_code for _ in range(3)]
    assert codes[:2] == [401, 401] and codes[2] == 429
    last = sign_in(client, "nobody", "x" * 10)
    assert int(last.headers["retry-after"]) >= 1


def test_form_post_without_csrf_token_is_403(env: Env) -> None:
    add_password_user(env, "eng")
    client = env.client()
    client.get("/login")
    response = client.post("/login", data={"username": "eng", "password": PASSWORD})
    assert response.status_code == 403
    assert "auth.login" not in actions(env)


def test_form_post_with_another_sessions_csrf_token_is_403(env: Env) -> None:
    add_password_user(env, "eng")
    token = csrf_from(env.client().get("/login").text)
    other = env.client()
    other.get("/login")
    response = other.post(
        "/login", data={"username": "eng", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403


def test_api_write_with_session_cookie_needs_the_csrf_header(env: Env) -> None:
    add_password_user(env, "eng")
    client = env.client()
    sign_in(client, "eng")
    assert client.post("/api/tokens", json={"name": "x"}).status_code == 403
    token = csrf_from(client.get("/account/password").text)
    response = client.post("/api/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token})
    assert response.status_code == 201


def test_logout_ends_the_session(env: Env) -> None:
    add_password_user(env, "eng")
    client = env.client()
    sign_in(client, "eng")
    token = csrf_from(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/api/me").status_code == 401


def test_first_sign_in_with_a_one_time_password_must_change_it(env: Env) -> None:
    add_password_user(env, "newadmin", role="admin", must_change_password=True)
    client = env.client()
    assert sign_in(client, "newadmin").headers["location"] == "/account/password"
    assert client.get("/audit").headers["location"] == "/account/password"
    assert client.get("/api/audit").status_code == 403
    token = csrf_from(client.get("/account/password").text)
    new = "a-brand-new-password"
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": new, "repeat": new, "csrf_token": token},
    )
    assert response.status_code == 303
    assert client.get("/audit").status_code == 200
    assert sign_in(env.client(), "newadmin", new).status_code == 303


def test_password_change_ends_other_sessions(env: Env) -> None:
    add_password_user(env, "eng")
    first, second = env.client(), env.client()
    sign_in(first, "eng")
    sign_in(second, "eng")
    token = csrf_from(first.get("/account/password").text)
    new = "another-long-password"
    first.post("/account/password",
               data={"current": PASSWORD, "new": new, "repeat": new, "csrf_token": token})
    assert first.get("/api/me").status_code == 200
    assert second.get("/api/me").status_code == 401


def test_token_created_over_the_api_works_once_shown_and_stops_when_revoked(env: Env) -> None:
    admin = env.client("admin")
    created = admin.post("/api/tokens", json={"name": "ci", "expires_days": 7}).json()
    secret, token_id = created["secret"], created["token"]["id"]
    listed = admin.get("/api/tokens").json()
    assert all("secret" not in t and secret not in str(t) for t in listed)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert env.client().get("/api/me", headers=bearer).status_code == 200
    assert admin.delete(f"/api/tokens/{token_id}").status_code == 204
    refused = env.client().get("/api/me", headers=bearer)
    assert refused.status_code == 401 and refused.json()["detail"]
    assert "auth.token_rejected" in actions(env) and "token.used" in actions(env)


def test_expired_token_is_401_even_on_a_public_route(env: Env) -> None:
    with session_scope(env.database.sessions) as session:
        session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert env.client("engineer").get("/api/search", params={"q": "x"}).status_code == 401


def test_deleting_another_users_token_is_404(env: Env) -> None:
    theirs = env.client("admin").post("/api/tokens", json={}).json()["token"]["id"]
    assert env.client("engineer").delete(f"/api/tokens/{theirs}").status_code == 404


def test_hospital_it_lists_only_its_own_hospitals_users(env: Env) -> None:
    names = {u["username"] for u in env.client("hospital_it").get("/api/users").json()}
    assert names == {"clinician", "hospital_it"}
    everyone = {u["username"] for u in env.client("manager").get("/api/users").json()}
    assert {"clinician_b", "admin"} <= everyone


def test_scope_to_hospital_for_each_kind_of_caller() -> None:
    stmt = select(User)

    def where(caller: Caller) -> str:
        clause = scope_to_hospital(stmt, User, caller).whereclause
        return "" if clause is None else str(clause.compile(compile_kwargs={"literal_binds": True}))

    assert where(Caller(role="clinician", hospital_id="h-a")) == "users.hospital_id = 'h-a'"
    assert where(Caller(role="hospital_it", hospital_id="h-b")) == "users.hospital_id = 'h-b'"
    assert where(Caller(role="manager")) == ""
    assert where(Caller()) == "false"  # anonymous: nothing
    assert where(Caller(role="clinician")) == "false"  # bound role without a hospital


def test_security_headers_on_pages_api_and_errors(env: Env) -> None:
    client = env.client()
    for response in (client.get("/"), client.get("/login"), client.get("/api/me"),
                     client.get("/no-such-page")):
        for key, value in SECURITY_HEADERS.items():
            assert response.headers[key] == value


def test_oversized_body_is_413_with_a_message(env: Env) -> None:
    limit = env.app.state.settings.max_body_bytes
    response = env.client("admin").post(
        "/api/tokens", content=b"{" + b" " * limit + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413 and "too large" in response.json()["detail"]


def test_chat_rate_limit_dependency_counts_each_user(
    database_url: str, tmp_path: Path
) -> None:
    from fastapi import Depends

    from weibao.web.security.policy import Permission
    from weibao.web.security.ratelimit import rate_limit

    env = build_env(tmp_path, database_url, chat_rate_per_minute=2)

    @env.app.get("/api/chat-probe", dependencies=[Depends(rate_limit("chat"))])
    def probe(caller: Caller = Permission("chat.use")) -> dict[str, str]:
        return {"ok": "yes"}

    client = env.client("clinician")
    codes = [client.get("/api/chat-probe").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_422_names_the_field(env: Env) -> None:
    response = env.client("admin").post(
        "/api/users", json={"username": "x", "role": "clinician"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "hospital_id"]
    bad_role = env.client("admin").post("/api/users", json={"username": "x", "role": "root"})
    assert bad_role.json()["detail"][0]["loc"][-1] == "role"


def test_secret_key_file_is_created_once_with_private_permissions(tmp_path: Path) -> None:
    from tests.conftest import make_settings
    from weibao.web.security.keys import load_secret_key

    settings = make_settings(tmp_path)
    key = load_secret_key(settings)
    assert load_secret_key(settings) == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
