"""Filing a ticket with a screenshot in one step, without a browser: the new-ticket form is
multipart with its CSRF field; a good image is stored through the attachment store (event
and audit row as for any upload); a refused file never loses the ticket, whose page then
says in Chinese that the file was not attached and why.

SQLite, over the small stand-in knowledge base of tests/web/security (no model)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.followup_route_examples import png_bytes
from tests.web.security.conftest import (
    HOSPITAL_A,
    Env,
    add_password_user,
    build_env,
    csrf_from,
    sign_in,
)
from weibao.core import migrate
from weibao.core.audit import AuditEvent
from weibao.core.db import Database, session_scope
from weibao.routing.followup_models import Attachment
from weibao.routing.models import Ticket

PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + bytes(range(256))


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    url = f"sqlite:///{tmp_path / 'filing.db'}"
    migrate.upgrade(Database(url).engine)
    built = build_env(tmp_path, url, attachment_max_bytes=20_000, notify_seconds=0)
    add_password_user(built, "nurse_form", "clinician", hospital_id=HOSPITAL_A)
    yield built
    built.database.engine.dispose()


def _nurse(env: Env) -> tuple[TestClient, str]:
    """A signed-in clinician (session cookie, as a browser) and the form's CSRF token."""
    client = env.client()
    sign_in(client, "nurse_form")
    form = client.get("/tickets/new")
    assert form.status_code == 200
    return client, csrf_from(form.text)


def _file(client: TestClient, csrf: str, title: str, file: tuple[str, bytes, str] | None):
    data = {"csrf_token": csrf, "title": title, "description": "点击开单后一直转圈"}
    # No file chosen: a browser still sends the multipart part, empty and unnamed.
    files = {"file": file or ("", b"", "application/octet-stream")}
    return client.post("/tickets/new", data=data, files=files)


def _tickets(env: Env, title: str) -> list[Ticket]:
    with session_scope(env.database.sessions) as session:
        return list(session.scalars(select(Ticket).where(Ticket.title == title)))


def _attachments(env: Env) -> list[Attachment]:
    with session_scope(env.database.sessions) as session:
        return list(session.scalars(select(Attachment)))


def _audit(env: Env, action: str) -> list[AuditEvent]:
    with session_scope(env.database.sessions) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_form_offers_an_optional_file_in_chinese_and_is_multipart(env: Env) -> None:
    client, _ = _nurse(env)
    page = client.get("/tickets/new").text
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert 'type="file" name="file"' in page and "截图或日志文件（可选）" in page
    assert 'data-max-bytes="20000"' in page and "/static/attach.js" in page
    assert "Screenshot or log file" not in page
    english = client.get("/tickets/new", params={"lang": "en"}).text
    assert "Screenshot or log file (optional)" in english


