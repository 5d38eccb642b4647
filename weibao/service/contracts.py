"""Contract versions: create (a change opens a new version), list, read the one in force.

A version that has taken effect is never edited: a change closes it (``valid_to``) and
opens the next, so past tickets and past reports keep the terms they were measured by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from weibao.core.accounts import Hospital
from weibao.graph.taxonomy import AUDIENCES
from weibao.routing.calendars import zone
from weibao.routing.contracts import ContractVersion, version_at
from weibao.routing.errors import Conflict, Invalid, NotFound
from weibao.routing.models import PRIORITIES, TIERS, Contract, Engineer
from weibao.routing.sla import TARGETS

MAX_MINUTES = 60 * 24 * 365


@dataclass(slots=True)
class ContractInput:
    """A new version's terms. `targets` maps a priority to (response, resolution) minutes;
    priorities left out keep the default targets."""

    tier: str
    valid_from: dt.date
    targets: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    inspections_per_year: int = 0
    trainings_per_year: Mapping[str, int] = field(default_factory=dict)
    monthly_fee_cents: int = 0
    credit_percent_per_breach: float = 0.0
    credit_cap_percent: float = 0.0
    account_manager_id: str | None = None
    dedicated_engineers: list[str] = field(default_factory=list)
    contact_name: str = ""
    contact_title: str = ""
    note: str = ""


def local_midnight(day: dt.date, tz: str) -> dt.datetime:
    """The start of `day` in the hospital's zone, in UTC."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone(tz)).astimezone(dt.UTC)


def _validate(session: Session, data: ContractInput) -> dict[str, list[int]]:
    if data.tier not in TIERS:
        raise Invalid(f"tier must be one of {', '.join(TIERS)}", "tier")
    targets: dict[str, list[int]] = {}
    for priority in PRIORITIES:
        default = TARGETS[priority]
        pair = data.targets.get(priority, (default.response_minutes, default.resolution_minutes))
        response, resolution = int(pair[0]), int(pair[1])
        if not (0 < response <= MAX_MINUTES and 0 < resolution <= MAX_MINUTES):
            raise Invalid(f"targets of {priority} must be between 1 and {MAX_MINUTES} minutes", "targets")
        if resolution < response:
            raise Invalid(f"the resolution target of {priority} is shorter than its response target", "targets")
        targets[priority] = [response, resolution]
    unknown = sorted(set(data.targets) - set(PRIORITIES))
    if unknown:
        raise Invalid(f"unknown priorities {unknown}; known: {list(PRIORITIES)}", "targets")
    if not 0 <= data.inspections_per_year <= 365:
        raise Invalid("inspections_per_year must be between 0 and 365", "inspections_per_year")
    for audience, count in data.trainings_per_year.items():
        if audience not in AUDIENCES:
            raise Invalid(f"unknown audience {audience!r}; known: {list(AUDIENCES)}", "trainings_per_year")
        if not 0 <= int(count) <= 365:
            raise Invalid("training sessions per year must be between 0 and 365", "trainings_per_year")
    if data.monthly_fee_cents < 0:
        raise Invalid("monthly_fee must not be negative", "monthly_fee")
    for name in ("credit_percent_per_breach", "credit_cap_percent"):
        if not 0 <= getattr(data, name) <= 100:
            raise Invalid(f"{name} must be between 0 and 100", name)
    people = [data.account_manager_id] if data.account_manager_id else []
    for engineer_id in [*people, *data.dedicated_engineers]:
        if session.get(Engineer, engineer_id) is None:
            name = "account_manager_id" if engineer_id in people else "dedicated_engineers"
            raise Invalid(f"no engineer {engineer_id!r}", name)
    for name in ("contact_name", "contact_title"):
        if len(getattr(data, name)) > 100:
            raise Invalid(f"{name} must be at most 100 characters", name)
    if len(data.note) > 2000:
        raise Invalid("note must be at most 2000 characters", "note")
    return targets


