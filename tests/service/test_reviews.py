"""Quarterly reviews: one per hospital and quarter, open action items carried forward."""

from __future__ import annotations

import datetime as dt

import pytest

from weibao.core import accounts
from weibao.core.db import Database, session_scope
from weibao.routing.errors import Conflict, Invalid
from weibao.service import reviews
from weibao.service.exports import to_xlsx


def test_open_items_carry_into_the_next_review(database_url: str) -> None:
    database = Database(database_url)
    with session_scope(database.sessions) as session:
        accounts.create_hospital(session=session, hospital_id="h-r", name="回顾医院")
        session.flush()
        q3 = reviews.create(session=session, hospital_id="h-r", quarter="2026-Q3", held_on=None, notes="", actor="m")
        done = reviews.add_item(session=session, review=q3, title="更换存储", owner="工程部", due=dt.date(2026, 10, 1))
        kept = reviews.add_item(session=session, review=q3, title="培训护士站", owner="信息科", due=None)
        reviews.set_status(session=session, item_id=done.id, status="done")
        q4 = reviews.create(session=session, hospital_id="h-r", quarter="2026-Q4", held_on=None, notes="", actor="m")
        reviews.add_item(session=session, review=q4, title="巡检补做", owner="张工", due=None)
        payload = reviews.review_payload(session=session, review=q4)
        items = payload["action_items"]
        assert [(i["title"], i["carried"]) for i in items] == [("巡检补做", False), ("培训护士站", True)]
        assert items[1]["from_quarter"] == "2026-Q3" and kept.status == "open"
        assert payload["report"]["period"] == "2026-Q4" and payload["report"]["from"] == "2026-10-01"
        assert payload["report"]["to"] == "2026-12-31"
        assert to_xlsx(payload["report"])[:2] == b"PK"  # exportable like the report
        with pytest.raises(Conflict):
            reviews.create(session=session, hospital_id="h-r", quarter="2026-Q4", held_on=None, notes="", actor="m")
        with pytest.raises(Invalid) as refused:
            reviews.create(session=session, hospital_id="h-r", quarter="2026-11", held_on=None, notes="", actor="m")
        assert refused.value.field == "quarter"
        with pytest.raises(Invalid):
            reviews.set_status(session=session, item_id=kept.id, status="finished")
