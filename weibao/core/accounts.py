"""Hospitals, users and personal API tokens: the tables and the plain functions over them."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedString

ROLES = ("clinician", "hospital_it", "engineer", "manager", "admin")
# Roles that belong to one hospital and only ever see that hospital's records.
HOSPITAL_ROLES = frozenset({"clinician", "hospital_it"})
TOKEN_PREFIX = "wb_"
MIN_PASSWORD_CHARS = 10
# The longest lifetime a token may be given, whoever asks.
MAX_TOKEN_DAYS = 3650
# A session's last_seen_at is written at most this often, not on every request.
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
# Sessions expired longer ago than this are deleted when the user signs in again.
SESSION_KEEP = timedelta(days=7)
# Parent links followed at most when checking a token's lineage (tokens are few).
MAX_TOKEN_CHAIN = 100

_hasher = PasswordHasher()
# Verified against when the user does not exist, so that timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    """Bad input to an account function; the message names the field."""


class Hospital(Base):
    __tablename__ = "hospitals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(MaskedString(200))
    name_en: Mapped[str] = mapped_column(MaskedString(200), default="")
    region: Mapped[str] = mapped_column(String(64), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(MaskedString(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    # Required for clinician and hospital_it; optional for the vendor's roles.
    hospital_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("hospitals.id"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(MaskedString(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The token that minted this one, if any: a child never outlives or outranks it, and
    # revoking the parent revokes the child.
    parent_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True
    )

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class UserSession(Base):
    """A signed-in browser session, held server-side so that it can be revoked.

    The cookie carries only a random key; its SHA-256 is stored here. Logout, a new
    password or disabling the user sets revoked_at, and the cookie stops working at once.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Hospitals


def get_hospital(*, session: Session, hospital_id: str) -> Hospital | None:
    """The hospital with this id, or None."""
    return session.get(Hospital, hospital_id)


def get_all_hospitals(*, session: Session) -> list[Hospital]:
    """Every hospital, by id."""
    return list(session.scalars(select(Hospital).order_by(Hospital.id)))


def create_hospital(
    *, session: Session, hospital_id: str, name: str, name_en: str = "", region: str = "",
    timezone: str = "Asia/Shanghai",
) -> Hospital:
    """Adds a hospital; its id must be new."""
    if not hospital_id or len(hospital_id) > 64:
        raise AccountError("id: must be 1-64 characters")
    if not name.strip():
        raise AccountError("name: must not be empty")
    from zoneinfo import ZoneInfo  # every ticket of the hospital is shown in this zone

    try:
        ZoneInfo(timezone)
    except (LookupError, ValueError, OSError):
        raise AccountError(f"timezone: {timezone!r} is not an IANA time zone") from None
    if session.get(Hospital, hospital_id) is not None:
        raise AccountError(f"id: hospital {hospital_id!r} already exists")
    hospital = Hospital(
        id=hospital_id, name=name.strip(), name_en=name_en, region=region, timezone=timezone
    )
    session.add(hospital)
    session.flush()
    return hospital


