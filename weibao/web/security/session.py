"""Signed session cookie (HttpOnly, SameSite=Lax, Secure on HTTPS) and its CSRF token.

The cookie holds no identity of its own: a signed-in cookie carries the random key of a
server-side session (accounts.UserSession), so logout, a new password or disabling the
user ends it at once, however often the cookie is replayed.
"""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import timedelta

from fastapi import Request
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from weibao.core import accounts
from weibao.core.accounts import User

COOKIE_NAME = "wb_session"
# The cookie field holding the server-side session's key.
SESSION_KEY_FIELD = "sid"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SessionMiddleware:
    """Loads the session into scope["session"] and writes the cookie back when it changed.

    Unlike Starlette's, the Secure flag follows each request: set on HTTPS, or always
    when settings.cookie_secure says the app sits behind a TLS-terminating proxy.
    """

    def __init__(
        self, app: ASGIApp, *, secret_key: str, max_age: int, always_secure: bool = False
    ) -> None:
        self.app = app
        self.signer = TimestampSigner(secret_key, salt="weibao.session")
        self.max_age = max_age
        self.always_secure = always_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        data: dict[str, object] = {}
        raw = HTTPConnection(scope).cookies.get(COOKIE_NAME)
        if raw:
            try:
                data = json.loads(self.signer.unsign(raw, max_age=self.max_age))
            except (BadSignature, ValueError):
                data = {}
        scope["session"] = data
        initial = json.dumps(data, sort_keys=True)
        secure = self.always_secure or scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                current = scope["session"]
                if json.dumps(current, sort_keys=True) != initial or (raw and not data):
                    headers = MutableHeaders(scope=message)
                    flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
                    if current:
                        value = self.signer.sign(json.dumps(current)).decode()
                        headers.append(
                            "Set-Cookie", f"{COOKIE_NAME}={value}; Max-Age={self.max_age}{flags}"
                        )
                    else:
                        headers.append("Set-Cookie", f"{COOKIE_NAME}=; Max-Age=0{flags}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_matches(request: Request, given: str | None) -> bool:
    expected = request.session.get("csrf")
    return isinstance(expected, str) and bool(given) and hmac.compare_digest(expected, given or "")


def sign_in(request: Request, user: User, *, session: Session) -> None:
    """Starts a fresh session for the user: new server-side session, new CSRF token, nothing
    kept from before. A session the cookie already carried is ended.

    Adds the session row to `session`; the caller commits.
    """
    lang = request.session.get("lang")
    old_key = request.session.get(SESSION_KEY_FIELD)
    if isinstance(old_key, str):
        accounts.revoke_session(session=session, key=old_key)
    hours = request.app.state.settings.session_hours
    _, key = accounts.create_session(session=session, user=user, lifetime=timedelta(hours=hours))
    request.session.clear()
    request.session.update({SESSION_KEY_FIELD: key, "csrf": secrets.token_urlsafe(32)})
    if lang:
        request.session["lang"] = lang


def sign_out(request: Request, *, session: Session) -> None:
    """Ends the server-side session and empties the cookie; the caller commits."""
    key = request.session.get(SESSION_KEY_FIELD)
    if isinstance(key, str):
        accounts.revoke_session(session=session, key=key)
    request.session.clear()