def test_a_screenshot_filed_with_the_ticket_is_on_its_page(env: Env) -> None:
    client, csrf = _nurse(env)
    answer = _file(client, csrf, "门诊医生站开不了检验单", ("his-screen.png", png_bytes((64, 40)), "image/png"))
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    code = location.split("?")[0].rsplit("/", 1)[-1]
    assert "fu=filing_ok_attached" in location
    [ticket] = _tickets(env, "门诊医生站开不了检验单")
    assert ticket.code == code
    [attachment] = _attachments(env)
    assert (attachment.ticket_id, attachment.content_type, attachment.filename) == (ticket.id, "image/png", "his-screen.png")
    # Audited as any upload, naming who filed it.
    [row] = _audit(env, "ticket.attachment_added")
    assert row.target == f"ticket:{code}" and row.actor_name == "nurse_form"
    page = client.get(location).text
    assert "工单已提交，附件已一并上传。" in page and "his-screen.png" in page
    download = client.get(f"/api/tickets/{code}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.content == png_bytes((64, 40))


def test_an_executable_is_refused_in_chinese_and_the_ticket_is_kept(env: Env) -> None:
    client, csrf = _nurse(env)
    # The browser's claim (image/png) does not matter: the bytes are a program.
    answer = _file(client, csrf, "检验系统打印失败", ("fix-tool.exe", PROGRAM, "image/png"))
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert "fu=filing_error_file" in location
    [ticket] = _tickets(env, "检验系统打印失败")
    assert ticket.description == "点击开单后一直转圈" and ticket.reporter_name == "nurse_form"
    assert _attachments(env) == [] and _audit(env, "ticket.attachment_added") == []
    stored = env.app.state.settings.data_dir / "attachments"
    assert not stored.exists() or [p for p in stored.rglob("*") if p.is_file()] == []
    page = client.get(location).text
    assert "工单已提交，但附件未上传：只能上传截图（PNG、JPEG、GIF、WebP）或文本日志文件。" in page
    assert 'class="error" role="status" id="followup-outcome"' in page
    assert 'id="attach-form"' in page  # another file can be uploaded right there
    # In English, the same refusal in English.
    english = client.get(location.split("#")[0] + "&lang=en").text
    assert "The ticket is filed, but the file was not attached" in english


def test_a_file_over_the_limit_keeps_the_ticket_and_says_the_limit(env: Env) -> None:
    client, csrf = _nurse(env)
    answer = _file(client, csrf, "日志太大", ("his.log", b"x" * 20_001, "text/plain"))
    assert answer.status_code == 303 and "fu=filing_error_file_size" in answer.headers["location"]
    assert len(_tickets(env, "日志太大")) == 1 and _attachments(env) == []
    assert "文件超过 0.02 MB" in client.get(answer.headers["location"]).text


def test_no_file_files_the_ticket_as_before(env: Env) -> None:
    client, csrf = _nurse(env)
    answer = _file(client, csrf, "没有附件的报修", None)
    assert answer.status_code == 303 and "fu=" not in answer.headers["location"]
    assert len(_tickets(env, "没有附件的报修")) == 1 and _attachments(env) == []


def test_the_multipart_form_still_needs_its_csrf_field(env: Env) -> None:
    client, _ = _nurse(env)
    answer = client.post("/tickets/new", data={"title": "伪造的报修"},
                         files={"file": ("a.png", png_bytes(), "image/png")})
    assert answer.status_code == 403
    assert _tickets(env, "伪造的报修") == [] and _attachments(env) == []


def test_a_refused_form_stores_neither_ticket_nor_file(env: Env) -> None:
    client, csrf = _nurse(env)
    answer = _file(client, csrf, "   ", ("his-screen.png", png_bytes(), "image/png"))
    assert answer.status_code in (400, 422)
    assert _attachments(env) == []


def test_the_body_limit_lets_a_full_size_file_through_on_this_path(tmp_path: Path) -> None:
    # A body limit below the attachment limit: only the override lets the file in.
    url = f"sqlite:///{tmp_path / 'limit.db'}"
    migrate.upgrade(Database(url).engine)
    env = build_env(tmp_path, url, max_body_bytes=4096, attachment_max_bytes=60_000, notify_seconds=0)
    add_password_user(env, "nurse_form", "clinician", hospital_id=HOSPITAL_A)
    try:
        client, csrf = _nurse(env)
        log = ("2026-12-01 门诊 LIS 打印失败 重试\n" * 1500).encode()[:59_000]
        answer = _file(client, csrf, "大日志", ("lis.log", log, "text/plain"))
        assert answer.status_code == 303, answer.text
        assert "fu=filing_ok_attached" in answer.headers["location"]
        # Elsewhere the ordinary limit still holds, refused in words for a person.
        refused = client.post("/tickets/x/comments", data={"csrf_token": csrf, "body": "y" * 5000},
                              headers={"referer": "http://testserver/tickets/x?tab=reply"})
        assert refused.status_code == 413 and refused.headers["content-type"].startswith("text/html")
        assert "内容太大" in refused.text and "4096 bytes" in refused.text
        assert 'href="/tickets/x?tab=reply"' in refused.text and "detail" not in refused.text
        client.cookies.set("lang", "en")
        assert "Too large to send" in client.post("/tickets/x/comments", data={"body": "y" * 5000}).text
        # The API keeps its JSON answer.
        api = client.post("/api/tickets", content=b"{" + b" " * 5000 + b"}",
                          headers={"content-type": "application/json"})
        assert api.status_code == 413 and "too large" in api.json()["detail"]
    finally:
        env.database.engine.dispose()
