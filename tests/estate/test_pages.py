"""Estate pages: installations with the import report, releases with the backlog, changes
with refusals named in the page's language, approvals on the page."""

from __future__ import annotations

import re

from tests.estate.conftest import EstateEnv
from tests.estate.test_releases import seed_catalogue
from tests.web.security.conftest import HOSPITAL_A

ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _visible(html: str) -> str:
    """The page's text without tags, scripts and attribute values."""
    body = html.split("<main>", 1)[-1]
    return re.sub(r"<[^>]+>", " ", body)


def test_installations_page_and_import_report(estate_env: EstateEnv) -> None:
    e = estate_env
    seed_catalogue(e)
    page = e.env.client("hospital_it").get("/installations")
    assert page.status_code == 200
    text = _visible(page.text)
    assert "医院信息系统" in text and "甲医院" in text and "5.3.1" in text and "生产" in text
    assert "乙医院" not in text and "丙医院" not in text  # its own hospital only
    assert not ISO.search(text) and "production" not in text
    assert 'action="/installations/import"' not in page.text  # hospital IT does not import

    bad = "hospital_id,system,version\nh-nowhere,his,1.0\nh-a,radiology,2.0\n"
    answer = e.env.client("engineer").post("/installations/import", files={"file": ("x.csv", bad.encode())})
    assert answer.status_code == 422
    assert "第 2 行" in answer.text and "第 3 行" in answer.text and "整批未导入" in answer.text
    good = "hospital_id,system,version\nh-b,emr,2.0\n"
    dry = e.env.client("engineer").post("/installations/import", files={"file": ("x.csv", good.encode())},
                                        data={"dry_run": "1"})
    assert dry.status_code == 200 and "检查完成，未写入" in dry.text
    done = e.env.client("engineer").post("/installations/import", files={"file": ("x.csv", good.encode())})
    assert done.status_code == 200 and "已导入" in done.text and "电子病历" in done.text


def test_releases_page_shows_the_backlog_with_names(estate_env: EstateEnv) -> None:
    e = estate_env
    seed_catalogue(e)
    page = e.env.client("manager").get("/releases")
    text = _visible(page.text)
    assert page.status_code == 200
    assert "安全补丁" in text and "强制版本" in text and "62" in text and "门诊收费结算卡顿" in text
    assert page.text.count('data-hospital="h-a"') == 2 and page.text.count('data-hospital="h-b"') == 1
    english = e.env.client("manager").get("/releases?lang=en").text
    assert "security patch" in english and "安全补丁" not in english
    # Staff add a release on the page; a duplicate is refused with a message.
    form = {"system": "lis", "version": "3.4.0", "released_on": "2026-11-28", "security": "1",
            "compliance_tags": "数据安全法", "articles": "his-known-001"}
    assert e.env.client("engineer").post("/releases", data=form).status_code == 303
    again = e.env.client("engineer").post("/releases", data=form)
    assert again.status_code == 409 and "该系统的这个版本已经登记过" in again.text
    bad = e.env.client("engineer").post("/releases", data={**form, "version": "3.5", "released_on": "昨天"})
    assert bad.status_code == 422 and "请检查填写的内容：发布日期" in bad.text
    assert 'action="/releases"' not in e.env.client("hospital_it").get("/releases").text


def test_changes_page_refuses_a_blackout_by_name_and_approves(estate_env: EstateEnv) -> None:
    e = estate_env
    it = e.env.client("hospital_it")
    assert it.post("/blackouts", data={"hospital_id": "h-b", "name": "门诊高峰", "kind": "weekly",
                                       "days": "0,1,2,3,4", "start_time": "08:00", "end_time": "12:00"}).status_code == 303
    form = {"hospital_id": HOSPITAL_A, "title": "HIS 升级", "systems": ["his"], "window_start": "2026-12-02T09:00",
            "window_end": "2026-12-02T10:00", "rollback_plan": "回退", "test_plan": "验证"}
    refused = e.env.client("engineer").post("/changes", data=form)
    assert refused.status_code == 409 and "时间冲突：与封网窗口「门诊高峰」" in refused.text
    assert 'value="HIS 升级"' in refused.text  # the form keeps what was typed
    created = e.env.client("engineer").post("/changes", data={**form, "window_start": "2026-12-02T22:00",
                                                              "window_end": "2026-12-02T23:00"})
    assert created.status_code == 303
    change_id = e.env.client("manager").get("/api/changes").json()[0]["id"]
    again = e.env.client("engineer").post("/changes", data={**form, "window_start": "2026-12-02T22:30",
                                                            "window_end": "2026-12-02T23:30"})
    assert again.status_code == 409 and f"与变更 #{change_id}「HIS 升级」" in again.text
    assert it.post(f"/changes/{change_id}/approve", data={}).status_code == 303
    assert e.env.client("hospital_it_b").post(f"/changes/{change_id}/approve", data={}).status_code == 404
    assert e.env.client("manager").post(f"/changes/{change_id}/approve", data={}).status_code == 303
    page = it.get("/changes")
    assert f'id="change-{change_id}" data-status="approved"' in page.text
    assert "医院已批" in page.text and "厂商已批" in page.text
    assert "2026年12月2日 22:00" in _visible(page.text) and not ISO.search(_visible(page.text))


def test_navigation_reaches_the_estate_pages(estate_env: EstateEnv) -> None:
    e = estate_env
    staff = e.env.client("manager").get("/changes").text
    for href in ("/remote-access", "/installations", "/releases", "/changes"):
        assert f'href="{href}"' in staff
    clinician = e.env.client("clinician").get("/").text
    assert 'href="/changes"' not in clinician and 'href="/remote-access"' not in clinician


def test_the_ticket_page_shows_the_estates_factors(estate_env: EstateEnv) -> None:
    from sqlalchemy import select

    from weibao.core.db import session_scope
    from weibao.routing.models import Ticket
    from weibao.routing.planning import TicketDraft

    e = estate_env
    ticket, _ = e.env.desk.create(TicketDraft(hospital_id=HOSPITAL_A, title="门诊收费结算失败"))
    with session_scope(e.env.database.sessions) as session:
        stored = session.scalar(select(Ticket).where(Ticket.code == ticket.code))
        assert stored is not None
        stored.triage = {**stored.triage, "evidence": [
            {"source": "known_issue", "field": "article", "value": "his-005", "title": "收费报错",
             "installed": "5.3.1", "fixed_in": "5.3.2", "note": "已知问题，v5.3.2 已修复"},
            {"source": "recently_upgraded", "field": "system", "value": "his", "from": "5.3.0", "to": "5.3.1",
             "days_ago": 2, "note": ""},
        ]}
    page = e.env.client("engineer").get(f"/tickets/{ticket.code}").text
    assert "已知问题：本院在用 5.3.1，v5.3.2 已修复，参见「收费报错」" in page
    assert "近期升级：2 天前从 5.3.0 升级到 5.3.1" in page
    english = e.env.client("engineer").get(f"/tickets/{ticket.code}?lang=en").text
    assert "Recently upgraded: 2 days ago from 5.3.0 to 5.3.1" in english
