"""Tickets through the API as hospital staff and vendor engineers, over the seeded desk."""

from __future__ import annotations

from tests.web.conftest import ENGINEER_PROFILE


def take(engineer, code: str) -> None:  # type: ignore[no-untyped-def]
    """The engineer takes the ticket: only its assignee may resolve it."""
    taken = engineer.post(
        f"/api/tickets/{code}/reassign", json={"engineer_id": ENGINEER_PROFILE, "reason": "我来处理"}
    )
    assert taken.status_code == 200, taken.text


def test_hospital_it_files_a_ticket_and_gets_triage_sla_candidates_and_suggestions(as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user("it_hz").post(
        "/api/tickets", json={"title": "检验科生化仪联机失败，结果传不到LIS", "description": "从早上8点开始"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("T-") and body["hospital_id"] == "h-hzsy"
    assert body["triage"]["system"] == "lis" and body["triage"]["symptom"] == "device_connect"
    assert body["sla"]["tier"] == "premium" and body["sla"]["response_due"].endswith("+08:00")
    assert body["assignee"] and body["candidates"][0]["factors"]
    assert body["suggested_articles"] and body["suggested_articles"][0]["url"].startswith("/articles/")
    assert [e["kind"] for e in body["events"]][:2] == ["created", "assigned"]
    assert isinstance(body["triage"]["alternatives"], dict)
    again = as_user("it_hz").get(f"/api/tickets/{body['id']}").json()
    assert again["triage"]["alternatives"] == body["triage"]["alternatives"]


def test_another_hospital_cannot_read_the_ticket(as_user) -> None:  # type: ignore[no-untyped-def]
    code = as_user("it_hz").post("/api/tickets", json={"title": "门诊打印机脱机"}).json()["id"]
    assert as_user("it_fs").get(f"/api/tickets/{code}").status_code == 404
    assert as_user("nurse_hz").get(f"/api/tickets/{code}").status_code == 200
    listed = as_user("it_fs").get("/api/tickets").json()
    assert all(t["hospital_id"] == "h-fsnh" for t in listed)


def test_engineer_works_the_ticket_through_its_lifecycle(as_user) -> None:  # type: ignore[no-untyped-def]
    code = as_user("it_hz").post("/api/tickets", json={"title": "住院护士站腕带打印机打不出来"}).json()["id"]
    engineer = as_user("engineer")
    take(engineer, code)
    assert engineer.post(f"/api/tickets/{code}/transition", json={"status": "in_progress"}).status_code == 200
    wrong = engineer.post(f"/api/tickets/{code}/transition", json={"status": "new"})
    assert wrong.status_code == 409 and "allowed:" in wrong.json()["detail"]
    missing = engineer.post(f"/api/tickets/{code}/resolve", json={"root_cause": "碳带用完", "fix_steps": []})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "fix_steps"
    done = engineer.post(
        f"/api/tickets/{code}/resolve", json={"root_cause": "碳带用完", "fix_steps": ["更换碳带", "打印测试"]}
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    assert done.json()["resolution"]["fix_steps"] == ["更换碳带", "打印测试"]
    assert as_user("it_hz").post(f"/api/tickets/{code}/resolve", json={"root_cause": "x", "fix_steps": ["y"]}).status_code == 403


def test_unknown_things_are_404_and_bad_fields_422(as_user) -> None:  # type: ignore[no-untyped-def]
    manager = as_user("manager")
    assert manager.get("/api/tickets/T-0000-00000").status_code == 404
    assert manager.get("/api/engineers/eng-nobody/queue").status_code == 404
    no_hospital = manager.post("/api/tickets", json={"title": "x"})
    assert no_hospital.status_code == 422 and no_hospital.json()["detail"][0]["loc"][-1] == "hospital_id"
    unknown = manager.post("/api/tickets", json={"title": "x", "hospital_id": "h-nope"})
    assert unknown.status_code == 404
    long_title = manager.post("/api/tickets", json={"title": "卡" * 201, "hospital_id": "h-hzsy"})
    assert long_title.status_code == 422 and long_title.json()["detail"][0]["loc"][-1] == "title"
    override = manager.post("/api/tickets", json={"title": "x", "hospital_id": "h-hzsy", "priority": "P1"})
    assert override.status_code == 422 and override.json()["detail"][0]["loc"][-1] == "priority_reason"


def test_hospitals_engineers_and_queues(as_user) -> None:  # type: ignore[no-untyped-def]
    hospitals = as_user("manager").get("/api/hospitals").json()
    assert {h["tier"] for h in hospitals} == {"basic", "standard", "premium"}
    assert [h["id"] for h in as_user("it_fs").get("/api/hospitals").json()] == ["h-fsnh"]
    engineers = as_user("engineer").get("/api/engineers").json()
    assert len(engineers) >= 24 and {"L1", "L2", "L3"} <= {e["tier"] for e in engineers}
    queue = as_user("engineer").get(f"/api/engineers/{engineers[0]['id']}/queue")
    assert queue.status_code == 200
    assert as_user("it_hz").get("/api/engineers").status_code == 403


def test_a_resolved_case_is_readable_by_every_hospital_without_its_private_details(as_user, client) -> None:  # type: ignore[no-untyped-def]
    filed = as_user("it_hz").post("/api/tickets", json={
        "title": "门诊3号窗口读卡器读不了医保卡",
        "description": "患者张三，身份证110101199003074514，电话13812345678，读卡一直失败",
        "reporter_name": "李护士",
    }).json()
    code = filed["id"]
    assert as_user("it_fs").get(f"/api/cases/{code}").status_code == 404  # not resolved yet
    take(as_user("engineer"), code)
    as_user("engineer").post(f"/api/tickets/{code}/resolve",
                             json={"root_cause": "读卡器驱动被系统更新覆盖", "fix_steps": ["重装读卡器驱动", "重启挂号程序"]})
    other = as_user("it_fs").get(f"/api/cases/{code}")
    assert other.status_code == 200, other.text
    case = other.json()
    assert case["url"] == f"/cases/{code}" and case["ticket_url"] is None
    assert "重装读卡器驱动" in case["body"] and "读卡器驱动被系统更新覆盖" in case["body"]
    for private in ("李护士", "张三", "110101199003074514", "13812345678", "h-hzsy"):
        assert private not in case["body"] and private not in case["title"]
    assert as_user("it_fs").get(f"/api/tickets/{code}").status_code == 404  # the ticket itself stays private
    assert as_user("nurse_hz").get(f"/api/cases/{code}").json()["ticket_url"] == f"/tickets/{code}"
    assert as_user("engineer").get(f"/api/cases/{code}").json()["ticket_url"] == f"/tickets/{code}"
    page = as_user("it_fs").get(f"/cases/{code}")
    assert page.status_code == 200 and "已解决案例" in page.text and "重启挂号程序" in page.text
    assert f'href="/tickets/{code}"' not in page.text
    assert as_user("it_fs").get("/cases/T-0000-00000").status_code == 404
    missing = as_user("it_fs").get("/api/cases/T-0000-00000")
    assert missing.status_code == 404 and "T-0000-00000" in missing.json()["detail"]
