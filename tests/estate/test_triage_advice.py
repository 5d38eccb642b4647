"""Triage uses versions, over the real seeded knowledge base and desk: a hospital on a
version affected by a known issue gets that article first, with the reason; a recent
upgrade is a factor shown to the engineer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete

from weibao.core.db import session_scope
from weibao.estate.common import Actor
from weibao.estate.installations import InstallationData
from weibao.estate.models import Installation, KnownIssue, Release, Upgrade
from weibao.estate.releases import KnownIssueData, ReleaseData
from weibao.estate.service import Estate
from weibao.routing.planning import TicketDraft

AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai
STAFF = Actor("release-manager", "manager")
TEXT = "门诊收费结算失败"


@pytest.fixture
def estate(seeded_services) -> Iterator[Estate]:  # type: ignore[no-untyped-def]
    """Known issue his-005 fixed in HIS 5.3.2; h-sxfy runs 5.3.1, h-jnwy runs 5.3.2.
    The rows are removed afterwards: the seeded database is shared by the whole run."""
    clock = {"now": AT - timedelta(days=3)}
    service = Estate(seeded_services.database.sessions, lambda: clock["now"])
    service.releases.create(STAFF, ReleaseData(
        system="his", version="5.3.2", released_on=date(2026, 10, 1), security=True,
        known_issues=[KnownIssueData("his-005", symptoms=["crash_error", "settlement_failure", "upgrade_regression"])]))
    service.installations.save(STAFF, InstallationData("h-sxfy", "his", "5.3.0"))
    service.installations.save(STAFF, InstallationData("h-jnwy", "his", "5.3.2"))
    clock["now"] = AT - timedelta(days=2)
    service.installations.save(STAFF, InstallationData("h-sxfy", "his", "5.3.1"))  # upgraded two days ago
    try:
        yield service
    finally:
        with session_scope(seeded_services.database.sessions) as session:
            for table in (Upgrade, Installation, KnownIssue, Release):
                session.execute(delete(table))


def test_a_hospital_on_an_affected_version_gets_the_known_issue_article_first(estate, seeded_services) -> None:  # type: ignore[no-untyped-def]
    desk = seeded_services.desk
    affected = desk.plan(TicketDraft(hospital_id="h-sxfy", title=TEXT, at=AT))
    assert affected.triage.system == "his"
    first = affected.suggested_articles[0]
    assert first["id"] == "his-005" and first["note"] == "已知问题，v5.3.2 已修复"
    known = [e for e in affected.triage.evidence if e["source"] == "known_issue"]
    assert known == [{"source": "known_issue", "field": "article", "value": "his-005", "installed": "5.3.1",
                      "fixed_in": "5.3.2", "note": "已知问题，v5.3.2 已修复",
                      "title": "HIS 升级后门诊收费报 ORA- 错误（存储过程失效、缺字段）"}]
    recent = [e for e in affected.triage.evidence if e["source"] == "recently_upgraded"]
    assert recent and recent[0]["from"] == "5.3.0" and recent[0]["to"] == "5.3.1" and recent[0]["days_ago"] == 2

    fixed = desk.plan(TicketDraft(hospital_id="h-jnwy", title=TEXT, at=AT))
    assert not any("note" in a for a in fixed.suggested_articles)
    assert not any(e["source"] in ("known_issue", "recently_upgraded") for e in fixed.triage.evidence)
    # Without the estate's advice the search itself would not have put it first.
    assert fixed.suggested_articles[0]["id"] != "his-005"


def test_a_ticket_about_something_else_is_not_told_about_the_issue(estate, seeded_services) -> None:  # type: ignore[no-untyped-def]
    # Same system, another symptom: the known issue does not match.
    login = seeded_services.desk.plan(TicketDraft(hospital_id="h-sxfy", title="HIS 登不进去，提示密码错误", at=AT))
    assert login.triage.system == "his" and login.triage.symptom == "login_failure"
    assert not any(e["source"] == "known_issue" for e in login.triage.evidence)
    assert not any("note" in a for a in login.suggested_articles)
    # Another system: nothing from the HIS release, and no upgrade factor either.
    pacs = seeded_services.desk.plan(TicketDraft(hospital_id="h-sxfy", title="放射科电脑上看不了片子", at=AT))
    assert pacs.triage.system == "pacs"
    assert not any(e["source"] in ("known_issue", "recently_upgraded") for e in pacs.triage.evidence)


def test_the_api_answer_says_why_the_article_comes_first(estate, seeded_dir, seeded_services) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from tests.conftest import make_settings
    from weibao.core import accounts
    from weibao.web.app import create_app

    app = create_app(make_settings(seeded_dir, secret_key="test-secret-key"), kb=seeded_services.kb,
                     database=seeded_services.database, desk=seeded_services.desk)
    with session_scope(seeded_services.database.sessions) as session:
        user = accounts.get_user_by_username(session=session, username="estate_triage") or accounts.create_user(
            session=session, username="estate_triage", role="engineer")
        _, secret = accounts.create_token(session=session, user=user, expires_in=timedelta(hours=1))
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {secret}"
    response = client.post("/api/tickets", json={"hospital_id": "h-sxfy", "title": TEXT})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["suggested_articles"][0]["id"] == "his-005"
    assert body["suggested_articles"][0]["note"] == "已知问题，v5.3.2 已修复"
    assert any(e["source"] == "known_issue" for e in body["triage"]["evidence"])
    # The engineer's ticket page says so too, naming the article.
    page = client.get(f"/tickets/{body['id']}")
    assert page.status_code == 200
    assert "已知问题：本院在用 5.3.1，v5.3.2 已修复，参见「HIS 升级后门诊收费报 ORA- 错误" in page.text
