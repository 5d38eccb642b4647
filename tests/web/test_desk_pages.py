"""The desk in the browser without a browser: ticket lists per role, the workbench's forms
and their friendly refusals, home pages, and GET /api/me's engineer_id.

Runs over the small stand-in knowledge base of tests/web/security (no model), SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.security.conftest import ENGINEER, HOSPITAL_A, HOSPITAL_B, Env, build_env
from weibao.core import migrate
from weibao.core.db import Database, session_scope
from weibao.routing.models import Engineer
from weibao.routing.planning import TicketDraft

ACTIONS = ("/comments", "/resolve", "/reassign", "/escalate")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    migrate.upgrade(Database(url).engine)
    built = build_env(tmp_path, url)
    yield built
    built.database.engine.dispose()


def file_ticket(env: Env, who: str, title: str, hospital: str = HOSPITAL_A, priority: str | None = None) -> str:
    with session_scope(env.database.sessions) as session:
        from weibao.core.accounts import get_user_by_username

        user = get_user_by_username(session=session, username=who)
        user_id = user.id if user else None
    ticket, _ = env.desk.create(TicketDraft(
        hospital_id=hospital, title=title, reporter_user_id=user_id, reporter_name=who,
        reporter_role="clinician", priority=priority, priority_reason="测试" if priority else "",
    ), who)
    return ticket.code


def codes(html: str) -> set[str]:
    return set(re.findall(r'href="/tickets/(T-\d{4}-\d{5})"', html))


def form_targets(html: str) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]+)"', html)


def test_me_names_the_linked_engineer_profile(env: Env) -> None:
    assert env.client("engineer").get("/api/me").json()["engineer_id"] == ENGINEER
    assert env.client("clinician").get("/api/me").json()["engineer_id"] is None


def test_ticket_list_shows_each_role_its_own_tickets(env: Env) -> None:
    mine = file_ticket(env, "clinician", "护士站打印机卡纸")
    colleague = file_ticket(env, "hospital_it", "门诊挂号很慢")
    other_hospital = file_ticket(env, "clinician_b", "乙院检验系统报错", hospital=HOSPITAL_B)
    closed = file_ticket(env, "clinician", "已经好了")
    env.desk.resolve(closed, "engineer", "碳带用完", ["更换碳带"])

    assert codes(env.client("clinician").get("/tickets").text) == {mine}
    assert codes(env.client("hospital_it").get("/tickets").text) == {mine, colleague}
    assert codes(env.client("clinician_b").get("/tickets").text) == {other_hospital}
    # Every ticket lands on the one on-duty engineer of this environment.
    assert codes(env.client("engineer").get("/tickets").text) == {mine, colleague, other_hospital}
    assert codes(env.client("manager").get("/tickets").text) == {mine, colleague, other_hospital}
    everything = env.client("manager").get("/tickets", params={"status": "all"}).text
    assert codes(everything) == {mine, colleague, other_hospital, closed}
    by_hospital = env.client("admin").get("/tickets", params={"hospital": HOSPITAL_B}).text
    assert codes(by_hospital) == {other_hospital}
    # A hospital's member cannot widen the list to another hospital through the filter.
    assert codes(env.client("clinician").get("/tickets", params={"hospital": HOSPITAL_B}).text) == {mine}
    page = env.client("manager").get("/tickets").text
    assert "甲医院" in page and "乙医院" in page  # names, not ids
    assert HOSPITAL_A not in re.sub(r'value="[^"]*"|href="[^"]*"', "", page)


def test_ticket_list_filters_and_pages(env: Env) -> None:
    urgent = file_ticket(env, "clinician", "急诊系统宕机", priority="P1")
    for n in range(26):
        file_ticket(env, "clinician", f"打印问题 {n}", priority="P3")
    client = env.client("manager")
    assert codes(client.get("/tickets", params={"priority": "P1"}).text) == {urgent}
    first = client.get("/tickets").text
    assert urgent in codes(first)  # the most urgent first
    assert len(codes(first)) == 25 and "第 1 / 2 页，共 27 条" in first
    second = client.get("/tickets", params={"page": "2"}).text
    assert len(codes(second)) == 2 and not codes(second) & codes(first)
    assert 'rel="prev"' in second
    # Nonsense in the query narrows nothing and breaks nothing.
    assert client.get("/tickets", params={"status": "bogus", "priority": "P9", "page": "x"}).status_code == 200
    assert codes(client.get("/tickets", params={"breached": "1"}).text) == set()


def test_workbench_shows_only_the_callers_actions(env: Env) -> None:
    code = file_ticket(env, "clinician", "护士站打印机卡纸")
    engineer = form_targets(env.client("engineer").get(f"/tickets/{code}").text)
    for action in ACTIONS:
        assert any(t.endswith(action) for t in engineer), (action, engineer)
    assert any(t.endswith("/pause") for t in engineer)
    manager = form_targets(env.client("manager").get(f"/tickets/{code}").text)
    assert any(t.endswith("/reassign") for t in manager) and any(t.endswith("/escalate") for t in manager)
    assert not any(t.endswith(("/resolve", "/pause", "/status")) for t in manager)
    # The reporter replies through the follow-up section; a colleague comments.
    clinician = form_targets(env.client("clinician").get(f"/tickets/{code}").text)
    assert not any(t.endswith(("/resolve", "/reassign", "/escalate", "/pause", "/status")) for t in clinician)
    assert f"/tickets/{code}/reply" in clinician and f"/tickets/{code}/comments" not in clinician
    colleague = form_targets(env.client("hospital_it").get(f"/tickets/{code}").text)
    assert f"/tickets/{code}/comments" in colleague
    assert not any(t.endswith(("/resolve", "/reassign", "/escalate")) for t in colleague)


def test_comment_reply_and_internal_note(env: Env) -> None:
    code = file_ticket(env, "clinician", "护士站打印机卡纸")
    engineer = env.client("engineer")
    answer = engineer.post(f"/tickets/{code}/comments", data={"body": "请重启打印服务后再试", "visibility": "reply"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/tickets/{code}?done=comment"
    engineer.post(f"/tickets/{code}/comments", data={"body": "怀疑驱动版本问题", "visibility": "internal"})
    assert env.desk.get(code).first_response_at is not None
    seen_by_engineer = engineer.get(f"/tickets/{code}?done=comment").text
    assert "留言已发送。" in seen_by_engineer and "怀疑驱动版本问题" in seen_by_engineer
    seen_by_reporter = env.client("clinician").get(f"/tickets/{code}").text
    assert "请重启打印服务后再试" in seen_by_reporter and "怀疑驱动版本问题" not in seen_by_reporter
    assert "添加了内部备注" not in seen_by_reporter
    # The API hides internal notes from the hospital too.
    api = env.client("clinician").get(f"/api/tickets/{code}").json()
    assert [c["body"] for c in api["comments"]] == ["请重启打印服务后再试"]


def test_resolve_from_the_page_then_refusals_are_friendly(env: Env) -> None:
    code = file_ticket(env, "clinician", "护士站打印机卡纸")
    engineer = env.client("engineer")
    empty = engineer.post(f"/tickets/{code}/resolve", data={"root_cause": "", "fix_steps": ""})
    assert empty.status_code == 422 and "text/html" in empty.headers["content-type"]
    assert "请填写「根本原因」" in empty.text and f"/tickets/{code}/resolve" in empty.text
    done = engineer.post(f"/tickets/{code}/resolve",
                         data={"root_cause": "碳带用完", "fix_steps": "更换碳带\n打印测试页"})
    assert done.status_code == 303
    page = engineer.get(f"/tickets/{code}").text
    assert "碳带用完" in page and "<li>打印测试页</li>" in page and "解决了工单" in page
    again = engineer.post(f"/tickets/{code}/resolve", data={"root_cause": "x", "fix_steps": "y"})
    assert again.status_code == 409
    assert "工单当前为「已解决」" in again.text and "cannot" not in again.text
    closing_twice = engineer.post(f"/tickets/{code}/status", data={"status": "pending_customer"})
    assert closing_twice.status_code == 409 and "可改为：已关闭、处理中" in closing_twice.text


def test_only_the_assignee_resolves_and_a_reason_is_required(env: Env) -> None:
    from tests.web.security.conftest import add_password_user

    code = file_ticket(env, "clinician", "护士站打印机卡纸")
    user_id = add_password_user(env, "eng2", "engineer")
    with session_scope(env.database.sessions) as session:
        session.add(Engineer(id="eng-two", name="第二工程师", tier="L2", systems={"terminal": 3},
                             user_id=user_id, max_open=5))
    from datetime import timedelta

    from weibao.core import accounts
    with session_scope(env.database.sessions) as session:
        user = accounts.get_user(session=session, user_id=user_id)
        _, secret = accounts.create_token(session=session, user=user, expires_in=timedelta(days=1))  # type: ignore[arg-type]
    other = env.client()
    other.headers["Authorization"] = f"Bearer {secret}"
    page = other.get(f"/tickets/{code}").text
    assert not any(t.endswith("/resolve") for t in form_targets(page))  # not theirs to resolve
    refused = other.post(f"/tickets/{code}/resolve", data={"root_cause": "x", "fix_steps": "y"})
    assert refused.status_code == 403 and "只有该工单的处理工程师才能解决它" in refused.text
    no_reason = other.post(f"/tickets/{code}/reassign", data={"engineer_id": "eng-two", "reason": " "})
    assert no_reason.status_code == 422 and "请填写「原因」" in no_reason.text
    moved = other.post(f"/tickets/{code}/reassign", data={"engineer_id": "eng-two", "reason": "我熟悉这台打印机"})
    assert moved.status_code == 303
    history = other.get(f"/tickets/{code}").text
    assert "由 值班工程师 转派给 第二工程师" in history and "我熟悉这台打印机" in history
    assert other.post(f"/tickets/{code}/resolve", data={"root_cause": "卡纸", "fix_steps": "取出纸屑"}).status_code == 303


def test_pause_and_resume_the_clock_with_a_reason(env: Env) -> None:
    code = file_ticket(env, "clinician", "护士站打印机卡纸")
    engineer = env.client("engineer")
    assert engineer.post(f"/tickets/{code}/pause", data={"reason": ""}).status_code == 422
    assert engineer.post(f"/tickets/{code}/pause", data={"reason": "等待信息科提供日志"}).status_code == 303
    page = engineer.get(f"/tickets/{code}").text
    assert "已暂停计时" in page and "等待信息科提供日志" in page
    assert any(t.endswith("/resume") for t in form_targets(page))
    assert engineer.post(f"/tickets/{code}/resume", data={"reason": "日志已收到"}).status_code == 303
    assert env.desk.get(code).status == "in_progress"


def test_home_page_per_role(env: Env) -> None:
    mine = file_ticket(env, "clinician", "护士站打印机卡纸")
    other = file_ticket(env, "clinician_b", "乙院检验系统报错", hospital=HOSPITAL_B)
    clinician = env.client("clinician").get("/home").text
    assert "我提交的未结工单" in clinician and codes(clinician) == {mine}
    engineer = env.client("engineer").get("/home").text
    assert "我的待办工单" in engineer and codes(engineer) == {mine, other}
    assert re.search(r'data-due="[^"]+"', engineer)  # countdowns
    manager = env.client("manager").get("/home").text
    assert "各医院未结工单" in manager and "甲医院" in manager and "乙医院" in manager
    nav = re.findall(r'<nav[^>]*>(.*?)</nav>', manager, re.S)[0]
    assert 'href="/tickets"' in nav and 'href="/admin/engineers"' not in nav


def test_correct_the_triage_from_the_page(env: Env) -> None:
    code = file_ticket(env, "clinician", "护士站打印机卡纸")
    engineer = env.client("engineer")
    page = engineer.get(f"/tickets/{code}").text
    assert f'action="/tickets/{code}/correct"' in page
    unchanged = engineer.post(f"/tickets/{code}/correct", data={"priority": env.desk.get(code).priority, "reason": "核对"})
    assert unchanged.status_code == 422 and "没有需要更正的内容" in unchanged.text
    no_reason = engineer.post(f"/tickets/{code}/correct", data={"symptom": "print_failure", "reason": ""})
    assert no_reason.status_code == 422 and "请填写「原因」" in no_reason.text
    done = engineer.post(f"/tickets/{code}/correct",
                         data={"system": "terminal", "symptom": "print_failure", "priority": "P2", "reason": "实为打印机故障"})
    assert done.status_code == 303
    ticket = env.desk.get(code)
    assert (ticket.system, ticket.symptom, ticket.priority) == ("terminal", "print_failure", "P2")
    history = engineer.get(f"/tickets/{code}").text
    assert "更正了分诊信息：" in history and "→ 终端" in history and "紧急程度 P3 → P2" in history and "实为打印机故障" in history
    # Managers steer but do not relabel; hospital staff do not see the form.
    assert f'action="/tickets/{code}/correct"' not in env.client("manager").get(f"/tickets/{code}").text
    assert env.client("hospital_it").post(f"/tickets/{code}/correct", data={"system": "his", "reason": "x"}).status_code == 403


def test_prefilled_form_keeps_system_and_problem_type(env: Env) -> None:
    client = env.client("clinician")
    form = client.get("/tickets/new", params={"title": "检验报告打印不出来", "system": "lis",
                                              "symptom": "print_failure", "description": "用户：打印不出来"}).text
    assert '<option value="lis" selected>' in form and '<option value="print_failure" selected>' in form
    created = client.post("/tickets/new", data={"title": "检验报告打印不出来", "system": "lis",
                                                "symptom": "print_failure"})
    assert created.status_code == 303
    ticket = env.desk.get(created.headers["location"].rsplit("/", 1)[-1])
    assert (ticket.system, ticket.symptom) == ("lis", "print_failure")
    unknown = client.post("/tickets/new", data={"title": "打印机坏了", "system": "nonsense"})
    assert unknown.status_code == 303  # an unknown id is ignored, triage decides


def test_anonymous_visitors_are_told_the_assistant_needs_sign_in(env: Env) -> None:
    page = env.client().get("/").text
    assert "登录后可使用智能助手" in page and 'href="/login?next=/"' in page
    assert 'id="chat-widget"' not in page


def test_the_ticket_page_says_why_this_priority_and_what_to_ask(env: Env) -> None:
    code = file_ticket(env, "clinician", "全院的系统都打不开了")
    engineer = env.client("engineer").get(f"/tickets/{code}").text
    assert "影响全院" in engineer  # the priority's reason, with the words that triggered it
    assert 'class="notice triage-clarify"' in engineer  # what to ask the reporter
    reporter = env.client("clinician").get(f"/tickets/{code}").text
    assert 'class="notice triage-clarify"' not in reporter
    env.desk.resolve(code, "engineer", "服务器断电", ["恢复供电"])
    done = env.client("engineer").get(f"/tickets/{code}").text
    assert 'triage-clarify' not in done and 'triage-confidence' not in done  # nothing left to ask


def test_another_engineers_queue_names_them(env: Env) -> None:
    code = file_ticket(env, "clinician", "护士站打印机卡纸")
    page = env.client("manager").get("/queue", params={"engineer": ENGINEER}).text
    assert "<h1>值班工程师的待办工单</h1>" in page and code in codes(page)
    own = env.client("engineer").get("/queue").text
    assert "<h1>我的待办工单</h1>" in own and code in codes(own)
    assert "desk_home_no_profile" not in own
