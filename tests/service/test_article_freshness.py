"""The stale list's facts from the desk and the estate: an article contradicted by newer
resolutions of its system and symptom, and one whose affected versions no installation
runs any more — through the domain, the API (which names the tickets) and the page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.web.security.conftest import HOSPITAL_A, HOSPITAL_B, Env, build_env
from weibao.core.db import session_scope, utcnow
from weibao.estate.models import Installation
from weibao.kb.authoring import ArticleInput, Authoring
from weibao.routing.models import Ticket
from weibao.service.article_freshness import freshness_facts


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> Iterator[Env]:
    built = build_env(tmp_path, database_url)
    yield built
    built.database.engine.dispose()


def _publish(authoring: Authoring, title: str, affected: dict[str, list[str]] | None = None) -> str:
    article = authoring.create(ArticleInput(
        title=title, body="## 处理\n重置密码。", systems=["his"], symptoms=["login_failure"],
        audience="it_staff", language="zh", fixes=[{"id": "fix-reset-password", "title": "重置密码"}],
        affected_versions=affected or {},
    ), author="writer")
    authoring.submit(article.id, actor="writer")
    authoring.review(article.id, decision="approve", comment="", reviewer="reviewer")
    return article.id


def _resolved(env: Env, *, days_ago: float = 0, symptom: str = "login_failure", **used: list[str]) -> str:
    code = env.new_ticket()
    with session_scope(env.database.sessions) as session:
        ticket = session.query(Ticket).filter_by(code=code).one()
        ticket.system, ticket.symptom = "his", symptom
    env.desk.resolve(code, "test", "账号锁定", ["解锁"], now=utcnow() - timedelta(days=days_ago), **used)  # type: ignore[arg-type]
    return code


def _stale(env: Env, authoring: Authoring) -> dict[str, object]:
    with session_scope(env.database.sessions) as session:
        facts = freshness_facts(session, authoring.oldest_review())
    return {s.article.id: s for s in authoring.stale(facts=facts)}


def test_newer_resolutions_that_went_another_way_make_an_article_contradicted(env: Env) -> None:
    authoring = Authoring(env.app.state.kb, env.database.sessions)
    article = _publish(authoring, "HIS 登录失败的处理")
    _resolved(env, days_ago=3)                                  # before the review: not counted
    used_fix = _resolved(env, fix_ids=["fix-reset-password"])   # used its fix
    used_it = _resolved(env, article_ids=[article])             # used the article
    _resolved(env, symptom="print_failure")                     # another symptom
    first = _resolved(env)
    assert article not in _stale(env, authoring), "one resolution another way is not yet a contradiction"
    second = _resolved(env)
    item = _stale(env, authoring)[article]
    assert item.reasons == ["contradicted"] and item.contradictions == 2  # type: ignore[attr-defined]
    assert [r.code for r in item.recent] == [second, first]  # type: ignore[attr-defined]

    listed = env.client("manager").get("/api/stale-articles").json()
    row = next(r for r in listed if r["id"] == article)
    assert row["reasons"] == ["contradicted"] and row["contradictions"] == 2
    assert [r["code"] for r in row["recent_resolutions"]] == [second, first]
    assert row["recent_resolutions"][0]["url"] == f"/tickets/{second}"
    assert used_fix not in str(listed) and used_it not in str(listed)
    page = env.client("manager").get("/review/stale")
    assert page.status_code == 200 and "后来的工单用了别的解决方法" in page.text
    assert f'href="/tickets/{second}"' in page.text
    english = env.client("manager").get("/review/stale", params={"lang": "en"}).text
    assert "contradicted by newer resolutions" in english and "2 tickets of its system and symptom" in english


def test_affected_versions_no_installation_runs_make_an_article_stale(env: Env) -> None:
    authoring = Authoring(env.app.state.kb, env.database.sessions)
    old = _publish(authoring, "HIS 5.2 登录失败", {"his": ["5.2"]})
    current = _publish(authoring, "HIS 5.3 登录失败", {"his": ["5.2", "5.3"]})
    unsaid = _publish(authoring, "HIS 登录失败")
    # No installation recorded at all: nothing is known, nothing is judged.
    assert not _stale(env, authoring)
    with session_scope(env.database.sessions) as session:
        session.add(Installation(hospital_id=HOSPITAL_A, system="his", version="5.3.1"))
        session.add(Installation(hospital_id=HOSPITAL_B, system="his", version="5.21"))
    stale = _stale(env, authoring)
    assert stale[old].reasons == ["versions_retired"]  # type: ignore[attr-defined]
    assert current not in stale and unsaid not in stale
    row = next(r for r in env.client("manager").get("/api/stale-articles").json() if r["id"] == old)
    assert row["reasons"] == ["versions_retired"] and row["affected_versions"] == {"his": ["5.2"]}
    page = env.client("manager").get("/review/stale").text
    assert "涉及的版本已无医院在用" in page and "his 5.2" in page
    assert "its versions are no longer run" in env.client("manager").get("/review/stale?lang=en").text
