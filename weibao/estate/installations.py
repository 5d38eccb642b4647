"""Installed systems per hospital: versions, modules, environment, hosts, interfaces, and
their upgrade history; bulk import from CSV/XLSX that applies all rows or none."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from weibao.core.accounts import Hospital
from weibao.core.db import session_scope
from weibao.estate.common import Actor, Clock, default_clock
from weibao.estate.models import ENVIRONMENTS, Installation, Upgrade
from weibao.graph.taxonomy import SYSTEMS
from weibao.routing.errors import Forbidden, Invalid

COLUMNS = ("hospital_id", "system", "version", "environment", "product", "modules", "hosts",
           "interfaces")
REQUIRED = ("hospital_id", "system", "version")
MAX_ROWS = 20_000
MAX_VERSION = 64
# An upgrade this recent is shown to the engineer as a triage factor.
RECENT_UPGRADE = timedelta(days=14)


@dataclass(slots=True)
class InstallationData:
    hospital_id: str
    system: str
    version: str
    environment: str = "production"
    product: str = ""
    modules: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    interfaces: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    message: str


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = True
    applied: bool = False
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "dry_run": self.dry_run, "applied": self.applied,
            "errors": [{"line": e.line, "field": e.field, "message": e.message} for e in self.errors],
        }


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("|", ";").replace("；", ";").split(";") if part.strip()]


def parse_interfaces(value: str) -> list[dict[str, str]]:
    """"lis:HL7; pacs:DICOM" → [{"system": "lis", "protocol": "HL7"}, ...]."""
    found = []
    for part in _split(value):
        system, _, protocol = part.partition(":")
        system = system.strip()
        if system not in SYSTEMS:
            raise ValueError(f"interface peer {system!r} is not a system id")
        found.append({"system": system, "protocol": protocol.strip()[:32]})
    return found


def read_table(data: bytes, filename: str) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX file as {column: text}.

    Raises ValueError naming what is wrong with the file as a whole.
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
            raise ValueError(f"not a readable XLSX file ({type(exc).__name__})") from exc
        if sheet is None:
            raise ValueError("the workbook has no sheet")
        rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError("the CSV file is not UTF-8") from exc
        rows = list(csv.reader(io.StringIO(text)))
    else:
        raise ValueError("the file must end in .csv or .xlsx")
    if not rows:
        raise ValueError("the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
    if len(rows) - 1 > MAX_ROWS:
        raise ValueError(f"at most {MAX_ROWS} rows per file")
    return [
        {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header) if h}
        for row in rows[1:]
    ]


def validate_row(
    row: dict[str, str], line: int, hospitals: set[str]
) -> tuple[InstallationData | None, list[RowError]]:
    """One row as installation data, or every problem it has."""
    errors = []
    for column in REQUIRED:
        if not row.get(column):
            errors.append(RowError(line, column, f"{column} is required"))
    hospital = row.get("hospital_id", "")
    if hospital and hospital not in hospitals:
        errors.append(RowError(line, "hospital_id", f"no hospital {hospital!r}"))
    system = row.get("system", "")
    if system and system not in SYSTEMS:
        errors.append(RowError(line, "system", f"{system!r} is not a system id"))
    version = row.get("version", "")
    if len(version) > MAX_VERSION:
        errors.append(RowError(line, "version", f"at most {MAX_VERSION} characters"))
    environment = row.get("environment") or "production"
    if environment not in ENVIRONMENTS:
        errors.append(RowError(line, "environment", f"must be one of {', '.join(ENVIRONMENTS)}"))
    interfaces: list[dict[str, str]] = []
    try:
        interfaces = parse_interfaces(row.get("interfaces", ""))
    except ValueError as exc:
        errors.append(RowError(line, "interfaces", str(exc)))
    if errors:
        return None, errors
    return InstallationData(
        hospital_id=hospital, system=system, version=version, environment=environment,
        product=row.get("product", "")[:200], modules=_split(row.get("modules", "")),
        hosts=_split(row.get("hosts", "")), interfaces=interfaces,
    ), []


class Installations:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = default_clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def get_all(self, actor: Actor, hospital_id: str | None = None) -> list[Installation]:
        """Installations the actor may see, optionally of one hospital."""
        query = select(Installation).order_by(Installation.hospital_id, Installation.system,
                                              Installation.environment)
        if actor.hospital_bound:
            query = query.where(Installation.hospital_id == (actor.hospital_id or "\0"))
        if hospital_id:
            query = query.where(Installation.hospital_id == hospital_id)
        with session_scope(self.sessions) as session:
            found = list(session.scalars(query))
            session.expunge_all()
            return found

    def upgrades(self, installation_ids: Iterable[int]) -> dict[int, list[Upgrade]]:
        """Each installation's upgrade history, newest first."""
        ids = list(installation_ids)
        history: dict[int, list[Upgrade]] = {i: [] for i in ids}
        if not ids:
            return history
        with session_scope(self.sessions) as session:
            for upgrade in session.scalars(select(Upgrade).where(Upgrade.installation_id.in_(ids))
                                           .order_by(Upgrade.at.desc(), Upgrade.id.desc())):
                history[upgrade.installation_id].append(upgrade)
            session.expunge_all()
        return history

    @staticmethod
    def _apply(session: Session, data: InstallationData, now: datetime, change_id: int | None = None,
               existing: dict[tuple[str, str, str], Installation] | None = None) -> str:
        """Creates or updates one installation; a new version is an upgrade in its history.

        `existing`: the installations already read, by (hospital, system, environment), so
        that an import of thousands of rows does not query once per row."""
        key = (data.hospital_id, data.system, data.environment)
        if existing is not None:
            current = existing.get(key)
        else:
            current = session.scalar(select(Installation).where(
                Installation.hospital_id == data.hospital_id, Installation.system == data.system,
                Installation.environment == data.environment))
        if current is None:
            session.add(Installation(
                hospital_id=data.hospital_id, system=data.system, version=data.version,
                environment=data.environment, product=data.product, modules=data.modules,
                hosts=data.hosts, interfaces=data.interfaces, installed_at=now, updated_at=now))
            return "created"
        changed = (current.version, current.product, current.modules, current.hosts,
                   current.interfaces) != (data.version, data.product, data.modules, data.hosts,
                                           data.interfaces)
        if current.version != data.version:
            session.add(Upgrade(installation_id=current.id, hospital_id=current.hospital_id,
                                system=current.system, from_version=current.version,
                                to_version=data.version, at=now, change_id=change_id))
        current.version, current.product = data.version, data.product
        current.modules, current.hosts, current.interfaces = data.modules, data.hosts, data.interfaces
        if changed:
            current.updated_at = now
        return "updated" if changed else "unchanged"

    def save(self, actor: Actor, data: InstallationData) -> Installation:
        if actor.hospital_bound:
            raise Forbidden("only the vendor's staff record installations")
        _, errors = validate_row(
            {"hospital_id": data.hospital_id, "system": data.system, "version": data.version,
             "environment": data.environment}, 0, self._hospital_ids())
        if errors:
            raise Invalid(errors[0].message, errors[0].field)
        with session_scope(self.sessions) as session:
            self._apply(session, data, self.clock())
            session.flush()
            saved = session.scalar(select(Installation).where(
                Installation.hospital_id == data.hospital_id, Installation.system == data.system,
                Installation.environment == data.environment))
            assert saved is not None
            session.expunge(saved)
            return saved

    def _hospital_ids(self) -> set[str]:
        with session_scope(self.sessions) as session:
            return set(session.scalars(select(Hospital.id)))

    def import_rows(self, rows: Sequence[dict[str, str]], *, dry_run: bool) -> ImportReport:
        """Checks every row; applies them all in one transaction only when none is bad."""
        report = ImportReport(rows=len(rows), dry_run=dry_run)
        hospitals = self._hospital_ids()
        valid: list[InstallationData] = []
        seen: dict[tuple[str, str, str], int] = {}
        for line, row in enumerate(rows, start=2):  # line 1 is the header
            data, errors = validate_row(row, line, hospitals)
            report.errors.extend(errors)
            if data is None:
                continue
            key = (data.hospital_id, data.system, data.environment)
            if key in seen:
                report.errors.append(RowError(line, "system", f"same hospital, system and environment as line {seen[key]}"))
                continue
            seen[key] = line
            valid.append(data)
        now = self.clock()
        session = self.sessions()
        try:
            hospitals_in_file = sorted({d.hospital_id for d in valid})
            existing = {
                (i.hospital_id, i.system, i.environment): i
                for i in session.scalars(select(Installation).where(Installation.hospital_id.in_(hospitals_in_file)))
            } if hospitals_in_file else {}
            for data in valid:
                outcome = self._apply(session, data, now, existing=existing)
                setattr(report, outcome, getattr(report, outcome) + 1)
            session.flush()
            if dry_run or report.errors:
                session.rollback()
            else:
                session.commit()
                report.applied = True
        finally:
            session.close()
        return report

    def record_upgrade(self, session: Session, hospital_id: str, system: str, version: str,
                       change_id: int | None) -> None:
        """A finished change moves the hospital's production installation to its version."""
        current = session.scalar(select(Installation).where(
            Installation.hospital_id == hospital_id, Installation.system == system,
            Installation.environment == "production"))
        if current is None or not version or current.version == version:
            return
        now = self.clock()
        session.add(Upgrade(installation_id=current.id, hospital_id=hospital_id, system=system,
                            from_version=current.version, to_version=version, at=now,
                            change_id=change_id))
        current.version = version
        current.updated_at = now

    def recent_upgrade(self, session: Session, hospital_id: str, system: str, now: datetime) -> Upgrade | None:
        """The latest upgrade of the system at the hospital within RECENT_UPGRADE, if any."""
        return session.scalar(select(Upgrade).where(
            Upgrade.hospital_id == hospital_id, Upgrade.system == system,
            Upgrade.at >= now - RECENT_UPGRADE, Upgrade.at <= now,
        ).order_by(Upgrade.at.desc()).limit(1))
