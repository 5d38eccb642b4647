"""Requests carrying planted patient data; afterwards the captured logs must not hold it."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import httpx
import pytest
import uvicorn

from tests.web.security.conftest import HOSPITAL_A, Env, sign_in
from weibao.core.privacy import MOBILE_TOKEN, NAME_TOKEN
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


# Planted in a path, a query, a JSON body that fails validation, one that gets a 4xx and
# one whose handler fails (500), through a real uvicorn server so that the access log and
# the server's traceback are the ones written in production.
NAME_PATH = "/systems/患者张三丰"


@contextmanager
def served(app: object) -> Iterator[str]:
    """The app behind uvicorn on a free local port; uvicorn's loggers left unconfigured,
    so that their records reach caplog."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, lifespan="off", access_log=True)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_no_log_line_of_a_served_request_carries_planted_data(
    env: Env, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails_with_text(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"could not file: {TEXT}")

    monkeypatch.setattr(env.desk, "create", fails_with_text)
    caplog.set_level(logging.DEBUG)
    # An earlier test in the same run may have configured uvicorn's logging (which stops
    # its loggers propagating); this test reads what uvicorn logs, so undo that here.
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        monkeypatch.setattr(logging.getLogger(name), "propagate", True)
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
        # ... and may have raised their level (uvicorn's log_level): read everything.
        monkeypatch.setattr(logging.getLogger(name), "level", logging.getLogger(name).level)
        logging.getLogger(name).setLevel(logging.DEBUG)
    headers = {"Authorization": f"Bearer {env.tokens['admin']}"}
    with served(env.app) as base, httpx.Client(base_url=base, headers=headers) as client:
        statuses = {
            "name in a path": client.get(NAME_PATH).status_code,
            "phone in a path": client.get("/api/cases/13812345678").status_code,
            "id number in a path": client.get(f"/api/articles/{VALID_ID}").status_code,
            "query": client.get("/api/search", params={"q": TEXT}).status_code,
            "invalid body": client.post(
                "/api/users", json={"username": "u 1", "role": "nobody", "display_name": TEXT}
            ).status_code,
            "4xx body": client.post(
                "/api/tickets/WB-NOPE-1/comments", json={"body": TEXT}
            ).status_code,
            "500 body": client.post(
                "/api/tickets", json={"hospital_id": HOSPITAL_A, "title": TEXT}
            ).status_code,
        }
    assert statuses == {
        "name in a path": 404, "phone in a path": 404, "id number in a path": 404,
        "query": 200, "invalid body": 422, "4xx body": 404, "500 body": 500,
    }
    # The test's own HTTP client logs its request URLs: those lines are not the server's.
    # pytest >= 9 also attaches its handler to non-propagating loggers, and this test makes
    # uvicorn's propagate: the same record may then be captured once per logger on its way.
    unique = list({id(r): r for r in caplog.records}.values())
    records = [r for r in unique if not r.name.startswith(("httpx", "httpcore"))]
    access = [r.getMessage() for r in records if r.name == "uvicorn.access"]
    assert len(access) == len(statuses), access
    handler = logging.StreamHandler()
    handler.setFormatter(caplog.handler.formatter)
    captured = "".join(handler.format(r) + r.getMessage() for r in records)
    # The failure was logged, with its traceback — masked.
    assert "unhandled RuntimeError on POST /api/tickets" in captured
    assert "Exception in ASGI application" in captured and "could not file" in captured
    # Paths are logged decoded (percent-encoding would hide them from the masks), masked.
    assert any(f"GET /systems/患者{NAME_TOKEN} " in line for line in access), access
    assert any(f"GET /api/cases/{MOBILE_TOKEN} " in line for line in access), access
    for value in PLANTED:
        assert value not in captured, f"{value} leaked into the logs"
        assert quote(value) not in captured, f"{value} leaked percent-encoded"


def test_access_log_path_is_decoded_masked_and_cannot_forge_lines() -> None:
    path = quote("/api/cases/患者张三丰\n127.0.0.1 - \"GET /forged HTTP/1.1\" 200") + "?q=x"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 404), None,
    )
    DropQueryString().filter(record)
    line = record.getMessage()
    assert "\n" not in line and "张三丰" not in line
    assert line.startswith(f'127.0.0.1:5000 - "GET /api/cases/患者{NAME_TOKEN}\\u000a127.0.0.1')


def test_a_logged_traceback_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    try:
        raise ValueError(f"bad row {TEXT}")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    assert "bad row" in caplog.text and "Traceback" in caplog.text
    for value in PLANTED:
        assert value not in caplog.text, f"{value} leaked through a traceback"
