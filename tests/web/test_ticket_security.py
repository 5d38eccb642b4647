"""Who may do what to a ticket, who is credited, and what stays private (real seeded desk)."""

from __future__ import annotations

import pytest

from tests.web.conftest import ENGINEER_PROFILE, SEEDED_PEOPLE
from tests.web.test_tickets_api import take
from weibao.core.db import session_scope
from weibao.routing.models import Resolution, Ticket
from weibao.web.security.policy import allows

PHONE = "13912345678"
FIX = {"root_cause": f"读卡器驱动被覆盖，已电话 {PHONE} 联系患者张三", "fix_steps": [f"回拨 {PHONE}", "重装驱动"]}

# (action, method, path suffix, body) for the ticket actions of the permission table.
ACTIONS = {
    "tickets.transition": ("/transition", {"status": "in_progress", "reason": "开始处理"}),
    "tickets.resolve": ("/resolve", {"root_cause": "碳带用完", "fix_steps": ["更换碳带"]}),
    "tickets.reassign": ("/reassign", {"engineer_id": ENGINEER_PROFILE, "reason": "换人处理"}),
    "tickets.escalate": ("/escalate", {"reason": "需要专家"}),
}


def _new_ticket(as_user, title: str = "门诊打印机打不出来") -> str:  # type: ignore[no-untyped-def]
    response = as_user("it_hz").post("/api/tickets", json={"title": title})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.parametrize("who", list(SEEDED_PEOPLE))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_role_by_ticket_action_follows_the_permission_table(as_user, who: str, action: str) -> None:  # type: ignore[no-untyped-def]
    code = _new_ticket(as_user)
    if action == "tickets.resolve":
        take(as_user("engineer"), code)  # so that the engineer is the assignee
    suffix, body = ACTIONS[action]
    response = as_user(who).post(f"/api/tickets/{code}{suffix}", json=body)
    role = SEEDED_PEOPLE[who][0]
    if allows(action, role, public_search=True):
        assert response.status_code == 200, f"{who} {action}: {response.text}"
    else:
        assert response.status_code == 403, f"{who} {action}: {response.status_code}"
        assert action in response.json()["detail"]


def test_the_manager_steers_but_does_not_work_tickets(as_user) -> None:  # type: ignore[no-untyped-def]
    manager = as_user("manager")
    code = _new_ticket(as_user, "急诊挂号窗口卡死")
    no_reason = manager.post(f"/api/tickets/{code}/reassign", json={"engineer_id": ENGINEER_PROFILE})
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"][-1] == "reason"
    assert manager.post(f"/api/tickets/{code}/escalate", json={"reason": ""}).status_code == 422
    assert manager.post(f"/api/tickets/{code}/escalate", json={"reason": "夜间无人响应"}).status_code == 200
    assert manager.post(f"/api/tickets/{code}/transition", json={"status": "closed"}).status_code == 403
    assert manager.post(f"/api/tickets/{code}/resolve", json=FIX).status_code == 403
    assert manager.post(f"/api/tickets/{code}/promote").status_code == 403


def test_only_the_assignee_or_an_admin_resolves_and_the_resolver_is_credited(
    as_user, seeded_services
) -> None:  # type: ignore[no-untyped-def]
    code = _new_ticket(as_user, "检验科条码打印机打印模糊")
    engineer = as_user("engineer")
    with session_scope(seeded_services.database.sessions) as session:
        assignee = session.query(Ticket).filter_by(code=code).one().assignee_id
    # Make sure someone else holds it first. It may also have been left unassigned: tickets
    # filed by earlier tests of the session can fill every matching engineer's cap.
    if assignee != "eng-wangsiyuan":
        moved = as_user("manager").post(f"/api/tickets/{code}/reassign",
                                        json={"engineer_id": "eng-wangsiyuan", "reason": "换人"})
        assert moved.status_code == 200, moved.text
    refused = engineer.post(f"/api/tickets/{code}/resolve", json=FIX)
    assert refused.status_code == 403 and "assignee" in refused.json()["detail"]

    # An admin may resolve someone else's ticket; the assignee is not credited for it.
    done = as_user("admin_ops").post(f"/api/tickets/{code}/resolve", json=FIX)
    assert done.status_code == 200, done.text
    resolution = done.json()["resolution"]
    assert resolution["resolved_by"] is None and resolution["resolved_by_actor"] == "admin_ops"

    mine = _new_ticket(as_user, "护士站腕带打印机缺纸报错")
    take(engineer, mine)
    ok = engineer.post(f"/api/tickets/{mine}/resolve", json=FIX)
    assert ok.status_code == 200
    assert ok.json()["resolution"]["resolved_by"] == ENGINEER_PROFILE
    with session_scope(seeded_services.database.sessions) as session:
        row = session.query(Resolution).join(Ticket, Ticket.id == Resolution.ticket_id).filter(
            Ticket.code == mine).one()
        assert row.resolved_by == ENGINEER_PROFILE and row.resolved_by_user_id is not None


def test_resolution_text_is_masked_everywhere_it_travels(as_user, client) -> None:  # type: ignore[no-untyped-def]
    code = _new_ticket(as_user, "医保结算窗口读卡失败")
    engineer = as_user("engineer")
    take(engineer, code)
    engineer.post(f"/api/tickets/{code}/comments", json={"body": f"已联系患者张三 {PHONE}"})
    engineer.post(f"/api/tickets/{code}/escalate", json={"reason": f"家属电话 {PHONE} 要求专家"})
    take(engineer, code)
    resolved = engineer.post(f"/api/tickets/{code}/resolve", json=FIX)
    assert resolved.status_code == 200
    for body in (resolved.text, engineer.get(f"/api/tickets/{code}").text,
                 client.get(f"/api/cases/{code}").text, client.get(f"/cases/{code}").text,
                 as_user("it_fs").get(f"/api/cases/{code}").text):
        assert PHONE not in body and "张三" not in body
    found = client.get("/api/search", params={"q": PHONE, "kind": "ticket"}).json()["results"]
    assert all(hit["id"] != code for hit in found)
    assert "[手机号]" in client.get(f"/api/cases/{code}").json()["body"]


def test_drafts_are_for_the_vendor_only(as_user, client) -> None:  # type: ignore[no-untyped-def]
    code = _new_ticket(as_user, "药房发药机打印标签乱码")
    engineer = as_user("engineer")
    take(engineer, code)
    engineer.post(f"/api/tickets/{code}/resolve", json={"root_cause": "字体缺失", "fix_steps": ["安装宋体"]})
    draft = engineer.post(f"/api/tickets/{code}/promote")
    assert draft.status_code == 201
    article_id = draft.json()["id"]
    for reader in (client, as_user("nurse_hz"), as_user("it_hz")):
        assert reader.get(f"/api/articles/{article_id}").status_code == 404
        assert reader.get(f"/articles/{article_id}").status_code in (404, 303)
    for vendor in ("engineer", "manager", "admin_ops"):
        assert as_user(vendor).get(f"/api/articles/{article_id}").status_code == 200
    results = client.get("/api/search", params={"q": "药房发药机打印标签乱码 字体缺失"}).json()["results"]
    assert all(hit["id"] != article_id for hit in results)
    related = client.get("/api/graph/related", params={"system": "pharmacy"}).text
    assert article_id not in related
