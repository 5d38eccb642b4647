"""The one place where endpoints get their dependencies: the caller and the services."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from weibao.core import audit
from weibao.core.accounts import User, authenticate_session, authenticate_token
from weibao.core.db import Database, session_scope, utcnow
from weibao.kb.service import KnowledgeBase
from weibao.routing.desk import TicketDesk
from weibao.web.request_actor import note_caller
from weibao.web.security.caller import ANONYMOUS, Caller
from weibao.web.security.errors import SecurityProblem
from weibao.web.security.limiter import check_rate, client_address
from weibao.web.security.session import SESSION_KEY_FIELD

# Token use is audited at most once per token and this interval, not on every call.
TOKEN_USE_AUDIT_INTERVAL = timedelta(hours=1)
# A token's last_used_at is written at most this often.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def _caller_for(user: User, via: str, token_id: int | None = None) -> Caller:
    return Caller(
        role=user.role,
        user_id=user.id,
        username=user.username,
        hospital_id=user.hospital_id,
        via=via,
        must_change_password=user.must_change_password and via == "session",
        token_id=token_id,
    )


class _RejectedTokens:
    """Per-worker memory of addresses that sent too many bad tokens.

    The counting itself goes through the app's rate limiter (shared by the workers when
    it is); this only lets a worker that has seen an address go over the limit refuse it
    before looking any token up, until the limiter's Retry-After has passed. It also
    counts the rejections not written to the audit log, for the next row's detail.
    """

    def __init__(self) -> None:
        self.blocked_until: dict[str, float] = {}
        self.unrecorded: dict[str, int] = {}
        self.lock = threading.Lock()

    def wait(self, address: str) -> float | None:
        now = time.monotonic()
        with self.lock:
            until = self.blocked_until.get(address)
            if until is None:
                return None
            if until <= now:
                del self.blocked_until[address]
                return None
            return until - now

    def block(self, address: str, seconds: float) -> None:
        now = time.monotonic()
        with self.lock:
            if len(self.blocked_until) > 10_000:
                for key in [k for k, v in self.blocked_until.items() if v <= now]:
                    del self.blocked_until[key]
            self.blocked_until[address] = now + seconds

    def count_unrecorded(self, address: str) -> None:
        with self.lock:
            if len(self.unrecorded) > 10_000:
                self.unrecorded.clear()
            self.unrecorded[address] = self.unrecorded.get(address, 0) + 1

    def take_unrecorded(self, address: str) -> int:
        with self.lock:
            return self.unrecorded.pop(address, 0)


def _rejected_tokens(request: Request) -> _RejectedTokens:
    state = request.app.state
    tracker = getattr(state, "rejected_tokens", None)
    if not isinstance(tracker, _RejectedTokens):
        tracker = state.rejected_tokens = _RejectedTokens()
    return tracker


def _too_many_bad_tokens(seconds: float) -> SecurityProblem:
    retry = max(1, math.ceil(seconds))
    return SecurityProblem(
        429,
        f"too many invalid tokens from this address; try again in {retry} s",
        {"Retry-After": str(retry)},
    )


def _reject_token(request: Request, database: Database, address: str) -> SecurityProblem:
    """Counts a bad token against the address: 401, or 429 once it is over the limit.

    At most one audit row per address and minute, whatever the number of bad tokens.
    """
    tracker = _rejected_tokens(request)
    try:
        check_rate(request, "auth_failure", [f"ip:{address}"])
    except SecurityProblem as exc:
        if exc.status_code != 429:
            raise
        seconds = float(exc.headers.get("Retry-After", "60"))
        tracker.block(address, seconds)
        tracker.count_unrecorded(address)
        return _too_many_bad_tokens(seconds)
    # The limiter's window is a minute: one admitted hit per address, one audit row.
    limiter = request.app.state.rate_limiter
    if limiter.hit(f"auth_failure_audit:ip:{address}", 1) is not None:
        tracker.count_unrecorded(address)
    else:
        rejected = 1 + tracker.take_unrecorded(address)
        with session_scope(database.sessions) as session:
            audit.record(
                session, action="auth.token_rejected", ip=address,
                target=f"{request.method} {request.url.path}",
                # This rejection and those left out of the log since the last row.
                detail={"rejected": rejected},
            )
    return SecurityProblem(401, "invalid, expired or revoked token")


def _from_token(request: Request, database: Database, secret: str) -> Caller:
    address = client_address(request)
    # An address over the limit is refused before any token is looked up.
    wait = _rejected_tokens(request).wait(address)
    if wait is not None:
        _rejected_tokens(request).count_unrecorded(address)
        raise _too_many_bad_tokens(wait)
    with session_scope(database.sessions) as session:
        found = authenticate_token(session=session, secret=secret)
        if found is not None:
            token, user = found
            now = utcnow()
            last = token.last_used_at
            if last is None or now - last > TOKEN_USE_AUDIT_INTERVAL:
                audit.record(
                    session, action="token.used", actor_user_id=user.id,
                    actor_name=user.username, actor_role=user.role,
                    hospital_id=user.hospital_id, target=f"token:{token.id}", ip=address,
                )
            if last is None or now - last >= TOKEN_TOUCH_INTERVAL:
                token.last_used_at = now
            return _caller_for(user, "token", token.id)
    raise _reject_token(request, database, address)


def _from_session(request: Request, database: Database) -> Caller:
    # Cookies from before server-side sessions carried the user id: they end here.
    request.session.pop("uid", None)
    request.session.pop("sv", None)
    key = request.session.get(SESSION_KEY_FIELD)
    if not isinstance(key, str):
        return ANONYMOUS
    with session_scope(database.sessions) as session:
        found = authenticate_session(session=session, key=key)
        if found is None:
            # Logged out, expired, or revoked by a new password or a disabled account.
            request.session.pop(SESSION_KEY_FIELD, None)
            return ANONYMOUS
        _, user = found
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
    note_caller(caller)  # for the audit rows that domain calls write (ticket actions)
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
