"""The reporter's follow-up over HTTP: reply, attachments, confirm or reopen, rating; the
ticket actions in the audit log; the offline API docs and their security schemes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.web.followup_route_examples import png_bytes
from tests.web.security.conftest import ENGINEER, HOSPITAL_A, Env, build_env
from weibao.core.audit import AuditEvent
from weibao.core.db import session_scope, utcnow
from weibao.routing.attachments import AttachmentStore
from weibao.routing.desk import ALL
from weibao.routing.followup import FollowUp
from weibao.routing.followup_models import Attachment

PHONE = "13912345678"


@pytest.fixture
def small(database_url: str, tmp_path: Path) -> Env:
    """An app whose attachments may be 20 kB at most."""
    return build_env(tmp_path, database_url, attachment_max_bytes=20_000, notify_seconds=0)


def _audit(env: Env, action: str) -> list[AuditEvent]:
    with session_scope(env.database.sessions) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_reply_is_seen_by_the_engineer_and_ends_the_wait_on_the_hospital(small: Env) -> None:
    code = small.new_ticket()
    engineer = small.client("engineer")
    assert engineer.post(f"/api/tickets/{code}/transition",
                         json={"status": "pending_customer", "reason": "等科室确认"}).status_code == 200
    answer = small.client("clinician").post(f"/api/tickets/{code}/reply", json={"body": "重启后还是打不出"})
    assert answer.status_code == 201, answer.text
    ticket = engineer.get(f"/api/tickets/{code}").json()
    assert ticket["status"] == "in_progress"  # the clock runs again
    assert any(c["body"] == "重启后还是打不出" for c in ticket["comments"])
    assert small.desk.get(code).pauses[-1][1] is not None
    # Engineers answer through comments; the reply form is the hospital's.
    assert engineer.post(f"/api/tickets/{code}/reply", json={"body": "x"}).status_code == 403
    assert small.client("clinician_b").post(f"/api/tickets/{code}/reply", json={"body": "x"}).status_code == 404


def test_an_empty_reply_is_refused_naming_the_field(small: Env) -> None:
    code = small.new_ticket()
    answer = small.client("clinician").post(f"/api/tickets/{code}/reply", json={"body": ""})
    assert answer.status_code == 422 and "body" in answer.text


def test_a_screenshot_is_stored_outside_the_web_root_and_downloads_as_an_attachment(small: Env) -> None:
    code = small.new_ticket()
    nurse = small.client("clinician")
    answer = nurse.post(f"/api/tickets/{code}/attachments",
                        files={"file": ("../../患者张三截图.png", png_bytes(), "text/html")})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["content_type"] == "image/png"  # from the bytes, not the browser's claim
    assert "张三" not in body["filename"] and "/" not in body["filename"]
    with session_scope(small.database.sessions) as session:
        row = session.scalars(select(Attachment)).one()
    data_dir = small.app.state.settings.data_dir
    stored = list((data_dir / "attachments").rglob(row.storage_key))
    assert len(stored) == 1 and stored[0].read_bytes() == png_bytes()
    static = Path(__file__).resolve().parents[2] / "weibao" / "web" / "static"
    assert not list(static.rglob(row.storage_key))

    download = small.client("engineer").get(body["url"])
    assert download.status_code == 200 and download.content == png_bytes()
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in download.headers["cache-control"]
    assert "noindex" in download.headers["x-robots-tag"]
    downloads = _audit(small, "ticket.attachment_downloaded")
    assert [(d.actor_name, d.target) for d in downloads] == [("engineer", f"ticket:{code}")]
    # Another hospital's people do not learn that the ticket or the file exists.
    assert small.client("hospital_it_b").get(body["url"]).status_code == 404
    assert small.client("hospital_it_b").get(f"/api/tickets/{code}/attachments").status_code == 404
    assert len(_audit(small, "ticket.attachment_downloaded")) == 1


@pytest.mark.parametrize(("name", "data"), [
    ("shot.png", b"<html><script>alert(1)</script></html>\x00"),
    ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),
    ("shot.png", png_bytes()[:40]),  # a truncated image
    ("empty.log", b""),
    ("archive.zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
])
def test_files_that_are_not_screenshots_or_text_logs_are_refused(small: Env, name: str, data: bytes) -> None:
    code = small.new_ticket()
    answer = small.client("clinician").post(f"/api/tickets/{code}/attachments",
                                            files={"file": (name, data, "image/png")})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == "file"
    assert small.client("engineer").get(f"/api/tickets/{code}/attachments").json() == []


def test_svg_is_kept_only_as_inert_text(small: Env) -> None:
    # SVG is text: it is kept as a text file, served as text/plain in a sandbox, never as an image.
    code = small.new_ticket()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    answer = small.client("clinician").post(f"/api/tickets/{code}/attachments",
                                            files={"file": ("x.svg", svg, "image/svg+xml")})
    assert answer.status_code == 201
    download = small.client("clinician").get(answer.json()["url"])
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["content-security-policy"]


def test_a_gbk_log_is_stored_as_utf8_and_a_large_file_is_refused(small: Env) -> None:
    code = small.new_ticket()
    log = "2026-12-01 10:00 HIS 连接数据库超时\r\n".encode("gb18030")
    nurse = small.client("clinician")
    answer = nurse.post(f"/api/tickets/{code}/attachments", files={"file": ("his.log", log, "text/plain")})
    assert answer.status_code == 201, answer.text
    assert nurse.get(answer.json()["url"]).content.decode("utf-8").startswith("2026-12-01 10:00 HIS 连接")
    big = b"x" * 20_001
    too_big = nurse.post(f"/api/tickets/{code}/attachments", files={"file": ("big.log", big, "text/plain")})
    assert too_big.status_code == 422 and too_big.json()["detail"][0]["loc"][-1] == "file"


def test_attachments_are_purged_after_the_retention_period(small: Env) -> None:
    code = small.new_ticket()
    settings = small.app.state.settings
    store = AttachmentStore(small.desk, settings.data_dir / "attachments", 20_000, timedelta(days=30))
    attachment = store.add(code, "shot.png", png_bytes(), "clinician", None, ALL)
    path = next((settings.data_dir / "attachments").rglob(attachment.storage_key))
    assert store.purge_expired(now=utcnow() + timedelta(days=29)) == 0 and path.exists()
    assert store.purge_expired(now=utcnow() + timedelta(days=31)) == 1
    assert not path.exists()
    listed = small.client("clinician").get(f"/api/tickets/{code}/attachments").json()
    assert listed[0]["purged"] is True and listed[0]["url"] is None
    url = f"/api/tickets/{code}/attachments/{attachment.id}"
    assert small.client("clinician").get(url).status_code == 404


def test_confirm_closes_and_reopen_needs_a_reason_within_the_window(small: Env) -> None:
    nurse = small.client("clinician")
    code = small.new_ticket(resolved=True)
    assert nurse.post(f"/api/tickets/{code}/reopen", json={"reason": ""}).status_code == 422
    reopened = nurse.post(f"/api/tickets/{code}/reopen", json={"reason": "又打不出了"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "in_progress"
    assert reopened.json()["resolved_at"] is None
    # Resolved again (the earlier resolution is replaced), then confirmed.
    small.desk.resolve(code, "engineer", "驱动版本不对", ["重装驱动"])
    assert small.desk.resolution(small.desk.get(code)).root_cause == "驱动版本不对"  # type: ignore[union-attr]
    closed = nurse.post(f"/api/tickets/{code}/confirm")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert nurse.post(f"/api/tickets/{code}/confirm").status_code == 409


def test_after_the_window_the_reporter_can_neither_confirm_nor_reopen(small: Env) -> None:
    code = small.new_ticket(resolved=True)
    followup = FollowUp(small.desk, timedelta(days=14))
    later = utcnow() + timedelta(days=15)
    ticket = small.desk.get(code)
    state = followup.state(ticket, now=later)
    assert not state.can_confirm and not state.can_reopen and state.can_rate
    from weibao.routing.errors import Conflict

    with pytest.raises(Conflict, match="window"):
        followup.reopen(code, "clinician", "又坏了", ALL, now=later)
    with pytest.raises(Conflict, match="window"):
        followup.confirm(code, "clinician", ALL, now=later)
    assert followup.state(ticket, now=utcnow()).can_confirm


def test_an_open_ticket_cannot_be_confirmed_reopened_or_rated(small: Env) -> None:
    nurse = small.client("clinician")
    code = small.new_ticket()
    assert nurse.post(f"/api/tickets/{code}/confirm").status_code == 409
    assert nurse.post(f"/api/tickets/{code}/reopen", json={"reason": "x"}).status_code == 409
    assert nurse.post(f"/api/tickets/{code}/rating", json={"score": 5}).status_code == 409


@pytest.mark.parametrize("score", [0, 6, True, "5", 4.5])
def test_a_rating_is_a_whole_number_from_one_to_five(small: Env, score: object) -> None:
    code = small.new_ticket(resolved=True)
    answer = small.client("clinician").post(f"/api/tickets/{code}/rating", json={"score": score})
    assert answer.status_code == 422 and "score" in answer.text


def test_a_new_rating_replaces_the_last_and_its_comment_is_masked(small: Env) -> None:
    nurse = small.client("hospital_it")
    code = small.new_ticket(resolved=True)
    assert nurse.post(f"/api/tickets/{code}/rating", json={"score": 2}).json()["score"] == 2
    again = nurse.post(f"/api/tickets/{code}/rating", json={"score": 5, "comment": f"很快，回电 {PHONE}"})
    assert again.status_code == 200 and again.json()["score"] == 5
    assert PHONE not in again.json()["comment"]
    state = FollowUp(small.desk, timedelta(days=14)).state(small.desk.get(code))
    assert state.rating is not None and state.rating.score == 5


def test_ticket_actions_are_audited_without_free_text(small: Env) -> None:
    it = small.client("hospital_it")
    created = it.post("/api/tickets", json={"title": f"检验科打印机坏了 {PHONE}"})
    assert created.status_code == 201
    code = created.json()["id"]
    engineer, manager = small.client("engineer"), small.client("manager")
    engineer.post(f"/api/tickets/{code}/comments", json={"body": f"患者张三 {PHONE} 的条码"})
    engineer.post(f"/api/tickets/{code}/transition", json={"status": "in_progress", "reason": "秘密理由"})
    manager.post(f"/api/tickets/{code}/reassign", json={"engineer_id": ENGINEER, "reason": "秘密理由"})
    manager.post(f"/api/tickets/{code}/escalate", json={"reason": "秘密理由"})
    engineer.post(f"/api/tickets/{code}/resolve", json={"root_cause": "碳带用完", "fix_steps": ["换碳带"]})
    it.post(f"/api/tickets/{code}/reopen", json={"reason": "秘密理由"})
    rows = small.client("manager").get("/api/audit", params={"action": "ticket.", "limit": 100}).json()
    mine = [r for r in rows if r["target"] == f"ticket:{code}"]
    actions = {r["action"] for r in mine}
    assert {"ticket.created", "ticket.commented", "ticket.transitioned", "ticket.reassigned",
            "ticket.escalated", "ticket.resolved", "ticket.reopened"} <= actions
    by_action = {r["action"]: r for r in mine}
    assert by_action["ticket.created"]["actor_name"] == "hospital_it"
    assert by_action["ticket.created"]["hospital_id"] == HOSPITAL_A
    assert by_action["ticket.transitioned"]["detail"] == {"event": "status_changed", "from": "assigned",
                                                          "to": "in_progress"}
    text = repr(mine)
    assert "秘密理由" not in text and PHONE not in text and "张三" not in text and "碳带" not in text


def test_the_api_docs_work_offline_and_declare_the_security_schemes(small: Env) -> None:
    client = small.client()
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower() and "googleapis" not in docs.text
    redoc = client.get("/redoc")
    assert "/static/vendor/redoc/redoc.standalone.js" in redoc.text and "fonts.googleapis" not in redoc.text
    for asset in ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "redoc/redoc.standalone.js",
                  "swagger-ui/LICENSE", "redoc/LICENSE"):
        assert client.get(f"/static/vendor/{asset}").status_code == 200, asset
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["cookieAuth"]["in"] == "cookie" and schemes["cookieAuth"]["name"] == "wb_session"
    create = schema["paths"]["/api/tickets"]["post"]
    assert create["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    assert "tickets.create" in create["description"]
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_the_follow_up_section_reads_in_english_too(small: Env) -> None:
    import re

    code = small.new_ticket(resolved=True)
    page = small.client("clinician").get(f"/tickets/{code}", params={"lang": "en"})
    assert page.status_code == 200
    section = page.text[page.text.index('id="followup"'):page.text.index("</section>", page.text.index('id="followup"'))]
    assert "Follow-up" in section and "It is fixed: close the ticket" in section
    assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"<[^>]+>", " ", section)), section
