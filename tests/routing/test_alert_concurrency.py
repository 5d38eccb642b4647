"""The same new alert posted in parallel (an Alertmanager HA pair, say) opens one ticket."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.web.browser import serve
from tests.web.security.conftest import HOSPITAL_A, build_env
from weibao.core.db import session_scope
from weibao.routing.models import Ticket

pytestmark = pytest.mark.pg_crowd

PARALLEL = 24  # more than the connection pool holds: waiters must not drain it


def test_parallel_notifications_of_one_alert_open_one_ticket(database_url: str, tmp_path: Path) -> None:
    env = build_env(tmp_path, database_url)
    token = env.tokens["admin"]
    alert = {"status": "firing", "labels": {"alertname": "HisDown", "instance": "his-app-01"},
             "fingerprint": "ha-pair-duplicate"}
    with serve(env.app) as base, httpx.Client(base_url=base, timeout=60) as http:
        def post(_: int) -> str:
            response = http.post("/api/alerts", params={"hospital_id": HOSPITAL_A}, json={"alerts": [alert]},
                                 headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.text
            return response.json()["results"][0]["action"]

        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            actions = sorted(pool.map(post, range(PARALLEL)))
    assert actions == ["created"] + ["repeated"] * (PARALLEL - 1)
    with session_scope(env.database.sessions) as session:
        count = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.alert_key == "fp:ha-pair-duplicate"))
    assert count == 1
