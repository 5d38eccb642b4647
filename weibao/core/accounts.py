"""Hospitals, users and personal API tokens: the tables and the plain functions over them."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow

ROLES = ("clinician", "hospital_it", "engineer", "manager", "admin")
# Roles that belong to one hospital and only ever see that hospital's records.
HOSPITAL_ROLES = frozenset({"clinician", "hospital_it"})
TOKEN_PREFIX = "wb_"
MIN_PASSWORD_CHARS = 10

_hasher = PasswordHasher()
# Verified against when the user does not exist, so that timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    """Bad input to an account function; the message names the field."""


class Hospital(Base):
    __tablename__ = "hospitals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(64), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
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

    @property
    def session_version(self) -> str:
        """Changes with the password, so that a new password ends the old sessions."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), default="")
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
    """Replaces the password, clears the lock and the change-password flag."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.must_change_password = False
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


# API tokens


def _token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    *, session: Session, user: User, name: str = "", expires_in: timedelta | None = None
) -> tuple[ApiToken, str]:
    """A new personal token and its secret; only the hash is stored, so show the secret once."""
    if len(name) > 100:
        raise AccountError("name: at most 100 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_token_digest(secret),
        expires_at=utcnow() + expires_in if expires_in is not None else None,
    )
    session.add(token)
    session.flush()
    return token, secret


def get_tokens(*, session: Session, user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included."""
    stmt = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return list(session.scalars(stmt))


def revoke_token(*, session: Session, user_id: int, token_id: int) -> ApiToken | None:
    """Revokes one of the user's tokens; None when the user has no such token."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def authenticate_token(*, session: Session, secret: str) -> tuple[ApiToken, User] | None:
    """The token and its active user when the secret is valid, not expired and not revoked."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(secret)))
    now = utcnow()
    if token is None or not token.is_valid(now):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    return token, user
