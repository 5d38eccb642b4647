"""Contract versions over HTTP: list (scoped like reports) and create (admins)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from weibao.core.accounts import Hospital
from weibao.core.db import session_scope
from weibao.routing.errors import DeskError
from weibao.service.contracts import ContractInput, create_version, get_all, version_payload
from weibao.web.api.reports import hospital_for
from weibao.web.api.schemas import MAX_DB_INT, NO_SUCH
from weibao.web.api.tickets import actor_of, desk_error
from weibao.web.deps import Caller
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api", tags=["service management"])


class TargetIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    response_minutes: int = Field(gt=0, le=MAX_DB_INT)
    resolution_minutes: int = Field(gt=0, le=MAX_DB_INT)


class ContractIn(BaseModel):
    """A new contract version; it takes effect at `valid_from` (the hospital's midnight)."""

    model_config = ConfigDict(extra="forbid")
    hospital_id: str = Field(min_length=1, max_length=64)
    tier: str = Field(max_length=16, description="basic (8x5), standard (7x12) or premium (7x24)")
    valid_from: dt.date
    targets: dict[str, TargetIn] = Field(default_factory=dict, description="per priority P1..P4")
    inspections_per_year: int = Field(default=0, ge=0, le=365)
    trainings_per_year: dict[str, int] = Field(default_factory=dict, description="per audience")
    monthly_fee: float = Field(default=0, ge=0, le=1e9, description="yuan")
    credit_percent_per_breach: float = Field(default=0, ge=0, le=100)
    credit_cap_percent: float = Field(default=0, ge=0, le=100)
    account_manager_id: str | None = Field(default=None, max_length=64)
    dedicated_engineers: list[str] = Field(default_factory=list, max_length=20)
    contact_name: str = Field(default="", max_length=100)
    contact_title: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=2000)

    def to_input(self) -> ContractInput:
        return ContractInput(
            tier=self.tier, valid_from=self.valid_from,
            targets={p: (t.response_minutes, t.resolution_minutes) for p, t in self.targets.items()},
            inspections_per_year=self.inspections_per_year, trainings_per_year=self.trainings_per_year,
            monthly_fee_cents=round(self.monthly_fee * 100),
            credit_percent_per_breach=self.credit_percent_per_breach,
            credit_cap_percent=self.credit_cap_percent, account_manager_id=self.account_manager_id,
            dedicated_engineers=self.dedicated_engineers, contact_name=self.contact_name,
            contact_title=self.contact_title, note=self.note,
        )


def _error(exc: DeskError) -> Exception:
    if exc.status_code == 422:
        return RequestValidationError(
            [{"loc": ["body", exc.field or "body"], "msg": f"{exc.field}: {exc.message}",
              "type": "value_error", "input": None}]
        )
    return desk_error(exc)


@router.get("/contracts", summary="Contract versions (history), newest first per hospital")
def list_contracts(
    request: Request,
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    caller: Caller = Permission("reports.read"),
) -> list[dict[str, Any]]:
    hospital = hospital_for(caller, hospital_id)
    with session_scope(request.app.state.database.sessions) as session:
        zones = dict(session.query(Hospital.id, Hospital.timezone).all())
        return [version_payload(v, zones.get(v.hospital_id, "Asia/Shanghai"))
                for v in get_all(session=session, hospital_id=hospital)]


@router.post("/contracts", status_code=201, responses=NO_SUCH, summary="A new contract version (a change never edits the past)")
def create_contract(
    body: ContractIn, request: Request, caller: Caller = Permission("contracts.manage"),
) -> dict[str, Any]:
    try:
        with session_scope(request.app.state.database.sessions) as session:
            version = create_version(session=session, hospital_id=body.hospital_id,
                                     data=body.to_input(), actor=actor_of(caller))
            hospital = session.get(Hospital, body.hospital_id)
            return version_payload(version, hospital.timezone if hospital else "Asia/Shanghai")
    except DeskError as exc:
        raise _error(exc) from exc