# Users


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    """Raises AccountError when the password is too weak to set."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"password: must have at least {MIN_PASSWORD_CHARS} characters")


def generate_password() -> str:
    """A random password for one-time use."""
    return secrets.token_urlsafe(15)


def get_user(*, session: Session, user_id: int) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def get_user_by_username(*, session: Session, username: str) -> User | None:
    """The user with this username, or None."""
    return session.scalar(select(User).where(User.username == username))


def create_user(
    *, session: Session, username: str, role: str, hospital_id: str | None = None,
    password: str | None = None, display_name: str = "", must_change_password: bool = False,
) -> User:
    """Adds a user; hospital roles need an existing hospital, passwords are hashed."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError("username: must be 1-64 characters without spaces")
    if role not in ROLES:
        raise AccountError(f"role: must be one of {', '.join(ROLES)}")
    if role in HOSPITAL_ROLES and not hospital_id:
        raise AccountError(f"hospital_id: required for role {role}")
    if hospital_id and session.get(Hospital, hospital_id) is None:
        raise AccountError(f"hospital_id: no hospital {hospital_id!r}")
    if get_user_by_username(session=session, username=username) is not None:
        raise AccountError(f"username: {username!r} is taken")
    if password is not None:
        check_password_strength(password)
    user = User(
        username=username,
        role=role,
        hospital_id=hospital_id or None,
        display_name=display_name or username,
        # No password means no password sign-in until one is set.
        password_hash=hash_password(password) if password is not None else "",
        must_change_password=must_change_password,
        is_active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    return user


def set_password(*, session: Session, user: User, password: str) -> None:
    """Replaces the password, clears the lock and the change-password flag.

    Every session of the user ends: whoever knew the old password is signed out. A user
    who changed their own password gets a fresh session from the caller.
    """
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    user.failed_logins = 0
    user.locked_until = None
    revoke_user_sessions(session=session, user_id=user.id)
    session.flush()


def disable_user(*, session: Session, user: User) -> None:
    """Disables the user: no sign-in, and every session and token ends now."""
    user.is_active = False
    revoke_user_sessions(session=session, user_id=user.id)
    revoke_user_tokens(session=session, user_id=user.id)
    session.flush()


def enable_user(*, session: Session, user: User) -> None:
    """Lets a disabled user sign in again; their old sessions and tokens stay revoked."""
    user.is_active = True
    user.failed_logins = 0
    user.locked_until = None
    session.flush()


def verify_password(*, user: User | None, password: str) -> bool:
    """True when the password matches; spends the same time when the user is missing."""
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and bool(user.password_hash)


def is_locked(*, user: User, now: datetime | None = None) -> bool:
    """True while a lockout is running."""
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def register_failure(
    *, session: Session, user: User, threshold: int, lock_for: timedelta
) -> bool:
    """Counts a failed sign-in; returns True when this failure locked the account."""
    user.failed_logins = (user.failed_logins or 0) + 1
    locked = user.failed_logins >= threshold
    if locked:
        user.locked_until = utcnow() + lock_for
        user.failed_logins = 0
    session.flush()
    return locked


def register_success(*, session: Session, user: User) -> None:
    """Clears the failure count after a good sign-in."""
    user.failed_logins = 0
    user.locked_until = None
    session.flush()


def ensure_first_admin(session: Session, settings: object) -> str | None:
    """Creates user "admin" when no admin exists; returns the password when one was generated.

    The password comes from WEIBAO_ADMIN_PASSWORD when set, else it is random and
    returned once for printing. Either way it must be changed at first sign-in.
    """
    if session.scalar(select(func.count()).select_from(User).where(User.role == "admin")):
        return None
    given = os.environ.get("WEIBAO_ADMIN_PASSWORD", "")
    password = given or generate_password()
    username = "admin"
    if get_user_by_username(session=session, username=username) is not None:
        username = f"admin-{secrets.token_hex(3)}"
    create_user(
        session=session, username=username, role="admin", password=password,
        display_name="Administrator", must_change_password=True,
    )
    return None if given else password


# Browser sessions


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_session(
    *, session: Session, user: User, lifetime: timedelta
) -> tuple[UserSession, str]:
    """A new server-side session and its key; only the key's hash is stored."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    # The user's sessions that ended long ago are of no use any more: keep the table small.
    session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user.id, UserSession.expires_at < now - SESSION_KEEP)
        .execution_options(synchronize_session=False)
    )
    row = UserSession(
        user_id=user.id, key_hash=_key_digest(key), created_at=now, expires_at=now + lifetime,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()
    return row, key


def authenticate_session(*, session: Session, key: str) -> tuple[UserSession, User] | None:
    """The session and its active user while the key's session is neither revoked nor expired.

    Marks the session as seen, writing at most once per SESSION_TOUCH_INTERVAL.
    """
    if not key or len(key) > 200:
        return None
    row = session.scalar(select(UserSession).where(UserSession.key_hash == _key_digest(key)))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if row.last_seen_at is None or now - row.last_seen_at >= SESSION_TOUCH_INTERVAL:
        row.last_seen_at = now
        session.flush()
    return row, user


def revoke_session(*, session: Session, key: str) -> bool:
    """Ends the session with this key; False when there was no live one."""
    row = session.scalar(select(UserSession).where(UserSession.key_hash == _key_digest(key)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.flush()
    return True


def revoke_user_sessions(*, session: Session, user_id: int) -> int:
    """Ends every live session of the user; returns how many."""
    now = utcnow()
    rows = session.scalars(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
        UserSession.expires_at > now,
    ))
    count = 0
    for row in rows:
        row.revoked_at = now
        count += 1
    session.flush()
    return count


# API tokens


def _token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    *, session: Session, user: User, name: str = "", expires_in: timedelta | None = None,
    parent: ApiToken | None = None,
) -> tuple[ApiToken, str]:
    """A new personal token and its secret; only the hash is stored, so show the secret once.

    `parent` is the token the request was authenticated with, when it was one: the new
    token belongs to the same user, expires no later than the parent and is revoked with
    it. The lifetime never exceeds MAX_TOKEN_DAYS.
    """
    if len(name) > 100:
        raise AccountError("name: at most 100 characters")
    now = utcnow()
    if expires_in is not None and expires_in <= timedelta(0):
        raise AccountError("expires_in: must be positive")
    limit = now + timedelta(days=MAX_TOKEN_DAYS)
    expires_at = min(now + expires_in, limit) if expires_in is not None else None
    if parent is not None:
        if parent.user_id != user.id:
            raise AccountError("parent: a token can only mint tokens for its own user")
        if not token_chain_valid(session=session, token=parent, now=now):
            raise AccountError("parent: the minting token is expired or revoked")
        if parent.expires_at is not None:
            expires_at = parent.expires_at if expires_at is None else min(
                expires_at, parent.expires_at
            )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_token_digest(secret),
        created_at=now,
        expires_at=expires_at,
        parent_id=parent.id if parent is not None else None,
    )
    session.add(token)
    session.flush()
    return token, secret


def get_tokens(*, session: Session, user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included."""
    stmt = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return list(session.scalars(stmt))


def revoke_token(*, session: Session, user_id: int, token_id: int) -> ApiToken | None:
    """Revokes one of the user's tokens and every token minted from it, directly or not.

    None when the user has no such token.
    """
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        return None
    # A child always belongs to its parent's user, so the user's tokens hold the family.
    children: dict[int, list[ApiToken]] = {}
    for other in get_tokens(session=session, user_id=user_id):
        if other.parent_id is not None:
            children.setdefault(other.parent_id, []).append(other)
    now = utcnow()
    todo, seen = [token], set()
    while todo:
        current = todo.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        if current.revoked_at is None:
            current.revoked_at = now
        todo.extend(children.get(current.id, []))
    session.flush()
    return token


def revoke_user_tokens(*, session: Session, user_id: int) -> int:
    """Revokes every live token of the user; returns how many."""
    now = utcnow()
    count = 0
    for token in get_tokens(session=session, user_id=user_id):
        if token.revoked_at is None:
            token.revoked_at = now
            count += 1
    session.flush()
    return count


def token_chain_valid(*, session: Session, token: ApiToken, now: datetime) -> bool:
    """True when the token and every token it descends from are unexpired and unrevoked."""
    current: ApiToken | None = token
    for _ in range(MAX_TOKEN_CHAIN):
        if current is None or not current.is_valid(now):
            return False
        if current.parent_id is None:
            return True
        parent = session.get(ApiToken, current.parent_id)
        if parent is None or parent.user_id != current.user_id:
            return False
        current = parent
    return False  # longer than any real chain: refuse rather than loop


def authenticate_token(*, session: Session, secret: str) -> tuple[ApiToken, User] | None:
    """The token and its active user when the secret is valid, not expired and not revoked,
    and no token it was minted from is expired or revoked either."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(secret)))
    now = utcnow()
    if token is None or not token_chain_valid(session=session, token=token, now=now):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    return token, user
