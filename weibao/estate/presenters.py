"""Estate records as plain dicts for the API and the pages (ISO times in UTC)."""

from __future__ import annotations

from datetime import datetime

from weibao.estate.models import AccessRequest, Installation, KnownIssue, Release, Upgrade


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def access_payload(
    access: AccessRequest, hospitals: dict[str, str], engineers: dict[str, str]
) -> dict[str, object]:
    return {
        "id": access.id,
        "hospital_id": access.hospital_id,
        "hospital_name": hospitals.get(access.hospital_id, access.hospital_id),
        "engineer_id": access.engineer_id,
        "engineer_name": engineers.get(access.engineer_id, access.engineer_id),
        "requested_by": access.requested_by,
        "system": access.system,
        "purpose": access.purpose,
        "method": access.method,
        "minutes": access.minutes,
        "ticket_id": access.ticket_code,
        "change_id": access.change_id,
        "status": access.status,
        "break_glass": access.break_glass,
        "created_at": iso(access.created_at),
        "decided_by": access.decided_by or None,
        "decided_at": iso(access.decided_at),
        "decision_reason": access.decision_reason,
        "expires_at": iso(access.expires_at),
        "started_at": iso(access.started_at),
        "ended_at": iso(access.ended_at),
        "revoked_by": access.revoked_by or None,
        "reviewed_by": access.reviewed_by or None,
        "reviewed_at": iso(access.reviewed_at),
    }


def upgrade_payload(upgrade: Upgrade) -> dict[str, object]:
    return {"from_version": upgrade.from_version, "to_version": upgrade.to_version,
            "at": iso(upgrade.at), "change_id": upgrade.change_id}


def installation_payload(
    item: Installation, hospitals: dict[str, str], upgrades: list[Upgrade], now: datetime,
    recent_days: int,
) -> dict[str, object]:
    latest = upgrades[0] if upgrades else None
    return {
        "id": item.id,
        "hospital_id": item.hospital_id,
        "hospital_name": hospitals.get(item.hospital_id, item.hospital_id),
        "system": item.system,
        "product": item.product,
        "version": item.version,
        "environment": item.environment,
        "modules": list(item.modules or []),
        "hosts": list(item.hosts or []),
        "interfaces": list(item.interfaces or []),
        "installed_at": iso(item.installed_at),
        "updated_at": iso(item.updated_at),
        "recently_upgraded": bool(latest and (now - latest.at).days < recent_days),
        "upgrades": [upgrade_payload(u) for u in upgrades],
    }


def release_payload(release: Release, issues: list[KnownIssue]) -> dict[str, object]:
    return {
        "id": release.id, "system": release.system, "version": release.version,
        "released_on": release.released_on.isoformat(), "notes": release.notes,
        "security": release.security, "mandatory": release.mandatory,
        "compliance_tags": list(release.compliance_tags or []),
        "end_of_support": release.end_of_support.isoformat() if release.end_of_support else None,
        "known_issues": [{"article_id": i.article_id, "symptoms": list(i.symptoms or []),
                          "affected_versions": list(i.affected_versions or []),
                          "fix_ids": list(i.fix_ids or [])} for i in issues],
    }
