"""Engineer profiles edited by an admin in the browser and through the API: validation
names the field in the UI language, nothing is saved half, the account link holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.security.conftest import ENGINEER, Env, add_password_user, build_env
from weibao.core import migrate
from weibao.core.db import Database, session_scope
from weibao.routing.models import Engineer
from weibao.web.engineer_pages import parse_shifts, shifts_text


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    url = f"sqlite:///{tmp_path / 'eng.db'}"
    migrate.upgrade(Database(url).engine)
    built = build_env(tmp_path, url)
    yield built
    built.database.engine.dispose()


def profile(env: Env, engineer_id: str) -> Engineer | None:
    with session_scope(env.database.sessions) as session:
        return session.get(Engineer, engineer_id)


FORM = {"id": "eng-zhang", "name": "张工", "tier": "L2", "sys_pacs": "5", "sys_his": "3",
        "dep_radiology": "4", "tags": "dicom, windows", "regions": "east",
        "shifts": "mon-fri 08:30 17:30\nsat 20:00 08:00 on-call", "max_open": "6", "active": "1"}


def test_shift_lines_read_and_write_back() -> None:
    shifts = parse_shifts(FORM["shifts"])
    assert shifts == [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:30", "end": "17:30"},
        {"days": ["sat"], "start": "20:00", "end": "08:00", "on_call": True},
    ]
    assert parse_shifts(shifts_text(shifts)) == shifts == parse_shifts(shifts_text(shifts, "zh"))
    assert shifts_text(shifts, "zh") == "周一-周五 08:30 17:30\n周六 20:00 08:00 值班"


def test_admin_creates_edits_and_links_a_profile(env: Env) -> None:
    add_password_user(env, "zhang.gong", "engineer")
    admin = env.client("admin")
    created = admin.post("/admin/engineers/new", data={**FORM, "username": "zhang.gong"})
    assert created.status_code == 303, created.text
    saved = profile(env, "eng-zhang")
    assert saved is not None and saved.systems == {"pacs": 5, "his": 3} and saved.tags == ["dicom", "windows"]
    assert saved.shifts[1]["on_call"] is True and saved.max_open == 6 and saved.user_id is not None
    listing = admin.get("/admin/engineers?saved=eng-zhang").text
    assert "张工" in listing and "zhang.gong" in listing and "工程师档案已保存" in listing
    page = admin.get("/admin/engineers/eng-zhang").text
    assert 'name="sys_pacs" min="1" max="5" value="5"' in page and "周六 20:00 08:00 值班" in page
    edited = admin.post("/admin/engineers/eng-zhang", data={**FORM, "tier": "L3", "username": ""})
    assert edited.status_code == 303
    saved = profile(env, "eng-zhang")
    assert saved is not None and saved.tier == "L3" and saved.user_id is None


@pytest.mark.parametrize(("change", "field"), [
    ({"sys_pacs": "9"}, "系统熟练度"),
    ({"sys_pacs": "", "sys_his": ""}, "系统熟练度"),
    ({"shifts": "weekdays 9 to 5"}, "班次"),
    ({"shifts": "mon 25:00 26:00"}, "班次"),
    ({"max_open": "0"}, "工单上限"),
    ({"tier": "L9"}, "级别"),
    ({"id": "Bad Id"}, "编号"),
    ({"username": "nurse"}, "关联账号"),
])
def test_bad_profiles_are_refused_naming_the_field(env: Env, change: dict[str, str], field: str) -> None:
    response = env.client("admin").post("/admin/engineers/new", data={**FORM, **change})
    assert response.status_code == 422, response.text
    assert f"保存失败：{field}填写有误。" in response.text
    assert profile(env, FORM["id"]) is None  # nothing saved half


def test_an_account_holds_one_profile(env: Env) -> None:
    response = env.client("admin").post("/admin/engineers/new", data={**FORM, "username": "engineer"})
    assert response.status_code == 409 and "保存失败：关联账号已被占用。" in response.text
    assert profile(env, FORM["id"]) is None


def test_only_admins_manage_profiles(env: Env) -> None:
    for who in ("engineer", "manager", "hospital_it"):
        assert env.client(who).get("/admin/engineers").status_code == 403
        assert env.client(who).post("/api/engineers", json={"id": "eng-x", "name": "x", "tier": "L1",
                                                            "systems": {"his": 1}}).status_code == 403


def test_profile_api_validates_and_links(env: Env) -> None:
    admin = env.client("admin")
    body = {"id": "eng-api", "name": "接口工程师", "tier": "L2", "systems": {"lis": 4},
            "shifts": [{"days": ["mon"], "start": "09:00", "end": "18:00"}]}
    assert admin.post("/api/engineers", json=body).status_code == 201
    assert admin.post("/api/engineers", json=body).status_code == 409
    bad = admin.post("/api/engineers", json={**body, "id": "eng-b", "systems": {"nope": 3}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "systems"]
    bad = admin.post("/api/engineers", json={**body, "id": "eng-c", "shifts": [{"days": ["xyz"], "start": "09:00", "end": "10:00"}]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "shifts"]
    moved = admin.put("/api/engineers/eng-api", json={**{k: v for k, v in body.items() if k != "id"}, "username": "engineer"})
    assert moved.status_code == 409  # the engineer account already holds eng-duty
    kept = admin.put(f"/api/engineers/{ENGINEER}", json={"name": "值班工程师", "tier": "L3", "systems": {"his": 5},
                                                          "username": "engineer"})
    assert kept.status_code == 200 and kept.json()["account"] == "engineer"
    assert admin.put("/api/engineers/eng-none", json={"name": "x", "tier": "L1", "systems": {"his": 1}}).status_code == 404
