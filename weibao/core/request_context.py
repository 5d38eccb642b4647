"""Who is behind the current request, for records written deep inside a domain call.

The web layer opens a `RequestActor` for each request (address first, the caller once
authenticated); domain code that writes the audit log (`weibao.routing.audit_trail`)
reads it with `current()`. Outside a request (CLI, scheduled jobs) there is none.
The holder is one mutable object per request: FastAPI runs each dependency and the
handler in copies of the context, and all of them see the same holder.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass
class RequestActor:
    ip: str = ""
    user_id: int | None = None
    name: str = ""
    role: str = ""
    hospital_id: str | None = None


_CURRENT: ContextVar[RequestActor | None] = ContextVar("weibao_request_actor", default=None)


def begin(ip: str) -> Token[RequestActor | None]:
    return _CURRENT.set(RequestActor(ip=ip))


def end(token: Token[RequestActor | None]) -> None:
    _CURRENT.reset(token)


def current() -> RequestActor | None:
    return _CURRENT.get()
