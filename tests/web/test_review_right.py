"""The review right: managers and admins review; engineers only with the right on their
profile (granted on the admin page, the API or the CLI); authors never their own article;
without the right the queue and the review page are read-only and the API answers 403."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.web.security.conftest import ENGINEER, Env, build_env
from weibao.core import accounts, migrate
from weibao.core.db import Database, session_scope
from weibao.kb.authoring import ArticleInput, Authoring
from weibao.routing.models import Engineer

ARTICLE = ArticleInput(title="打印机无法打印", body="## 处理\n重启打印服务。", systems=["terminal"],
                       symptoms=["print_failure"], audience="clinician", language="zh")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    url = f"sqlite:///{tmp_path / 'review.db'}"
    migrate.upgrade(Database(url).engine)
    built = build_env(tmp_path, url)
    with session_scope(built.database.sessions) as session:
        # An engineer with a profile but without the right, and one with no profile at all.
        for name, profile in (("eng_plain", "eng-plain"), ("eng_unlinked", None)):
            user = accounts.create_user(session=session, username=name, role="engineer")
            _, built.tokens[name] = accounts.create_token(session=session, user=user, expires_in=timedelta(days=1))
            if profile:
                session.add(Engineer(id=profile, name="普通工程师", tier="L1", systems={"terminal": 3},
                                     user_id=user.id))
    yield built
    built.database.engine.dispose()


def _submitted(env: Env, author: str = "someone") -> str:
    authoring = Authoring(env.app.state.kb, env.database.sessions)
    article = authoring.create(ARTICLE, author=author)
    authoring.submit(article.id, actor=author)
    return article.id


def _review(env: Env, who: str, article_id: str, decision: str = "request_changes") -> int:
    return env.client(who).post(f"/api/articles/{article_id}/review",
                                json={"decision": decision, "comment": "补充原因"}).status_code


@pytest.mark.parametrize(("who", "status"), [
    ("clinician", 403), ("hospital_it", 403),   # not reviewers by role
    ("eng_unlinked", 403),                      # an engineer without a profile
    ("eng_plain", 403),                         # a profile without the right
    ("engineer", 200),                          # the on-duty profile holds the right
    ("manager", 200), ("admin", 200),           # by role
])
def test_who_may_review(env: Env, who: str, status: int) -> None:
    article_id = _submitted(env)
    assert _review(env, who, article_id) == status
    archived = env.client(who).post(f"/api/articles/{article_id}/archive", json={})
    assert archived.status_code == status
    if who.startswith("eng_"):
        assert "review right" in archived.json()["detail"]


def test_a_reviewer_never_approves_their_own_article(env: Env) -> None:
    own = _submitted(env, author="engineer")
    assert _review(env, "engineer", own, "approve") == 403
    assert "own article" in env.client("engineer").post(
        f"/api/articles/{own}/review", json={"decision": "approve"}).json()["detail"]


def test_without_the_right_the_queue_and_review_page_are_read_only(env: Env) -> None:
    article_id = _submitted(env)
    plain = env.client("eng_plain")
    assert plain.get("/api/review-queue").status_code == 200
    queue = plain.get("/review").text
    assert "没有审核权限" in queue and article_id in queue
    page = plain.get(f"/review/{article_id}").text
    assert "没有审核权限" in page and 'id="approve"' not in page
    assert "no review right" in plain.get(f"/review/{article_id}?lang=en").text
    reviewer = env.client("engineer").get(f"/review/{article_id}").text
    assert 'id="approve"' in reviewer and "没有审核权限" not in reviewer


def _can_review(env: Env, engineer_id: str) -> bool:
    with session_scope(env.database.sessions) as session:
        return bool(session.get(Engineer, engineer_id).can_review)  # type: ignore[union-attr]


def test_admins_grant_the_right_on_the_page_and_the_api(env: Env) -> None:
    admin = env.client("admin")
    page = admin.get("/admin/engineers/eng-plain").text
    assert 'name="can_review" value="1" >' in page and "可审核文章" in page
    form = {"name": "普通工程师", "tier": "L1", "sys_terminal": "3", "max_open": "8", "active": "1",
            "username": "eng_plain", "can_review": "1"}
    assert admin.post("/admin/engineers/eng-plain", data=form).status_code == 303
    assert _can_review(env, "eng-plain") and "审核人" in admin.get("/admin/engineers").text
    assert _review(env, "eng_plain", _submitted(env)) == 200
    body = {"name": "普通工程师", "tier": "L1", "systems": {"terminal": 3}, "username": "eng_plain"}
    # Absent from a PUT: unchanged; false: withdrawn.
    kept = admin.put("/api/engineers/eng-plain", json=body)
    assert kept.status_code == 200 and kept.json()["can_review"] is True
    withdrawn = admin.put("/api/engineers/eng-plain", json={**body, "can_review": False})
    assert withdrawn.json()["can_review"] is False and _review(env, "eng_plain", _submitted(env)) == 403
    # A new profile starts without it unless granted.
    new = admin.post("/api/engineers", json={"id": "eng-new", "name": "新人", "tier": "L1", "systems": {"his": 2}})
    assert new.status_code == 201 and new.json()["can_review"] is False
    assert admin.put("/api/engineers/eng-new", json={"name": "新人", "tier": "L1", "systems": {"his": 2},
                                                     "can_review": "yes"}).status_code == 422
    assert env.client("engineer").put("/api/engineers/eng-new", json=body).status_code == 403


def test_the_cli_lists_grants_and_revokes(env: Env, tmp_path: Path) -> None:
    run_env = {"WEIBAO_DATA_DIR": str(tmp_path), "WEIBAO_DATABASE_URL": str(env.database.engine.url),
               "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "weibao.cli", "review-right", *args],
                              capture_output=True, text=True, env=run_env, timeout=300)

    granted = cli("grant", "eng-plain")
    assert granted.returncode == 0, granted.stderr
    assert _can_review(env, "eng-plain")
    listed = cli("list").stdout
    assert f"{ENGINEER}\t值班工程师\treviewer" in listed and "eng-plain\t普通工程师\treviewer" in listed
    assert cli("revoke", "eng-plain").returncode == 0 and not _can_review(env, "eng-plain")
    missing = cli("grant", "eng-nobody")
    assert missing.returncode == 2 and "ENGINEER_ID" in missing.stderr and "eng-nobody" in missing.stderr
