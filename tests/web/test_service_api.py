"""Service reports, dashboard, contracts and knowledge gaps over HTTP, on the seeded desk."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from weibao.core.db import session_scope
from weibao.routing.models import Ticket
from weibao.service.models import QueryLog

PERIOD = "2026-03"  # a month of the seeded history


def _seeded_count(seeded_services, hospital: str) -> int:  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import func, select

    cst = timezone(timedelta(hours=8))
    with session_scope(seeded_services.database.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.hospital_id == hospital, Ticket.created_at >= datetime(2026, 3, 1, tzinfo=cst),
            Ticket.created_at < datetime(2026, 4, 1, tzinfo=cst))) or 0)


def test_manager_reads_a_month_with_totals_and_compliance(as_user, seeded_services) -> None:  # type: ignore[no-untyped-def]
    response = as_user("manager").get("/api/reports/service", params={"hospital_id": "h-hzsy", "period": PERIOD})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["totals"]["tickets"] == _seeded_count(seeded_services, "h-hzsy") > 0
    assert report["totals"]["resolved"] >= 1
    for kind in ("response", "resolution"):
        assert set(report["compliance"][kind]) == {"P1", "P2", "P3", "P4"}
    assert report["previous"]["period"] == "2026-02"


def test_hospital_it_reads_its_own_hospital_only(as_user) -> None:  # type: ignore[no-untyped-def]
    own = as_user("it_hz").get("/api/reports/service", params={"period": PERIOD})
    assert own.status_code == 200 and own.json()["hospital"]["id"] == "h-hzsy"
    other = as_user("it_hz").get("/api/reports/service", params={"hospital_id": "h-fsnh", "period": PERIOD})
    assert other.status_code == 403 and "own hospital" in other.json()["detail"]


def test_clinicians_and_anonymous_callers_are_refused_with_a_message(as_user, client) -> None:  # type: ignore[no-untyped-def]
    nurse = as_user("nurse_hz").get("/api/reports/service", params={"period": PERIOD})
    assert nurse.status_code == 403 and "reports.read" in nurse.json()["detail"]
    anonymous = client.get("/api/reports/service", params={"hospital_id": "h-hzsy", "period": PERIOD})
    assert anonymous.status_code == 401 and anonymous.json()["detail"]


@pytest.mark.parametrize("params,field", [
    ({"hospital_id": "h-hzsy", "period": "2026-13"}, "period"),
    ({"period": PERIOD}, "hospital_id"),
    ({"hospital_id": "h-nowhere", "period": PERIOD}, "hospital"),
])
def test_bad_input_names_the_field(as_user, params, field) -> None:  # type: ignore[no-untyped-def]
    response = as_user("manager").get("/api/reports/service", params=params)
    assert response.status_code in (404, 422)
    assert field in json.dumps(response.json())


def test_xlsx_and_pdf_exports_with_their_content_types(as_user) -> None:  # type: ignore[no-untyped-def]
    manager = as_user("manager")
    params = {"hospital_id": "h-hzsy", "period": PERIOD}
    xlsx = manager.get("/api/reports/service", params={**params, "format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(xlsx.content))
    assert "月度服务报告" in str(book["report"]["A1"].value)
    pdf = manager.get("/api/reports/service", params={**params, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    # Extractors separate glyphs with spaces or NULs; the characters themselves must be there.
    text = "".join(ch for ch in reader.pages[0].extract_text() if not ch.isspace() and ch != "\x00")
    assert "月度服务报告" in text and "杭州市第三人民医院" in text
    # The CJK font travels inside the file: a machine without it still renders the text.
    fonts = [f for page in reader.pages for f in (page["/Resources"]["/Font"].values())]
    descendant = fonts[0].get_object()["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"] or "/FontFile3" in descendant["/FontDescriptor"]


def test_dashboard_lists_open_tickets_and_engineer_load(as_user) -> None:  # type: ignore[no-untyped-def]
    data = as_user("manager").get("/api/dashboard").json()
    assert set(data["by_priority"]) == {"P1", "P2", "P3", "P4"}
    assert all(e["max_open"] > 0 for e in data["engineers"])
    scoped = as_user("it_hz").get("/api/dashboard").json()
    assert scoped["filters"]["hospital_id"] == "h-hzsy"
    assert as_user("it_hz").get("/api/dashboard", params={"hospital_id": "h-fsnh"}).status_code == 403
    assert as_user("manager").get("/api/dashboard", params={"tier": "gold"}).status_code == 422


def test_contract_versions_are_listed_and_created_by_admins_only(as_user) -> None:  # type: ignore[no-untyped-def]
    body = {"hospital_id": "h-fsnh", "tier": "premium", "valid_from": "2031-01-01",
            "targets": {"P1": {"response_minutes": 30, "resolution_minutes": 120}},
            "monthly_fee": 50000, "credit_percent_per_breach": 2, "credit_cap_percent": 10,
            "trainings_per_year": {"clinician": 4}, "contact_name": "王主任"}
    assert as_user("manager").post("/api/contracts", json=body).status_code == 403
    created = as_user("admin_ops").post("/api/contracts", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["targets"]["P1"] == {"response_minutes": 30, "resolution_minutes": 120}
    again = as_user("admin_ops").post("/api/contracts", json=body)
    assert again.status_code == 409 and "valid_from" in again.json()["detail"]
    bad = as_user("admin_ops").post("/api/contracts", json={**body, "valid_from": "2032-01-01", "tier": "gold"})
    assert bad.status_code == 422 and "tier" in json.dumps(bad.json())
    listed = as_user("it_fs").get("/api/contracts").json()
    assert listed and all(v["hospital_id"] == "h-fsnh" for v in listed)
    assert as_user("it_fs").get("/api/contracts", params={"hospital_id": "h-hzsy"}).status_code == 403


def test_searches_are_logged_masked_and_unanswered_ones_become_gaps(as_user, seeded_services) -> None:  # type: ignore[no-untyped-def]
    it = as_user("it_hz")
    query = "检验科 XQ-9000 分析仪报错 E-4471 患者张三 13912345678"
    assert it.get("/api/search", params={"q": query}).status_code == 200
    with session_scope(seeded_services.database.sessions) as session:
        from sqlalchemy import select

        logged = session.scalars(select(QueryLog).where(QueryLog.query.like("%E-4471%"))).all()
        assert logged and "13912345678" not in logged[-1].query and logged[-1].hospital_id == "h-hzsy"
    from datetime import datetime
    from zoneinfo import ZoneInfo

    # The report's days are the hospital's (settings.timezone, Asia/Shanghai): after 16:00
    # UTC its today is tomorrow in UTC.
    today = datetime.now(ZoneInfo(seeded_services.settings.timezone)).date().isoformat()
    gaps = it.get("/api/reports/knowledge-gaps", params={"from": today, "to": today})
    assert gaps.status_code == 200, gaps.text
    examples = [q for g in gaps.json()["groups"] for q in g["examples"]]
    assert any("E-4471" in q for q in examples), gaps.json()
    assert gaps.json()["threshold"]["min_confidence"] > 0
    bad = it.get("/api/reports/knowledge-gaps", params={"from": today, "to": "2020-01-01"})
    assert bad.status_code == 422 and "to" in json.dumps(bad.json())
    assert as_user("nurse_hz").get("/api/reports/knowledge-gaps", params={"from": today, "to": today}).status_code == 403


@pytest.mark.parametrize("path", ["/dashboard", "/reports?hospital_id=h-hzsy&period=2026-03", "/contracts",
                                  "/knowledge-gaps"])
def test_pages_render_for_a_manager_in_chinese(as_user, path) -> None:  # type: ignore[no-untyped-def]
    page = as_user("manager").get(path)
    assert page.status_code == 200, page.text[:500]
    assert 'lang="zh-CN"' in page.text


def test_hospital_it_asking_for_another_hospital_gets_a_friendly_page(as_user) -> None:  # type: ignore[no-untyped-def]
    page = as_user("it_hz").get("/reports", params={"hospital_id": "h-fsnh"})
    assert page.status_code == 403 and "只能查看本院的数据" in page.text
