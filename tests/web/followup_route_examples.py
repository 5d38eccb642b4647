"""Example requests for the follow-up, attachment, notification and API-docs routes, read
by tests/web/security/test_route_matrix.py.

Each entry: (method, path) -> (request builder, status when the policy lets the caller in).
Tickets belong to hospital A; hospital B's members get 404, as for an unknown ticket.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tests.web.security.conftest import HOSPITAL_A, PEOPLE, Env
from weibao.core.db import session_scope
from weibao.notify import service
from weibao.routing.attachments import AttachmentStore
from weibao.routing.desk import ALL

Builder = Callable[[Env, str], tuple[str, dict[str, Any]]]


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _store(env: Env) -> AttachmentStore:
    settings = env.app.state.settings
    return AttachmentStore(env.desk, settings.data_dir / "attachments", settings.attachment_max_bytes,
                           timedelta(days=settings.attachment_retention_days))


def _attachment(env: Env) -> str:
    code = env.new_ticket()
    attachment = _store(env).add(code, "截图.png", png_bytes(), "clinician", None, ALL)
    return f"/api/tickets/{code}/attachments/{attachment.id}"


def _channel(env: Env) -> int:
    with session_scope(env.database.sessions) as session:
        return service.add_channel(session, owner_kind="hospital", owner_id=HOSPITAL_A,
                                   kind="email", target="it@example.org").id


def _ticket_ok(ok: int) -> Callable[[str], int]:
    def status(who: str) -> int:
        return 404 if PEOPLE[who][1] not in (None, HOSPITAL_A) else ok

    return status


def _file() -> dict[str, Any]:
    return {"files": {"file": ("截图.png", png_bytes(), "image/png")}, "data": {}}


FOLLOWUP_EXAMPLES: dict[tuple[str, str], tuple[Builder, Callable[[str], int] | int]] = {
    ("POST", "/api/tickets/{code}/reply"): (
        lambda e, w: (f"/api/tickets/{e.new_ticket()}/reply", {"json": {"body": "重启后还是不行"}}), _ticket_ok(201)),
    ("POST", "/api/tickets/{code}/confirm"): (
        lambda e, w: (f"/api/tickets/{e.new_ticket(resolved=True)}/confirm", {}), _ticket_ok(200)),
    ("POST", "/api/tickets/{code}/reopen"): (
        lambda e, w: (f"/api/tickets/{e.new_ticket(resolved=True)}/reopen", {"json": {"reason": "又坏了"}}),
        _ticket_ok(200)),
    ("POST", "/api/tickets/{code}/rating"): (
        lambda e, w: (f"/api/tickets/{e.new_ticket(resolved=True)}/rating", {"json": {"score": 5}}),
        _ticket_ok(200)),
    ("POST", "/api/tickets/{code}/attachments"): (
        lambda e, w: (f"/api/tickets/{e.new_ticket()}/attachments", _file()), _ticket_ok(201)),
    ("GET", "/api/tickets/{code}/attachments"): (
        lambda e, w: (f"/api/tickets/{e.new_ticket()}/attachments", {}), _ticket_ok(200)),
    ("GET", "/api/tickets/{code}/attachments/{attachment_id}"): (
        lambda e, w: (_attachment(e), {}), _ticket_ok(200)),
    ("GET", "/api/notify/channels"): (lambda e, w: ("/api/notify/channels", {}), 200),
    ("POST", "/api/notify/channels"): (
        lambda e, w: ("/api/notify/channels", {"json": {
            "owner_kind": "hospital", "owner_id": HOSPITAL_A, "kind": "email", "target": "it@example.org"}}),
        201),
    ("DELETE", "/api/notify/channels/{channel_id}"): (
        lambda e, w: (f"/api/notify/channels/{_channel(e)}", {}), 204),
    ("GET", "/api/notify/outbox"): (lambda e, w: ("/api/notify/outbox", {}), 200),
    ("GET", "/docs"): (lambda e, w: ("/docs", {}), 200),
    ("GET", "/redoc"): (lambda e, w: ("/redoc", {}), 200),
    # Pages: 303 back to the ticket page (with the outcome), 404 for another hospital's ticket.
    ("POST", "/tickets/{code}/reply"): (
        lambda e, w: (f"/tickets/{e.new_ticket()}/reply", {"data": {"body": "重启后还是不行"}}), _ticket_ok(303)),
    ("POST", "/tickets/{code}/confirm"): (
        lambda e, w: (f"/tickets/{e.new_ticket(resolved=True)}/confirm", {"data": {}}), _ticket_ok(303)),
    ("POST", "/tickets/{code}/reopen"): (
        lambda e, w: (f"/tickets/{e.new_ticket(resolved=True)}/reopen", {"data": {"reason": "又坏了"}}),
        _ticket_ok(303)),
    ("POST", "/tickets/{code}/rating"): (
        lambda e, w: (f"/tickets/{e.new_ticket(resolved=True)}/rating", {"data": {"score": "4"}}),
        _ticket_ok(303)),
    ("POST", "/tickets/{code}/attachments"): (
        lambda e, w: (f"/tickets/{e.new_ticket()}/attachments", _file()), _ticket_ok(303)),
    ("GET", "/admin/notifications"): (lambda e, w: ("/admin/notifications", {}), 200),
    ("POST", "/admin/notifications"): (
        lambda e, w: ("/admin/notifications", {"data": {
            "owner": f"hospital:{HOSPITAL_A}", "kind": "wecom",
            "target": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k"}}), 303),
    ("POST", "/admin/notifications/{channel_id}/delete"): (
        lambda e, w: (f"/admin/notifications/{_channel(e)}/delete", {"data": {}}), 303),
}
