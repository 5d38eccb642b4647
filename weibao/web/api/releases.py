"""Release catalogue API, the upgrade backlog and who runs a version with a known issue."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from weibao.estate.presenters import release_payload
from weibao.estate.releases import KnownIssueData, ReleaseData, behind_days
from weibao.web.api.estate_common import EstateDep, actor_from
from weibao.web.api.tickets import STRICT_BODY, desk_errors
from weibao.web.deps import Caller
from weibao.web.security.errors import ErrorOut
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api/releases", tags=["releases"])
Id = Annotated[str, Field(min_length=1, max_length=64)]


class KnownIssueIn(BaseModel):
    model_config = STRICT_BODY

    article_id: str = Field(min_length=1, max_length=64, description="the knowledge-base article about it")
    symptoms: list[Id] = Field(default_factory=list, max_length=15)
    affected_versions: list[Id] = Field(
        default_factory=list, max_length=50,
        description='empty: every version before this release; "5.3.*" matches a line')
    fix_ids: list[Id] = Field(default_factory=list, max_length=20)


class ReleaseIn(BaseModel):
    model_config = STRICT_BODY

    system: str = Field(min_length=1, max_length=32)
    version: str = Field(min_length=1, max_length=64)
    released_on: str = Field(description="YYYY-MM-DD")
    notes: str = Field("", max_length=20_000)
    security: bool = False
    mandatory: bool = Field(False, description="every hospital must reach it (e.g. an insurance interface)")
    compliance_tags: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(default_factory=list, max_length=20)
    end_of_support: str | None = Field(None, description="YYYY-MM-DD")
    known_issues: list[KnownIssueIn] = Field(default_factory=list, max_length=100)


class KnownIssueOut(BaseModel):
    article_id: str
    symptoms: list[str]
    affected_versions: list[str]
    fix_ids: list[str]


class ReleaseOut(BaseModel):
    id: int
    system: str
    version: str
    released_on: str
    notes: str
    security: bool
    mandatory: bool
    compliance_tags: list[str]
    end_of_support: str | None
    known_issues: list[KnownIssueOut]


class BacklogItemOut(BaseModel):
    hospital_id: str
    hospital_name: str
    system: str
    installed_version: str
    target_version: str
    reason: str
    since: str
    days_behind: int
    compliance_tags: list[str]


class BacklogOut(BaseModel):
    hospitals: dict[str, int] = Field(description="hospital id → most days behind")
    items: list[BacklogItemOut]


class AffectedOut(BaseModel):
    hospital_id: str
    hospital_name: str
    system: str
    environment: str
    version: str
    fixed_in: str


def _date(value: str | None, field: str) -> date | None:
    from fastapi.exceptions import RequestValidationError

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise RequestValidationError([{"loc": ["body", field], "type": "value_error",
                                       "msg": f"{field} must be a date YYYY-MM-DD"}]) from exc


@router.get("", response_model=list[ReleaseOut], summary="The release catalogue, newest first per system")
def list_releases(estate: EstateDep, caller: Caller = Permission("estate.read"),
                  system: Annotated[str | None, Query(max_length=32)] = None) -> list[dict[str, object]]:
    return [release_payload(r, issues) for r, issues in estate.releases.get_all(system)]


@router.post("", status_code=201, response_model=ReleaseOut,
             responses={409: {"model": ErrorOut, "description": "this version is already listed"}},
             summary="Add a release with the known issues it fixes (vendor staff)")
def create_release(body: ReleaseIn, request: Request, estate: EstateDep,
                   caller: Caller = Permission("estate.manage")) -> dict[str, object]:
    released_on = _date(body.released_on, "released_on")
    assert released_on is not None
    data = ReleaseData(
        system=body.system, version=body.version, released_on=released_on, notes=body.notes,
        security=body.security, mandatory=body.mandatory, compliance_tags=list(body.compliance_tags),
        end_of_support=_date(body.end_of_support, "end_of_support"),
        known_issues=[KnownIssueData(i.article_id, list(i.symptoms), list(i.affected_versions),
                                     list(i.fix_ids)) for i in body.known_issues],
    )
    with desk_errors():
        release, issues = estate.releases.create(actor_from(request, caller), data)
    return release_payload(release, issues)


@router.get("/backlog", response_model=BacklogOut,
            summary="Upgrade backlog: hospitals behind a security patch or mandatory version, and how long")
def backlog(request: Request, estate: EstateDep, caller: Caller = Permission("estate.read"),
            hospital_id: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, object]:
    items = estate.releases.backlog(actor_from(request, caller), hospital_id)
    names, _ = estate.names()
    return {
        "hospitals": behind_days(items),
        "items": [{"hospital_id": i.hospital_id, "hospital_name": names.get(i.hospital_id, i.hospital_id),
                   "system": i.system, "installed_version": i.installed_version,
                   "target_version": i.target_version, "reason": i.reason, "since": i.since.isoformat(),
                   "days_behind": i.days_behind, "compliance_tags": list(i.compliance_tags)}
                  for i in items],
    }


@router.get("/affected", response_model=list[AffectedOut],
            summary="Which hospitals run a version affected by the known issue of this article")
def affected(request: Request, estate: EstateDep,
             article: Annotated[str, Query(min_length=1, max_length=64)],
             caller: Caller = Permission("estate.read")) -> list[dict[str, object]]:
    names, _ = estate.names()
    return [{"hospital_id": a.hospital_id, "hospital_name": names.get(a.hospital_id, a.hospital_id),
             "system": a.system, "environment": a.environment, "version": a.version, "fixed_in": a.fixed_in}
            for a in estate.releases.affected(actor_from(request, caller), article)]

