"""What the estate's routers and pages share: the service object and the acting caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from weibao.estate.common import Actor
from weibao.estate.service import Estate
from weibao.web.deps import Caller
from weibao.web.security.ratelimit import client_address


def get_estate(request: Request) -> Estate:
    """One per app, made on first use over the app's database (tests replace its clock)."""
    state = request.app.state
    estate = getattr(state, "estate", None)
    if not isinstance(estate, Estate):
        estate = state.estate = Estate(state.database.sessions)
    return estate


def actor_from(request: Request, caller: Caller) -> Actor:
    return Actor(
        username=caller.username or caller.role, role=caller.role,
        hospital_id=caller.hospital_id, user_id=caller.user_id, ip=client_address(request),
    )


EstateDep = Annotated[Estate, Depends(get_estate)]
