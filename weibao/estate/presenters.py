"""Estate records as plain dicts for the API and the pages (ISO times in UTC)."""

from __future__ import annotations

from datetime import datetime

from weibao.estate.models import AccessRequest


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
