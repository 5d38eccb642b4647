"""Loads the seed operations data: hospitals with contracts, engineers, resolved tickets.

Idempotent: rows that exist already (by id or ticket code) are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from weibao.core.accounts import Hospital
from weibao.core.privacy import mask_pii
from weibao.graph.taxonomy import DEPARTMENTS, SYMPTOMS, SYSTEMS
from weibao.routing.events import add_event
from weibao.routing.models import (
    CHANNELS,
    ENGINEER_TIERS,
    PRIORITIES,
    TIERS,
    Contract,
    Engineer,
    Resolution,
    Ticket,
)
from weibao.routing.shifts import validate_shift
from weibao.routing.sla import due_times


class SeedError(ValueError):
    pass


@dataclass(slots=True)
class SeedReport:
    hospitals: int = 0
    engineers: int = 0
    tickets: int = 0
    new_ticket_codes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"hospitals +{self.hospitals}, engineers +{self.engineers}, resolved tickets +{self.tickets}"


def _load(path: Path) -> list[dict]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(items, list):
        raise SeedError(f"{path}: expected a list")
    return items


def _check(path: Path, i: int, ok: bool, field_name: str, message: str) -> None:
    if not ok:
        raise SeedError(f"{path}: item {i}: field '{field_name}': {message}")


def load_hospitals(session: Session, path: Path) -> int:
    added = 0
    for i, item in enumerate(_load(path)):
        _check(path, i, item.get("tier") in TIERS, "tier", f"must be one of {', '.join(TIERS)}")
        if session.get(Hospital, item["id"]) is not None:
            continue
        session.add(
            Hospital(
                id=item["id"], name=item["name"], name_en=item.get("name_en", ""),
                region=item.get("region", ""), timezone=item.get("timezone", "Asia/Shanghai"),
            )
        )
        session.add(
            Contract(
                hospital_id=item["id"], tier=item["tier"], city=item.get("city", ""),
                dedicated_engineers=list(item.get("dedicated_engineers") or []),
            )
        )
        added += 1
    session.flush()
    return added


def load_engineers(session: Session, path: Path) -> int:
    added = 0
    for i, item in enumerate(_load(path)):
        _check(path, i, item.get("tier") in ENGINEER_TIERS, "tier", "must be L1, L2 or L3")
        for sid, level in (item.get("systems") or {}).items():
            _check(path, i, sid in SYSTEMS and 1 <= level <= 5, "systems", f"bad entry {sid}: {level}")
        for did, level in (item.get("departments") or {}).items():
            _check(path, i, did in DEPARTMENTS and 1 <= level <= 5, "departments", f"bad entry {did}")
        for shift in item.get("shifts") or []:
            validate_shift(shift)
        if session.get(Engineer, item["id"]) is not None:
            continue
        session.add(
            Engineer(
                id=item["id"], name=item["name"], tier=item["tier"],
                systems=dict(item.get("systems") or {}), tags=list(item.get("tags") or []),
                departments=dict(item.get("departments") or {}),
                regions=list(item.get("regions") or []), shifts=list(item.get("shifts") or []),
                max_open=int(item.get("max_open", 8)),
            )
        )
        added += 1
    session.flush()
    return added


def load_tickets(session: Session, path: Path, report: SeedReport) -> None:
    existing = set(session.scalars(select(Ticket.code)))
    contracts = {c.hospital_id: c for c in session.scalars(select(Contract))}
    hospitals = {h.id: h for h in session.scalars(select(Hospital))}
    for i, item in enumerate(_load(path)):
        code = item["id"]
        if code in existing:
            continue
        _check(path, i, item.get("hospital_id") in hospitals, "hospital_id", "unknown hospital")
        _check(path, i, item.get("system") in SYSTEMS, "system", "unknown system id")
        _check(path, i, item.get("symptom") in SYMPTOMS, "symptom", "unknown symptom id")
        _check(path, i, item.get("priority") in PRIORITIES, "priority", "must be P1-P4")
        _check(path, i, item.get("channel") in CHANNELS, "channel", "unknown channel")
        created = datetime.fromisoformat(item["created_at"])
        hospital = hospitals[item["hospital_id"]]
        tier = contracts[hospital.id].tier if hospital.id in contracts else "basic"
        response_due, resolution_due = due_times(created, item["priority"], tier, hospital.timezone)
        resolved_at = created + timedelta(minutes=int(item["resolution_minutes"]))
        ticket = Ticket(
            code=code, hospital_id=hospital.id, channel=item["channel"],
            reporter_role=item.get("reporter_role", ""), title=mask_pii(item["title"]).text,
            description=mask_pii(item.get("description", "")).text, system=item["system"],
            symptom=item["symptom"], department=item.get("department"), priority=item["priority"],
            status="closed", assignee_id=item["resolved_by"], tier=tier, timezone=hospital.timezone,
            created_at=created, updated_at=resolved_at,
            first_response_at=created + timedelta(minutes=int(item["first_response_minutes"])),
            resolved_at=resolved_at, closed_at=resolved_at,
            response_due=response_due, resolution_due=resolution_due,
        )
        session.add(ticket)
        session.flush()
        session.add(
            Resolution(
                ticket_id=ticket.id, hospital_id=hospital.id, root_cause=item["root_cause"],
                fix_steps=list(item["fix_steps"]), fix_ids=[item["fix_id"]] if item.get("fix_id") else [],
                resolved_by=item["resolved_by"], at=resolved_at,
            )
        )
        add_event(session, ticket, "imported", "seed", {"source": path.name})
        report.tickets += 1
        report.new_ticket_codes.append(code)
    session.flush()


def load_seed(session: Session, folder: Path) -> SeedReport:
    report = SeedReport()
    report.hospitals = load_hospitals(session, folder / "hospitals.yaml")
    report.engineers = load_engineers(session, folder / "engineers.yaml")
    load_tickets(session, folder / "tickets.yaml", report)
    return report
