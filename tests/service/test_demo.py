"""`weibao demo` fills marked history that the reports show, and `--remove` deletes exactly it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from weibao.core import accounts
from weibao.core.db import Database, session_scope
from weibao.routing.models import Engineer, Ticket
from weibao.service import demo
from weibao.service.models import QueryLog
from weibao.service.reports import Period, service_report

NOW = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)


def test_demo_fills_reports_and_removal_leaves_the_rest_alone(database_url: str) -> None:
    database = Database(database_url)
    with session_scope(database.sessions) as session:
        accounts.create_hospital(session=session, hospital_id="h-d", name="演示医院")
        session.add(Engineer(id="eng-d", name="工程师丁", tier="L2", systems={}, tags=[], departments={},
                             regions=[], shifts=[], max_open=10))
        session.flush()
        session.add(Ticket(code="T-REAL-1", hospital_id="h-d", title="真实工单", priority="P3",
                           created_at=NOW, updated_at=NOW, response_due=NOW, resolution_due=NOW))
        session.add(QueryLog(source="search", query="真实查询", hospital_id="h-d", at=NOW))
        session.flush()
        added = demo.fill(session=session, now=NOW, months=2, per_day=2)
        assert added.tickets > 50 and added.queries > 50 and added.ratings > 0
        with pytest.raises(ValueError):
            demo.fill(session=session, now=NOW, months=1)
        report = service_report(session=session, hospital_id="h-d", period=Period.parse("2026-10"), now=NOW)
        assert report["totals"]["tickets"] > 0 and report["satisfaction"]["ratings"] > 0
        assert report["totals"]["breaches"] > 0 and report["deflection"]["searches"] > 0
        removed = demo.remove(session=session)
        assert (removed.tickets, removed.queries, removed.ratings) == (added.tickets, added.queries, added.ratings)
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert session.scalar(select(func.count()).select_from(QueryLog)) == 1