def create_version(
    *, session: Session, hospital_id: str, data: ContractInput, actor: str,
    now: dt.datetime | None = None, allow_past: bool = False,
) -> ContractVersion:
    """Opens a new version from `data.valid_from` (the hospital's local midnight).

    It must start after the latest version did and, unless `allow_past` (seeding, the demo,
    tests that build history), not before today: a backdated change would rewrite reports
    already handed to the hospital.
    """
    hospital = session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound(f"hospital {hospital_id!r} not found", "hospital_id")
    targets = _validate(session, data)
    now = now or dt.datetime.now(dt.UTC)
    start = local_midnight(data.valid_from, hospital.timezone)
    today = now.astimezone(zone(hospital.timezone)).date()
    if not allow_past and data.valid_from < today:
        raise Invalid(
            "valid_from must be today or later: past reports keep the version they used", "valid_from"
        )
    latest = session.scalar(
        select(ContractVersion)
        .where(ContractVersion.hospital_id == hospital_id)
        .order_by(ContractVersion.valid_from.desc())
        .limit(1)
    )
    if latest is not None and start <= latest.valid_from:
        raise Conflict(
            "valid_from must be after the latest version's start "
            f"({latest.valid_from.astimezone(zone(hospital.timezone)).date().isoformat()})",
            "valid_from",
        )
    if latest is not None and (latest.valid_to is None or latest.valid_to > start):
        latest.valid_to = start
    number = (session.scalar(
        select(func.max(ContractVersion.version)).where(ContractVersion.hospital_id == hospital_id)
    ) or 0) + 1
    version = ContractVersion(
        hospital_id=hospital_id, version=number, valid_from=start, valid_to=None,
        tier=data.tier, targets=targets, inspections_per_year=int(data.inspections_per_year),
        trainings_per_year={k: int(v) for k, v in data.trainings_per_year.items()},
        monthly_fee_cents=int(data.monthly_fee_cents),
        credit_percent_per_breach=float(data.credit_percent_per_breach),
        credit_cap_percent=float(data.credit_cap_percent),
        account_manager_id=data.account_manager_id, dedicated_engineers=list(data.dedicated_engineers),
        contact_name=data.contact_name.strip(), contact_title=data.contact_title.strip(),
        note=data.note.strip(), created_at=now, created_by=actor[:100],
    )
    session.add(version)
    session.flush()
    sync_current(session=session, hospital_id=hospital_id, now=now)
    return version


def sync_current(*, session: Session, hospital_id: str, now: dt.datetime) -> None:
    """Points the hospital's `Contract` row (read by lists and matching) at the version in
    force now; a version that starts later takes over when it starts (and on the next sync)."""
    version = version_at(session, hospital_id, now)
    if version is None:
        return
    contract = session.get(Contract, hospital_id)
    if contract is None:
        contract = Contract(hospital_id=hospital_id)
        session.add(contract)
    contract.tier = version.tier
    contract.dedicated_engineers = list(version.dedicated_engineers or [])
    session.flush()


def get_all(*, session: Session, hospital_id: str | None = None) -> list[ContractVersion]:
    """Every version (of one hospital), newest first per hospital."""
    stmt = select(ContractVersion).order_by(ContractVersion.hospital_id, ContractVersion.version.desc())
    if hospital_id is not None:
        stmt = stmt.where(ContractVersion.hospital_id == hospital_id)
    return list(session.scalars(stmt))


def versions_overlapping(
    *, session: Session, hospital_id: str, start: dt.datetime, end: dt.datetime
) -> list[ContractVersion]:
    """The versions in force at some instant of ``[start, end)``, oldest first."""
    return list(session.scalars(
        select(ContractVersion)
        .where(
            ContractVersion.hospital_id == hospital_id,
            ContractVersion.valid_from < end,
            (ContractVersion.valid_to.is_(None)) | (ContractVersion.valid_to > start),
        )
        .order_by(ContractVersion.valid_from)
    ))


def version_payload(version: ContractVersion, tz: str) -> dict[str, object]:
    local = zone(tz)
    return {
        "id": version.id,
        "hospital_id": version.hospital_id,
        "version": version.version,
        "valid_from": version.valid_from.astimezone(local).date().isoformat(),
        "valid_to": version.valid_to.astimezone(local).date().isoformat() if version.valid_to else None,
        "tier": version.tier,
        "targets": {p: {"response_minutes": v[0], "resolution_minutes": v[1]}
                    for p, v in (version.targets or {}).items()},
        "inspections_per_year": version.inspections_per_year,
        "trainings_per_year": dict(version.trainings_per_year or {}),
        "monthly_fee": version.monthly_fee_cents / 100,
        "credit_percent_per_breach": version.credit_percent_per_breach,
        "credit_cap_percent": version.credit_cap_percent,
        "account_manager_id": version.account_manager_id,
        "dedicated_engineers": list(version.dedicated_engineers or []),
        "contact_name": version.contact_name,
        "contact_title": version.contact_title,
        "note": version.note,
        "created_by": version.created_by,
    }
