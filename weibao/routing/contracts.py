"""Contract versions: the terms a hospital's tickets are measured against, with history.

`Contract` (models.py) stays the hospital's current pointer (tier, dedicated engineers,
city) that older code and the seed read. `ContractVersion` rows are the history: each has
a validity window ``[valid_from, valid_to)``, and a change never edits a version that has
taken effect — it closes it and opens the next one. Ticket creation reads the version in
force at the ticket's creation time (`terms_at`) and records its targets on the ticket, so
a later change rewrites neither the ticket's SLA nor a past report.

Routing owns this (not the service-management package above it) because the SLA engine
reads it when a ticket is created; service management writes it through these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedString, MaskedText
from weibao.routing.models import PRIORITIES, Contract
from weibao.routing.sla import TARGETS, SlaTarget


class ContractVersion(Base):
    """One version of a hospital's contract, in force over ``[valid_from, valid_to)``."""

    __tablename__ = "contract_versions"
    __table_args__ = (UniqueConstraint("hospital_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tier: Mapped[str] = mapped_column(String(16))
    # {"P1": [response_minutes, resolution_minutes], ...} in business minutes.
    targets: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    inspections_per_year: Mapped[int] = mapped_column(Integer, default=0)
    # {"clinician": 2, "it_staff": 4, ...}: training sessions per year per audience.
    trainings_per_year: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Money in fen (1/100 yuan) so that credits add up exactly.
    monthly_fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    credit_percent_per_breach: Mapped[float] = mapped_column(Float, default=0.0)
    credit_cap_percent: Mapped[float] = mapped_column(Float, default=0.0)
    account_manager_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("engineers.id", ondelete="SET NULL")
    )
    dedicated_engineers: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_name: Mapped[str] = mapped_column(MaskedString(100), default="")
    contact_title: Mapped[str] = mapped_column(MaskedString(100), default="")
    note: Mapped[str] = mapped_column(MaskedText, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100), default="")

    def target_table(self) -> dict[str, SlaTarget]:
        """The SLA targets per priority; a priority the version leaves out keeps the default."""
        table = dict(TARGETS)
        for priority, pair in (self.targets or {}).items():
            table[priority] = SlaTarget(int(pair[0]), int(pair[1]))
        return table


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """What a ticket created at one instant is measured against."""

    tier: str
    targets: Mapping[str, SlaTarget]
    dedicated_engineers: tuple[str, ...] = ()
    version_id: int | None = None
    stored_targets: dict[str, list[int]] = field(default_factory=dict)


def targets_json(targets: Mapping[str, SlaTarget]) -> dict[str, list[int]]:
    return {p: [targets[p].response_minutes, targets[p].resolution_minutes] for p in PRIORITIES}


def targets_from_json(stored: Mapping[str, object] | None) -> dict[str, SlaTarget] | None:
    """A ticket's recorded targets; None (the defaults) for tickets made before versions."""
    if not stored:
        return None
    table = dict(TARGETS)
    for priority, pair in stored.items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            table[priority] = SlaTarget(int(pair[0]), int(pair[1]))
    return table


def version_at(session: Session, hospital_id: str, at: datetime) -> ContractVersion | None:
    """The version in force at `at`, or None when the hospital has no version then."""
    return session.scalar(
        select(ContractVersion)
        .where(
            ContractVersion.hospital_id == hospital_id,
            ContractVersion.valid_from <= at,
            (ContractVersion.valid_to.is_(None)) | (ContractVersion.valid_to > at),
        )
        .order_by(ContractVersion.valid_from.desc())
        .limit(1)
    )


def terms_at(session: Session, hospital_id: str, at: datetime) -> ContractTerms:
    """The terms in force at `at`: the contract version, else the current contract's tier
    with the default targets (hospitals without a contract history keep today's SLA)."""
    version = version_at(session, hospital_id, at)
    if version is not None:
        table = version.target_table()
        return ContractTerms(
            tier=version.tier,
            targets=table,
            dedicated_engineers=tuple(version.dedicated_engineers or ()),
            version_id=version.id,
            stored_targets=targets_json(table),
        )
    contract = session.get(Contract, hospital_id)
    return ContractTerms(
        tier=contract.tier if contract is not None else "basic",
        targets=TARGETS,
        dedicated_engineers=tuple(contract.dedicated_engineers or ()) if contract else (),
    )
