"""Users, passwords, tokens and the first admin, against SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weibao.core import accounts, audit
from weibao.core.accounts import AccountError
from weibao.core.db import Database, session_scope, utcnow


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    with session_scope(database.sessions) as session:
        accounts.create_hospital(session=session, hospital_id="h-a", name="甲医院")
    return database


def test_clinician_without_a_hospital_is_refused(db: Database) -> None:
    with session_scope(db.sessions) as session, pytest.raises(AccountError, match="hospital_id"):
        accounts.create_user(session=session, username="d", role="clinician")


def test_unknown_role_and_duplicate_username_are_refused(db: Database) -> None:
    with session_scope(db.sessions) as session:
        accounts.create_user(session=session, username="e", role="engineer")
        with pytest.raises(AccountError, match="role"):
            accounts.create_user(session=session, username="x", role="root")
        with pytest.raises(AccountError, match="taken"):
            accounts.create_user(session=session, username="e", role="engineer")


def test_password_is_hashed_with_argon2_and_verifies(db: Database) -> None:
    with session_scope(db.sessions) as session:
        user = accounts.create_user(
            session=session, username="e", role="engineer", password="long-enough-pw"
        )
        assert user.password_hash.startswith("$argon2id$")
        assert accounts.verify_password(user=user, password="long-enough-pw")
        assert not accounts.verify_password(user=user, password="wrong-password")
        assert not accounts.verify_password(user=None, password="long-enough-pw")


def test_user_without_a_password_cannot_sign_in(db: Database) -> None:
    with session_scope(db.sessions) as session:
        user = accounts.create_user(session=session, username="t", role="engineer")
        assert not accounts.verify_password(user=user, password="")


def test_token_secret_is_stored_only_as_a_hash(db: Database) -> None:
    with session_scope(db.sessions) as session:
        user = accounts.create_user(session=session, username="e", role="engineer")
        token, secret = accounts.create_token(session=session, user=user)
        assert secret.startswith("wb_") and secret not in token.token_hash
        assert accounts.authenticate_token(session=session, secret=secret) is not None


def test_expired_and_revoked_tokens_are_refused(db: Database) -> None:
    with session_scope(db.sessions) as session:
        user = accounts.create_user(session=session, username="e", role="engineer")
        old, old_secret = accounts.create_token(
            session=session, user=user, expires_in=timedelta(days=1)
        )
        old.expires_at = utcnow() - timedelta(seconds=1)
        _, live = accounts.create_token(session=session, user=user)
        revoked, revoked_secret = accounts.create_token(session=session, user=user)
        accounts.revoke_token(session=session, user_id=user.id, token_id=revoked.id)
        assert accounts.authenticate_token(session=session, secret=old_secret) is None
        assert accounts.authenticate_token(session=session, secret=revoked_secret) is None
        assert accounts.authenticate_token(session=session, secret=live) is not None
        assert accounts.authenticate_token(session=session, secret="wb_forged") is None


def test_revoking_someone_elses_token_finds_nothing(db: Database) -> None:
    with session_scope(db.sessions) as session:
        a = accounts.create_user(session=session, username="a", role="engineer")
        b = accounts.create_user(session=session, username="b", role="engineer")
        token, _ = accounts.create_token(session=session, user=a)
        assert accounts.revoke_token(session=session, user_id=b.id, token_id=token.id) is None


def test_child_token_expires_with_its_parent_and_belongs_to_its_user(db: Database) -> None:
    with session_scope(db.sessions) as session:
        a = accounts.create_user(session=session, username="a", role="engineer")
        b = accounts.create_user(session=session, username="b", role="admin")
        parent, _ = accounts.create_token(session=session, user=a, expires_in=timedelta(days=2))
        child, secret = accounts.create_token(
            session=session, user=a, expires_in=timedelta(days=3650), parent=parent
        )
        assert child.parent_id == parent.id and child.expires_at == parent.expires_at
        open_ended, _ = accounts.create_token(session=session, user=a, parent=parent)
        assert open_ended.expires_at == parent.expires_at  # no "never" under a parent
        with pytest.raises(AccountError, match="parent"):
            accounts.create_token(session=session, user=b, parent=parent)
        parent.revoked_at = utcnow()
        with pytest.raises(AccountError, match="parent"):
            accounts.create_token(session=session, user=a, parent=parent)
        assert accounts.authenticate_token(session=session, secret=secret) is None


def test_token_lifetime_is_capped_at_the_maximum(db: Database) -> None:
    with session_scope(db.sessions) as session:
        user = accounts.create_user(session=session, username="e", role="engineer")
        token, _ = accounts.create_token(
            session=session, user=user, expires_in=timedelta(days=100_000)
        )
        assert token.expires_at is not None
        assert token.expires_at <= utcnow() + timedelta(days=accounts.MAX_TOKEN_DAYS)


def test_revoking_a_token_revokes_its_descendants_and_nothing_else(db: Database) -> None:
    with session_scope(db.sessions) as session:
        user = accounts.create_user(session=session, username="e", role="engineer")
        root, _ = accounts.create_token(session=session, user=user)
        child, _ = accounts.create_token(session=session, user=user, parent=root)
        grandchild, _ = accounts.create_token(session=session, user=user, parent=child)
        sibling, _ = accounts.create_token(session=session, user=user, parent=root)
        unrelated, _ = accounts.create_token(session=session, user=user)
        accounts.revoke_token(session=session, user_id=user.id, token_id=child.id)
        assert child.revoked_at is not None and grandchild.revoked_at is not None
        assert root.revoked_at is None and sibling.revoked_at is None
        assert unrelated.revoked_at is None


def test_sessions_end_with_logout_new_password_expiry_and_disabling(db: Database) -> None:
    with session_scope(db.sessions) as session:
        user = accounts.create_user(session=session, username="e", role="engineer")
        lifetime = timedelta(hours=1)
        row, key = accounts.create_session(session=session, user=user, lifetime=lifetime)
        assert row.key_hash != key and key not in row.key_hash
        assert accounts.authenticate_session(session=session, key=key) is not None
        assert accounts.revoke_session(session=session, key=key)
        assert accounts.authenticate_session(session=session, key=key) is None

        _, key = accounts.create_session(session=session, user=user, lifetime=lifetime)
        _, other = accounts.create_session(session=session, user=user, lifetime=lifetime)
        accounts.set_password(session=session, user=user, password="a-new-long-password")
        assert accounts.authenticate_session(session=session, key=key) is None
        assert accounts.authenticate_session(session=session, key=other) is None

        row, key = accounts.create_session(session=session, user=user, lifetime=lifetime)
        row.expires_at = utcnow() - timedelta(seconds=1)
        assert accounts.authenticate_session(session=session, key=key) is None

        _, key = accounts.create_session(session=session, user=user, lifetime=lifetime)
        token, secret = accounts.create_token(session=session, user=user)
        accounts.disable_user(session=session, user=user)
        assert not user.is_active and token.revoked_at is not None
        assert accounts.authenticate_session(session=session, key=key) is None
        assert accounts.authenticate_token(session=session, secret=secret) is None
        user.is_active = True  # enabling again brings nothing back
        assert accounts.authenticate_session(session=session, key=key) is None
        assert accounts.authenticate_token(session=session, secret=secret) is None


def test_first_admin_is_created_once_with_a_one_time_password(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEIBAO_ADMIN_PASSWORD", raising=False)
    with session_scope(db.sessions) as session:
        password = accounts.ensure_first_admin(session, None)
        assert password and len(password) >= 16
        admin = accounts.get_user_by_username(session=session, username="admin")
        assert admin is not None and admin.must_change_password
        assert accounts.verify_password(user=admin, password=password)
        assert accounts.ensure_first_admin(session, None) is None


def test_first_admin_password_from_the_environment_is_not_printed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEIBAO_ADMIN_PASSWORD", "from-the-environment")
    with session_scope(db.sessions) as session:
        assert accounts.ensure_first_admin(session, None) is None
        admin = accounts.get_user_by_username(session=session, username="admin")
        assert accounts.verify_password(user=admin, password="from-the-environment")


def test_audit_filters_by_actor_action_prefix_and_time(db: Database) -> None:
    with session_scope(db.sessions) as session:
        audit.record(session, action="auth.login", actor_name="a")
        audit.record(session, action="auth.login_failed", actor_name="b")
        audit.record(session, action="user.created", actor_name="a")
        assert len(audit.get_events(session=session, actor="a")) == 2
        assert len(audit.get_events(session=session, action="auth.")) == 2
        assert len(audit.get_events(session=session, action="auth.login")) == 1
        later = utcnow() + timedelta(minutes=1)
        assert audit.get_events(session=session, since=later) == []


def test_audit_detail_never_keeps_long_or_personal_text(db: Database) -> None:
    with session_scope(db.sessions) as session:
        event = audit.record(
            session, action="auth.login_failed", detail={"note": "患者张三丰 13812345678" + "x" * 500}
        )
        assert "13812345678" not in str(event.detail) and "张三丰" not in str(event.detail)
        assert len(str(event.detail["note"])) <= 220
        with pytest.raises(ValueError, match="unknown audit action"):
            audit.record(session, action="ticket.text")
