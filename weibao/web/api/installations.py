"""Installations API: what each hospital runs, and the bulk import (all rows or none)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from weibao.estate.installations import RECENT_UPGRADE, InstallationData, read_table
from weibao.estate.models import Installation
from weibao.estate.presenters import installation_payload
from weibao.estate.service import Estate
from weibao.web.api.estate_common import EstateDep, actor_from
from weibao.web.api.tickets import STRICT_BODY, desk_errors
from weibao.web.deps import Caller
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api/installations", tags=["installations"])
MAX_IMPORT_BYTES = 5_000_000


class InterfaceIn(BaseModel):
    model_config = STRICT_BODY

    system: str = Field(min_length=1, max_length=32)
    protocol: str = Field("", max_length=32)


class InstallationIn(BaseModel):
    model_config = STRICT_BODY

    hospital_id: str = Field(min_length=1, max_length=64)
    system: str = Field(min_length=1, max_length=32)
    version: str = Field(min_length=1, max_length=64)
    environment: Literal["production", "test"] = "production"
    product: str = Field("", max_length=200)
    modules: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=100)
    hosts: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=100)
    interfaces: list[InterfaceIn] = Field(default_factory=list, max_length=50)


class UpgradeOut(BaseModel):
    from_version: str
    to_version: str
    at: str | None
    change_id: int | None


class InstallationOut(BaseModel):
    id: int
    hospital_id: str
    hospital_name: str
    system: str
    product: str
    version: str
    environment: str
    modules: list[str]
    hosts: list[str]
    interfaces: list[dict[str, str]]
    installed_at: str | None
    updated_at: str | None
    recently_upgraded: bool
    upgrades: list[UpgradeOut]


class RowErrorOut(BaseModel):
    line: int
    field: str
    message: str


class ImportOut(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    dry_run: bool
    applied: bool
    errors: list[RowErrorOut]


def installations_payload(estate: Estate, items: list[Installation]) -> list[dict[str, object]]:
    hospitals, _ = estate.names()
    history = estate.installations.upgrades(i.id for i in items)
    now = estate.now()
    return [installation_payload(i, hospitals, history.get(i.id, []), now, RECENT_UPGRADE.days)
            for i in items]


@router.get("", response_model=list[InstallationOut],
            summary="Installed systems with versions, modules, hosts, interfaces and upgrade history")
def list_installations(
    request: Request, estate: EstateDep, caller: Caller = Permission("estate.read"),
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, object]]:
    items = estate.installations.get_all(actor_from(request, caller), hospital_id)
    return installations_payload(estate, items)


@router.put("", response_model=InstallationOut,
            summary="Record one installation (a new version adds to its upgrade history)")
def save_installation(body: InstallationIn, request: Request, estate: EstateDep,
                      caller: Caller = Permission("estate.manage")) -> dict[str, object]:
    from weibao.estate.installations import parse_interfaces

    try:
        interfaces = parse_interfaces(";".join(f"{i.system}:{i.protocol}" for i in body.interfaces))
    except ValueError as exc:
        raise RequestValidationError([{"loc": ["body", "interfaces"], "msg": str(exc), "type": "value_error"}]) from exc
    data = InstallationData(
        hospital_id=body.hospital_id, system=body.system, version=body.version,
        environment=body.environment, product=body.product, modules=list(body.modules),
        hosts=list(body.hosts), interfaces=interfaces,
    )
    with desk_errors():
        saved = estate.installations.save(actor_from(request, caller), data)
    return installations_payload(estate, [saved])[0]


@router.post("/import", response_model=ImportOut,
             # A 422 is either the import's report of bad rows or FastAPI's own (e.g. no file at all).
             responses={422: {"description": "bad rows: nothing was applied; or a missing/unreadable file",
                              "content": {"application/json": {"schema": {"anyOf": [
                                  {"$ref": "#/components/schemas/ImportOut"},
                                  {"$ref": "#/components/schemas/HTTPValidationError"}]}}}}},
             summary="Import installations from CSV or XLSX; every bad row is reported and none applied")
async def import_installations(
    estate: EstateDep, file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX")],
    dry_run: bool = Query(False, description="check and count only"),
    caller: Caller = Permission("estate.manage"),
) -> JSONResponse:
    data = await file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise RequestValidationError([{"loc": ["body", "file"], "type": "value_error",
                                       "msg": f"file: at most {MAX_IMPORT_BYTES} bytes"}])
    try:
        rows = read_table(data, file.filename or "")
    except ValueError as exc:
        raise RequestValidationError([{"loc": ["body", "file"], "msg": f"file: {exc}", "type": "value_error"}]) from exc
    report = estate.installations.import_rows(rows, dry_run=dry_run)
    status = 422 if report.errors and not dry_run else 200
    return JSONResponse(report.as_dict(), status_code=status)
