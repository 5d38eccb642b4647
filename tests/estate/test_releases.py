"""Release catalogue: the upgrade backlog lists exactly the lagging hospitals, and who runs a
version affected by a known issue."""

from __future__ import annotations

from datetime import date

from tests.estate.conftest import EstateEnv
from tests.web.security.conftest import HOSPITAL_A, HOSPITAL_B
from weibao.core import accounts
from weibao.core.db import session_scope
from weibao.kb.models import Article

HOSPITAL_C = "h-c"
ARTICLE = "his-known-001"


def seed_article(e: EstateEnv, article_id: str = ARTICLE, title: str = "门诊收费结算卡顿（已知问题）") -> None:
    with session_scope(e.env.database.sessions) as session:
        session.add(Article(id=article_id, title=title, systems=["his"], symptoms=["slow"], departments=[],
                            fixes=[], audience="it_staff", language="zh", updated=date(2026, 10, 1),
                            body="升级到 5.3.2。", status="published", content_hash=article_id, version=1))


def seed_catalogue(e: EstateEnv) -> None:
    seed_article(e)
    with session_scope(e.env.database.sessions) as session:
        accounts.create_hospital(session=session, hospital_id=HOSPITAL_C, name="丙医院")
    staff = e.env.client("manager")
    releases = [
        {"system": "his", "version": "5.3.2", "released_on": "2026-10-01", "security": True,
         "notes": "修复收费结算卡顿；修补 SQL 注入漏洞", "compliance_tags": ["数据安全法"],
         "known_issues": [{"article_id": ARTICLE, "symptoms": ["slow", "settlement_failure"]}]},
        {"system": "his", "version": "5.4.0", "released_on": "2026-11-20", "mandatory": True,
         "compliance_tags": ["医保接口2026"]},
        {"system": "lis", "version": "3.3.0", "released_on": "2026-11-01"},
    ]
    for body in releases:
        created = staff.post("/api/releases", json=body)
        assert created.status_code == 201, created.text
    rows = "hospital_id,system,version\n" + "".join(
        f"{h},{s},{v}\n" for h, s, v in [
            (HOSPITAL_A, "his", "5.3.1"), (HOSPITAL_A, "lis", "3.2.0"),
            (HOSPITAL_B, "his", "5.3.2"), (HOSPITAL_C, "his", "5.4.0")])
    imported = staff.post("/api/installations/import", files={"file": ("x.csv", rows.encode())})
    assert imported.status_code == 200, imported.text


def test_backlog_lists_exactly_the_lagging_hospitals_and_how_long(estate_env: EstateEnv) -> None:
    e = estate_env
    seed_catalogue(e)
    backlog = e.env.client("manager").get("/api/releases/backlog").json()
    # Today is 2026-12-02: A lacks the security patch of 10-01 (62 days) and the mandatory
    # 5.4.0 of 11-20 (12 days); B lacks only 5.4.0; C is current; nobody must take LIS 3.3.0.
    assert backlog["hospitals"] == {HOSPITAL_A: 62, HOSPITAL_B: 12}
    items = [(i["hospital_id"], i["reason"], i["installed_version"], i["target_version"], i["days_behind"])
             for i in backlog["items"]]
    assert items == [
        (HOSPITAL_A, "security", "5.3.1", "5.3.2", 62),
        (HOSPITAL_A, "mandatory", "5.3.1", "5.4.0", 12),
        (HOSPITAL_B, "mandatory", "5.3.2", "5.4.0", 12),
    ]
    assert backlog["items"][1]["compliance_tags"] == ["医保接口2026"]
    # Hospital IT sees its own hospital's backlog only.
    own = e.env.client("hospital_it_b").get("/api/releases/backlog").json()
    assert own["hospitals"] == {HOSPITAL_B: 12}
    # Once A upgrades to 5.4.0, only B lags.
    e.env.client("engineer").put("/api/installations", json={"hospital_id": HOSPITAL_A, "system": "his",
                                                            "version": "5.4.0"})
    assert e.env.client("manager").get("/api/releases/backlog").json()["hospitals"] == {HOSPITAL_B: 12}


def test_end_of_support_is_in_the_backlog(estate_env: EstateEnv) -> None:
    e = estate_env
    staff = e.env.client("manager")
    assert staff.post("/api/releases", json={"system": "pacs", "version": "6.0", "released_on": "2024-01-01",
                                             "end_of_support": "2026-11-01"}).status_code == 201
    assert staff.post("/api/releases", json={"system": "pacs", "version": "7.0",
                                             "released_on": "2026-06-01"}).status_code == 201
    staff.put("/api/installations", json={"hospital_id": HOSPITAL_B, "system": "pacs", "version": "6.0"})
    items = staff.get("/api/releases/backlog").json()["items"]
    assert [(i["hospital_id"], i["reason"], i["target_version"], i["days_behind"]) for i in items] == [
        (HOSPITAL_B, "end_of_support", "7.0", 31)]


def test_which_hospitals_run_a_version_affected_by_a_known_issue(estate_env: EstateEnv) -> None:
    e = estate_env
    seed_catalogue(e)
    affected = e.env.client("engineer").get("/api/releases/affected", params={"article": ARTICLE}).json()
    assert [(a["hospital_id"], a["version"], a["fixed_in"]) for a in affected] == [(HOSPITAL_A, "5.3.1", "5.3.2")]
    assert e.env.client("hospital_it_b").get("/api/releases/affected", params={"article": ARTICLE}).json() == []
    catalogue = e.env.client("hospital_it").get("/api/releases", params={"system": "his"}).json()
    assert [r["version"] for r in catalogue] == ["5.4.0", "5.3.2"]
    assert catalogue[1]["known_issues"][0]["article_id"] == ARTICLE and catalogue[1]["security"] is True


def test_bad_releases_are_refused_naming_the_field(estate_env: EstateEnv) -> None:
    e = estate_env
    seed_catalogue(e)
    staff = e.env.client("engineer")
    base = {"system": "his", "version": "5.5.0", "released_on": "2026-12-01"}
    assert staff.post("/api/releases", json={**base, "version": "5.3.2"}).status_code == 409
    for field, body in {
        "known_issues": {**base, "known_issues": [{"article_id": "no-such-article"}]},
        "system": {**base, "system": "xray"},
        "released_on": {**base, "released_on": "yesterday"},
        "version": {**base, "version": "beta"},
        "end_of_support": {**base, "end_of_support": "2020-01-01"},
    }.items():
        response = staff.post("/api/releases", json=body)
        assert response.status_code == 422 and field in response.text, field
    assert e.env.client("hospital_it").post("/api/releases", json=base).status_code == 403
    assert len(staff.get("/api/releases").json()) == 3  # nothing half-stored
