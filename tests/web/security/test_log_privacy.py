"""Requests carrying planted patient data; afterwards the captured logs must not hold it."""

from __future__ import annotations

import logging

import pytest

from tests.web.security.conftest import Env, sign_in
from weibao.web.security.logsafety import DropQueryString

VALID_ID = "11010519491231002X"
PLANTED = ["张三丰", "13812345678", VALID_ID, "ZY20240001", "0571-87654321"]
TEXT = f"患者张三丰 身份证{VALID_ID} 手机13812345678 住院号ZY20240001 电话0571-87654321"


def test_planted_patient_data_never_reaches_the_logs(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    anonymous = env.client()
    anonymous.get("/api/search", params={"q": TEXT})
    anonymous.get("/", params={"q": TEXT})
    anonymous.get(f"/api/articles/{VALID_ID}")
    sign_in(anonymous, "13812345678", TEXT)
    admin = env.client("admin")
    admin.post("/api/users", json={"username": "u1", "role": "engineer", "display_name": TEXT})
    admin.get("/api/audit", params={"actor": TEXT[:60]})
    # The safety net: even code that wrongly logs ticket text gets it masked.
    logging.getLogger("weibao.web").warning("ticket text: %s", TEXT)
    logging.getLogger("weibao.web").error(TEXT)
    captured = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "ticket text: " in captured
    for value in PLANTED:
        assert value not in captured, f"{value} leaked into the logs"


def test_access_log_drops_query_strings_of_chat_and_search() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/chat?message=%E6%82%A3%E8%80%85", "1.1", 200), None,
    )
    DropQueryString().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /api/chat HTTP/1.1" 200'


def test_audit_log_keeps_no_planted_values(env: Env) -> None:
    sign_in(env.client(), f"x{VALID_ID}", TEXT)
    events = env.client("manager").get("/api/audit").json()
    assert events and all(VALID_ID not in str(e) for e in events)
