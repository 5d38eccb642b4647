"""Remote access API: engineers ask, the hospital's IT decides, the bastion host checks."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from weibao.estate.access import MAX_PURPOSE, MAX_REASON, AccessAsk
from weibao.estate.models import AccessRequest
from weibao.estate.presenters import access_payload, iso
from weibao.estate.service import Estate
from weibao.graph.taxonomy import SYSTEMS
from weibao.web.api.estate_common import EstateDep, actor_from
from weibao.web.api.schemas import MAX_DB_INT, BodyRowId, RowId
from weibao.web.api.tickets import NOT_FOUND, STRICT_BODY, Responses, desk_errors
from weibao.web.deps import Caller
from weibao.web.security.errors import ErrorOut
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api/remote-access", tags=["remote access"])
REFUSED: Responses = {
    403: {"model": ErrorOut, "description": "not this hospital's IT (nor an admin)"},
    409: {"model": ErrorOut, "description": "not allowed in the request's status"},
}
Method = Literal["vpn", "bastion", "remote_desktop", "screen_share"]
AccessStatus = Literal["pending", "approved", "denied", "revoked", "expired"]


class AccessIn(BaseModel):
    model_config = STRICT_BODY

    hospital_id: str = Field(min_length=1, max_length=64)
    system: str = Field(min_length=1, max_length=32, description="a system id of the taxonomy")
    purpose: str = Field(min_length=1, max_length=MAX_PURPOSE)
    minutes: int = Field(ge=1, le=MAX_DB_INT, description="at most the hospital's maximum (240 unless it set another)")
    method: Method = "bastion"
    ticket_id: str | None = Field(None, max_length=32, description="the ticket code, e.g. T-2026-00042")
    change_id: BodyRowId | None = None
    break_glass: bool = Field(False, description="P1 ticket at a 7x24 hospital: granted at once, reviewed later")


class DecisionIn(BaseModel):
    model_config = STRICT_BODY

    reason: str = Field("", max_length=MAX_REASON)


class PolicyIn(BaseModel):
    model_config = STRICT_BODY

    max_minutes: int = Field(ge=1, le=1440, description="the longest grant an engineer may ask for")
    contact: str = Field("", max_length=100, description="the hospital's single point of contact, told of requests")


class PolicyOut(BaseModel):
    hospital_id: str
    max_minutes: int
    contact: str


class AccessOut(BaseModel):
    id: int
    hospital_id: str
    hospital_name: str
    engineer_id: str
    engineer_name: str
    requested_by: str
    system: str
    purpose: str
    method: str
    minutes: int
    ticket_id: str | None
    change_id: int | None
    status: str
    break_glass: bool
    created_at: str | None
    decided_by: str | None
    decided_at: str | None
    decision_reason: str
    expires_at: str | None
    started_at: str | None
    ended_at: str | None
    revoked_by: str | None
    reviewed_by: str | None
    reviewed_at: str | None


class CheckOut(BaseModel):
    allowed: bool
    expires_at: str | None
    engineer: str
    system: str
    hospital_id: str


def _payload(estate: Estate, items: list[AccessRequest]) -> list[dict[str, object]]:
    hospitals, engineers = estate.names()
    return [access_payload(a, hospitals, engineers) for a in items]


@router.post("", status_code=201, response_model=AccessOut, responses={**REFUSED, **NOT_FOUND},
             summary="Ask for remote access to a hospital system (as the caller's engineer profile)")
def request_access(
    body: AccessIn, request: Request, estate: EstateDep,
    caller: Caller = Permission("remote_access.request"),
) -> dict[str, object]:
    ask = AccessAsk(
        hospital_id=body.hospital_id, system=body.system, purpose=body.purpose,
        minutes=body.minutes, method=body.method, ticket_code=body.ticket_id,
        change_id=body.change_id, break_glass=body.break_glass,
    )
    with desk_errors():
        access = estate.access.request(actor_from(request, caller), ask)
    return _payload(estate, [access])[0]


@router.get("", response_model=list[AccessOut], summary="Requests and grants (hospital IT: its own hospital)")
def list_access(
    request: Request, estate: EstateDep, caller: Caller = Permission("remote_access.read"),
    status: AccessStatus | None = None,
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    engineer: Annotated[str | None, Query(max_length=64)] = None,
    to_review: bool = Query(False, description="break-glass grants not yet reviewed"),
) -> list[dict[str, object]]:
    found = estate.access.list(actor_from(request, caller), status=status, hospital_id=hospital_id,
                              engineer_id=engineer, to_review=to_review)
    return _payload(estate, found)


@router.get("/check", response_model=CheckOut,
            summary="For the hospital's bastion host: may this engineer connect to this system now?")
def check_access(
    request: Request, estate: EstateDep,
    engineer: Annotated[str, Query(min_length=1, max_length=64, description="engineer profile id")],
    system: Annotated[str, Query(min_length=1, max_length=32)],
    caller: Caller = Permission("remote_access.check"),
    hospital_id: Annotated[str | None, Query(max_length=64, description="admins only")] = None,
) -> dict[str, object]:
    if system not in SYSTEMS:
        raise RequestValidationError([{"loc": ["query", "system"], "type": "value_error",
                                       "msg": f"system must be one of {', '.join(SYSTEMS)}"}])
    # A hospital's token asks about its own hospital only, whatever it names.
    hospital = caller.hospital_id if caller.role == "hospital_it" else hospital_id
    if not hospital:
        raise RequestValidationError([{"loc": ["query", "hospital_id"], "type": "missing",
                                       "msg": "hospital_id is required for callers not bound to a hospital"}])
    answer = estate.access.check(actor_from(request, caller), hospital, engineer, system)
    return {"allowed": answer.allowed, "expires_at": iso(answer.expires_at), "engineer": engineer,
            "system": system, "hospital_id": hospital}


@router.put("/policy/{hospital_id}", response_model=PolicyOut, responses={**REFUSED, **NOT_FOUND},
            summary="A hospital's longest remote-access grant (240 minutes unless set) and contact")
def set_policy(hospital_id: str, body: PolicyIn, request: Request, estate: EstateDep,
               caller: Caller = Permission("remote_access.decide")) -> dict[str, object]:
    with desk_errors():
        policy = estate.access.set_policy(actor_from(request, caller), hospital_id, body.max_minutes, body.contact)
    return {"hospital_id": policy.hospital_id, "max_minutes": policy.max_minutes, "contact": policy.contact}


@router.get("/{request_id}", response_model=AccessOut, responses=NOT_FOUND, summary="One request")
def get_access(request_id: RowId, request: Request, estate: EstateDep,
               caller: Caller = Permission("remote_access.read")) -> dict[str, object]:
    with desk_errors():
        access = estate.access.get(actor_from(request, caller), request_id)
    return _payload(estate, [access])[0]


@router.post("/{request_id}/approve", response_model=AccessOut, responses={**REFUSED, **NOT_FOUND},
             summary="Approve (the hospital's IT or an admin): the grant runs from now for its minutes")
def approve(request_id: RowId, request: Request, estate: EstateDep, body: DecisionIn | None = None,
            caller: Caller = Permission("remote_access.decide")) -> dict[str, object]:
    with desk_errors():
        access = estate.access.decide(actor_from(request, caller), request_id, True,
                                      body.reason if body else "")
    return _payload(estate, [access])[0]


@router.post("/{request_id}/deny", response_model=AccessOut, responses={**REFUSED, **NOT_FOUND},
             summary="Deny (the hospital's IT or an admin)")
def deny(request_id: RowId, request: Request, estate: EstateDep, body: DecisionIn | None = None,
         caller: Caller = Permission("remote_access.decide")) -> dict[str, object]:
    with desk_errors():
        access = estate.access.decide(actor_from(request, caller), request_id, False,
                                      body.reason if body else "")
    return _payload(estate, [access])[0]


@router.post("/{request_id}/revoke", response_model=AccessOut, responses={**REFUSED, **NOT_FOUND},
             summary="End an active grant now (the hospital's IT or an admin)")
def revoke(request_id: RowId, request: Request, estate: EstateDep, body: DecisionIn | None = None,
           caller: Caller = Permission("remote_access.decide")) -> dict[str, object]:
    with desk_errors():
        access = estate.access.revoke(actor_from(request, caller), request_id, body.reason if body else "")
    return _payload(estate, [access])[0]


@router.post("/{request_id}/review", response_model=AccessOut, responses={**REFUSED, **NOT_FOUND},
             summary="Mark a break-glass grant as reviewed (manager or admin)")
def review(request_id: RowId, request: Request, estate: EstateDep, body: DecisionIn | None = None,
           caller: Caller = Permission("remote_access.review")) -> dict[str, object]:
    with desk_errors():
        access = estate.access.review(actor_from(request, caller), request_id, body.reason if body else "")
    return _payload(estate, [access])[0]
