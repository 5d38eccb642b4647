"""The one place where endpoints get their dependencies: the caller and the services."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from weibao.core import audit
from weibao.core.accounts import User, authenticate_token, get_user
from weibao.core.db import Database, session_scope, utcnow
from weibao.kb.service import KnowledgeBase
from weibao.routing.desk import TicketDesk
from weibao.web.security.errors import SecurityProblem

# Token use is audited at most once per token and this interval, not on every call.
TOKEN_USE_AUDIT_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling. Every route names CallerDep, so access policy has one entry point."""

    role: str = "anonymous"
    user_id: int | None = None
    username: str | None = None
    hospital_id: str | None = None
    via: str = ""  # "session", "token" or "" for anonymous
    must_change_password: bool = False

    @property
    def is_anonymous(self) -> bool:
        return self.role == "anonymous"


ANONYMOUS = Caller()


def _caller_for(user: User, via: str) -> Caller:
    return Caller(
        role=user.role,
        user_id=user.id,
        username=user.username,
        hospital_id=user.hospital_id,
        via=via,
        must_change_password=user.must_change_password and via == "session",
    )


def _from_token(request: Request, database: Database, secret: str) -> Caller:
    from weibao.web.security.ratelimit import client_address

    with session_scope(database.sessions) as session:
        found = authenticate_token(session=session, secret=secret)
        if found is None:
            audit.record(
                session, action="auth.token_rejected", ip=client_address(request),
                target=f"{request.method} {request.url.path}",
            )
            session.commit()
            raise SecurityProblem(401, "invalid, expired or revoked token")
        token, user = found
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_AUDIT_INTERVAL:
            audit.record(
                session, action="token.used", actor_user_id=user.id, actor_name=user.username,
                actor_role=user.role, hospital_id=user.hospital_id, target=f"token:{token.id}",
                ip=client_address(request),
            )
        token.last_used_at = now
        return _caller_for(user, "token")


def _from_session(request: Request, database: Database) -> Caller:
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return ANONYMOUS
    with session_scope(database.sessions) as session:
        user = get_user(session=session, user_id=uid)
        # A disabled user, or a changed password, ends the session.
        if user is None or not user.is_active or request.session.get("sv") != user.session_version:
            request.session.pop("uid", None)
            request.session.pop("sv", None)
            return ANONYMOUS
        return _caller_for(user, "session")


def get_caller(request: Request) -> Caller:
    """The caller from a Bearer token, else the session cookie, else anonymous."""
    cached = getattr(request.state, "caller", None)
    if isinstance(cached, Caller):
        return cached
    database: Database = request.app.state.database
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if header and scheme.lower() == "bearer":
        caller = _from_token(request, database, secret.strip())
    elif "session" in request.scope:
        caller = _from_session(request, database)
    else:
        caller = ANONYMOUS
    request.state.caller = caller
    return caller


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request; routes commit what they change."""
    session = request.app.state.database.session()
    try:
        yield session
    finally:
        session.close()


def get_kb(request: Request) -> KnowledgeBase:
    kb: KnowledgeBase = request.app.state.kb
    kb.reload_if_changed()
    return kb


def get_desk(request: Request) -> TicketDesk:
    desk: TicketDesk | None = request.app.state.desk
    if desk is None:
        raise SecurityProblem(503, "the ticket desk is not available")
    return desk


def get_optional_desk(request: Request) -> TicketDesk | None:
    """The desk, or None where the app runs without one (the chat then skips ticket lookups)."""
    desk: TicketDesk | None = getattr(request.app.state, "desk", None)
    return desk


CallerDep = Annotated[Caller, Depends(get_caller)]
DeskDep = Annotated[TicketDesk, Depends(get_desk)]
OptionalDeskDep = Annotated[TicketDesk | None, Depends(get_optional_desk)]
SessionDep = Annotated[Session, Depends(get_session)]
KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(get_kb)]
