"""Tickets filed after reading an article: the ticket records the articles its reporter
read (through the API, and through the form the article page and the chat's hand-over
open), and published articles read before at least two tickets in 90 days rise in the
review queue — through the domain, the API and the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.web.security.conftest import HOSPITAL_A, Env, build_env
from weibao.core.db import session_scope, utcnow
from weibao.kb.authoring import ArticleInput, Authoring, QueueItem
from weibao.kb.models import Article
from weibao.routing.models import Ticket
from weibao.routing.planning import TicketDraft
from weibao.service.reading_tickets import reading_facts


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> Iterator[Env]:
    built = build_env(tmp_path, database_url)
    yield built
    built.database.engine.dispose()


def _article(authoring: Authoring, title: str, *, audience: str = "clinician", publish: bool = True) -> str:
    article = authoring.create(ArticleInput(
        title=title, body="## 处理\n重启打印服务。", systems=["terminal"], symptoms=["print_failure"],
        audience=audience, language="zh", fixes=[],
    ), author="writer")
    if publish:
        authoring.submit(article.id, actor="writer")
        authoring.review(article.id, decision="approve", comment="", reviewer="reviewer")
    return article.id


def _filed_after_reading(env: Env, *articles: str, days_ago: float = 0) -> str:
    ticket, _ = env.desk.create(TicketDraft(
        hospital_id=HOSPITAL_A, title=env.unique("打印机还是打不出来"), tried_articles=articles))
    if days_ago:
        with session_scope(env.database.sessions) as session:
            session.scalars(select(Ticket).where(Ticket.code == ticket.code)).one().created_at = (
                utcnow() - timedelta(days=days_ago))
    return ticket.code


def _tried(env: Env, code: str) -> list[str]:
    with session_scope(env.database.sessions) as session:
        return list(session.scalars(select(Ticket.tried_articles).where(Ticket.code == code)).one())


def _queue(env: Env, authoring: Authoring) -> list[QueueItem]:
    with session_scope(env.database.sessions) as session:
        reading = reading_facts(session)
    return authoring.review_queue(reading=reading)


def test_more_tickets_after_reading_rank_higher_in_the_review_queue(env: Env) -> None:
    authoring = Authoring(env.app.state.kb, env.database.sessions)
    three = _article(authoring, "打印机无法打印（三张工单）")
    two = _article(authoring, "打印机卡纸")
    one = _article(authoring, "打印机缺纸")
    unhelpful = _article(authoring, "打印机脱机")
    waiting = _article(authoring, "新写的打印机文章", publish=False)
    authoring.submit(waiting, actor="writer")
    for _ in range(3):
        _filed_after_reading(env, three, two if _ == 0 else three)
    _filed_after_reading(env, two, two)            # named twice: one ticket
    _filed_after_reading(env, one)                 # one ticket is not yet a signal
    _filed_after_reading(env, one, days_ago=91)    # outside the 90 days
    _filed_after_reading(env, one, days_ago=120)
    for reader in ("clinician", "hospital_it"):
        authoring.add_feedback(unhelpful, helpful=False, comment="", user_id=env.user_ids[reader],
                               hospital_id=HOSPITAL_A)

    items = _queue(env, authoring)
    ids = [i.article.id for i in items]
    by_id = {i.article.id: i for i in items}
    assert one not in ids
    assert ids.index(three) < ids.index(two) < ids.index(waiting)
    assert ids.index(three) < ids.index(unhelpful) < ids.index(waiting)
    assert by_id[three].reason == "tickets_after_reading" and by_id[three].tickets_after_reading == 3
    assert by_id[two].reasons == ["tickets_after_reading"] and by_id[two].tickets_after_reading == 2
    assert by_id[unhelpful].reasons == ["low_helpfulness"] and by_id[waiting].reason == "in_review"

    # A review answers the tickets before it: the article leaves the queue.
    with session_scope(env.database.sessions) as session:
        session.get_one(Article, two).reviewed_at = utcnow()
    assert two not in [i.article.id for i in _queue(env, authoring)]

    listed = env.client("manager").get("/api/review-queue").json()
    row = next(r for r in listed if r["id"] == three)
    assert row["reason"] == "tickets_after_reading" and row["tickets_after_reading"] == 3
    assert [r["id"] for r in listed].index(three) == 0
    page = env.client("manager").get("/review")
    assert page.status_code == 200 and "读后仍报修" in page.text
    assert "近 90 天有 3 个工单是读过本文后提交的" in page.text
    english = env.client("manager").get("/review", params={"lang": "en"}).text
    assert "tickets after reading" in english and "3 tickets filed after reading it in the last 90 days" in english
    review = env.client("manager").get(f"/review/{three}")
    assert "读后仍报修" in review.text and "近 90 天有 3 个工单是读过本文后提交的" in review.text
    assert "3 tickets filed after reading it" in env.client("manager").get(
        f"/review/{three}", params={"lang": "en"}).text


def test_the_api_records_readable_tried_articles_and_names_the_field_otherwise(env: Env) -> None:
    authoring = Authoring(env.app.state.kb, env.database.sessions)
    public = _article(authoring, "打印机无法打印")
    internal = _article(authoring, "打印服务内部排查", audience="engineer")
    draft = _article(authoring, "草稿", publish=False)
    clinician = env.client("clinician")
    made = clinician.post("/api/tickets", json={"title": "打印机打不出来", "tried_articles": [public, public]})
    assert made.status_code == 201, made.text
    assert _tried(env, made.json()["id"]) == [public]
    for bad in (["no-such-article"], [internal], [draft], [public] * 11, [""]):
        answer = clinician.post("/api/tickets", json={"title": "打印机打不出来", "tried_articles": bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert any("tried_articles" in d["loc"] for d in answer.json()["detail"]), answer.text
    # The vendor's engineers read internal articles and drafts.
    by_engineer = env.client("engineer").post("/api/tickets", json={
        "title": "打印机打不出来", "hospital_id": HOSPITAL_A, "tried_articles": [internal, draft]})
    assert by_engineer.status_code == 201, by_engineer.text
    assert _tried(env, by_engineer.json()["id"]) == [internal, draft]


def test_the_form_carries_the_articles_read_into_the_ticket(env: Env) -> None:
    authoring = Authoring(env.app.state.kb, env.database.sessions)
    public = _article(authoring, "打印机无法打印")
    internal = _article(authoring, "打印服务内部排查", audience="engineer")
    clinician = env.client("clinician")
    form = clinician.get("/tickets/new", params={"tried": f"{public},{internal},no-such,{public}"})
    assert form.status_code == 200
    hidden = re.search(r'<input type="hidden" name="tried" value="([^"]*)">', form.text)
    assert hidden is not None and hidden.group(1) == public  # unreadable and unknown ids dropped
    answer = clinician.post("/tickets/new", data={"title": "打印机还是打不出来", "tried": hidden.group(1)})
    assert answer.status_code == 303, answer.text
    code = answer.headers["location"].rsplit("/", 1)[-1]
    assert _tried(env, code) == [public]
    # A hand-written form gets no further than the page: ids the caller may not read are dropped.
    forged = clinician.post("/tickets/new", data={"title": "打印机又打不出来", "tried": f"{internal},{public}"})
    assert _tried(env, forged.headers["location"].rsplit("/", 1)[-1]) == [public]
    # Without the field nothing is recorded.
    plain = clinician.post("/tickets/new", data={"title": "打印机第三次打不出来"})
    assert _tried(env, plain.headers["location"].rsplit("/", 1)[-1]) == []


def test_the_article_page_links_signed_in_readers_to_the_form(env: Env) -> None:
    page = env.client("clinician").get("/articles/a-1").text
    assert 'href="/tickets/new?tried=a-1"' in page and "仍未解决？报修" in page
    assert "Still not solved? Report a problem" in env.client("clinician").get(
        "/articles/a-1", params={"lang": "en"}).text
    assert "/tickets/new?tried=" not in env.client().get("/articles/a-1").text
