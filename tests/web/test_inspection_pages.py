"""Inspection pages without a browser: languages, refusals on the same page, plans."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.web.security.conftest import HOSPITAL_A, Env, build_env
from weibao.web.api.inspections import services_for_app


@pytest.fixture
def env(tmp_path: Path) -> Env:
    from weibao.core import migrate
    from weibao.core.db import Database

    url = f"sqlite:///{tmp_path / 'pages.db'}"
    migrate.upgrade(Database(url).engine)
    return build_env(tmp_path, url)


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|template)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_pages_speak_chinese_by_default_and_english_on_request(env: Env) -> None:
    run = services_for_app(env.app)[0].create_run(HOSPITAL_A, "database-routine", dt.date(2026, 12, 20), "t").run
    engineer = env.client("engineer")
    for path in ("/inspections", "/inspections/plans", f"/inspections/{run.id}", f"/inspections/{run.id}/perform",
                 "/warnings"):
        page = engineer.get(path)
        assert page.status_code == 200, path
        text = _visible_text(page.text)
        # No English words in the Chinese UI (units, ids of mounts and the language switch aside).
        words = set(re.findall(r"\b[A-Za-z]{4,}\b", text)) - {"English", "WebService", "Worklist", "DataGuard",
                                                               "AlwaysOn", "systemctl", "status", "iDRAC", "iBMC",
                                                               "RMAN", "openssl", "client", "HTTPS", "UKey", "PACS",
                                                               "engineer", "Oracle", "Server", "processes"}  # product and parameter names, the username
        assert not words, (path, sorted(words)[:10])
        assert "2026-12-20" not in text  # dates as people read them
    assert "数据库性能巡检" in engineer.get("/inspections").text
    english = engineer.get("/inspections", params={"lang": "en"}).text
    assert "Database performance inspection" in english and "Schedule an inspection" in english


def test_a_bad_reading_is_refused_on_the_same_page_in_the_ui_language(env: Env) -> None:
    run = services_for_app(env.app)[0].create_run(HOSPITAL_A, "database-routine", dt.date(2026, 12, 20), "t").run
    engineer = env.client("engineer")
    bad = engineer.post(f"/inspections/{run.id}/perform",
                        data={"result_db-tablespace": "fail", "reading_db-tablespace": "很满"})
    assert bad.status_code == 422 and "“表空间使用率”的读数应为数字" in bad.text
    assert 'value="很满"' in bad.text  # what was typed is kept
    empty = engineer.post(f"/inspections/{run.id}/perform", data={})
    assert empty.status_code == 422 and "请至少为一个检查项选择结果" in empty.text
    assert services_for_app(env.app)[0].get_run(run.id).results == []
    ok = engineer.post(f"/inspections/{run.id}/perform",
                       data={"result_db-tablespace": "fail", "reading_db-tablespace": "95",
                             "submission": "form-1"})
    assert ok.status_code == 200 and "已为异常项生成工单" in ok.text
    again = engineer.post(f"/inspections/{run.id}/perform",
                          data={"result_db-tablespace": "fail", "reading_db-tablespace": "95",
                                "submission": "form-1"})
    assert "已为异常项生成工单" not in again.text  # a double tap opens nothing twice


def test_plans_are_saved_from_the_page_and_refused_without_a_template(env: Env) -> None:
    engineer = env.client("engineer")
    refused = engineer.post(f"/inspections/plans/{HOSPITAL_A}", data={"mode": "remote"})
    assert refused.status_code == 422 and "请至少选择一个巡检模板" in refused.text
    saved = engineer.post(f"/inspections/plans/{HOSPITAL_A}",
                          data={"template_ids": ["his-routine", "pacs-routine"], "mode": "onsite",
                                "starts_on": "2026-10-01", "active": "1"})
    assert saved.status_code == 303
    page = engineer.get("/inspections/plans").text
    assert "计划已保存" not in page and "每 1 个月（服务等级默认）" in page  # h-a is premium
    plan = services_for_app(env.app)[0].get_plan(HOSPITAL_A)
    assert plan is not None and plan.template_ids == ["his-routine", "pacs-routine"] and plan.mode == "onsite"


def test_ids_too_large_for_the_database_are_refused_not_500(env: Env) -> None:
    engineer = env.client("engineer")
    huge = 2**63
    assert engineer.get(f"/api/inspections/{huge}").status_code == 422
    assert engineer.post(f"/api/inspections/{huge}/results", json={"items": []}).status_code == 422
    assert engineer.get(f"/api/inspections/photos/{huge}").status_code == 422
    assert engineer.get(f"/inspections/{huge}").status_code == 422
