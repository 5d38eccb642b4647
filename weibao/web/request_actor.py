"""Opens the request's `RequestActor` (see `weibao.core.request_context`): the client
address here, the caller once `get_caller` has authenticated it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from weibao.core import request_context
from weibao.web.security.caller import Caller
from weibao.web.security.limiter import client_address


class RequestActorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = request_context.begin(client_address(Request(scope)))
        try:
            await self.app(scope, receive, send)
        finally:
            request_context.end(token)


def note_caller(caller: Caller) -> None:
    """Records the authenticated caller on the request's actor, when there is one."""
    actor = request_context.current()
    if actor is not None and not caller.is_anonymous:
        actor.user_id = caller.user_id
        actor.name = caller.username or ""
        actor.role = caller.role
        actor.hospital_id = caller.hospital_id
