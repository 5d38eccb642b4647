"""Regression (issue 12): a CLI ingest in another process while a server is serving must not
make the server's graph forget resolved tickets and engineers.

Before the graph service, the server's reload rebuilt the graph from the articles only:
`/api/graph/related` ticket counts fell to 0 and the engineers' history with them, so a
new ticket could go to a different engineer until a restart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from weibao.core import accounts
from weibao.core.db import session_scope
from weibao.routing.planning import TicketDraft

pytestmark = [pytest.mark.slow, pytest.mark.pg_crowd]

SYSTEM, SYMPTOM = "pacs", "image_load"
HOSPITAL = "h-hzsy"
PROBLEM = "放射科电脑上看不了片子，影像一直加载不出来"
NEW_FIX = "fix-pacs-regression-clear-viewer-cache"
ARTICLE = f"""---
id: pacs-901
title: 影像浏览器缓存满了以后调阅片子很慢
systems: [{SYSTEM}]
symptoms: [{SYMPTOM}]
departments: [radiology]
audience: it_staff
language: zh
updated: 2026-11-30
fixes:
  - id: {NEW_FIX}
    title: 清空影像浏览器本地缓存后重新调阅
---

## 现象

调阅影像时一直转圈，片子加载不出来，同一台电脑上别的病人也一样。

## 原因

影像浏览器的本地缓存目录满了，新影像无法写入缓存。

## 处理步骤

1. 关闭影像浏览器。
2. 清空本地缓存目录后重新打开并调阅。
"""


def ticket_counts(client: TestClient) -> dict[str, int]:
    response = client.get(
        "/api/graph/related", params={"system": SYSTEM, "symptom": SYMPTOM, "limit": 100}
    )
    assert response.status_code == 200, response.text
    return {fix["fix_id"]: fix["ticket_count"] for fix in response.json()}


def test_cli_ingest_in_another_process_keeps_ticket_facts_and_assignment(
    seeded_dir: Path, embedder, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    from weibao.bootstrap import open_services
    from weibao.web.app import create_app

    data_dir = tmp_path / "data"
    shutil.copytree(seeded_dir, data_dir)
    services = open_services(make_settings(data_dir), embedder)
    app = create_app(
        make_settings(data_dir, secret_key="test-secret-key"),
        kb=services.kb, database=services.database, desk=services.desk,
    )
    with session_scope(services.database.sessions) as session:
        user = accounts.create_user(session=session, username="it_regress", role="hospital_it",
                                    hospital_id=HOSPITAL)
        _, token = accounts.create_token(session=session, user=user, name="tests",
                                         expires_in=timedelta(days=1))
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {token}"

    before = ticket_counts(client)
    assert sum(before.values()) > 0, before
    plan_before = services.desk.plan(TicketDraft(hospital_id=HOSPITAL, title=PROBLEM))
    chosen_before = plan_before.candidates[0]
    assert chosen_before.factors.get("history", 0) > 0 or any(
        c.factors.get("history", 0) > 0 for c in plan_before.candidates
    ), [c.as_dict() for c in plan_before.candidates[:3]]

    # Another process: the operator's `weibao ingest` of one new article, same data folder.
    source = tmp_path / "new-article.md"
    source.write_text(ARTICLE, encoding="utf-8")
    environ = {**os.environ, "WEIBAO_DATA_DIR": str(data_dir), "WEIBAO_DATABASE_URL": "",
               "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "weibao.cli", "ingest", str(source)],
        capture_output=True, text=True, env=environ, timeout=600, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr

    # The server picks the change up on its next requests (a catch-up is throttled).
    deadline = time.monotonic() + 10
    after = ticket_counts(client)
    while NEW_FIX not in after and time.monotonic() < deadline:
        time.sleep(0.3)
        after = ticket_counts(client)
    assert NEW_FIX in after, "the server never saw the CLI's article"
    after.pop(NEW_FIX)
    assert after == before  # every resolved ticket's fix still counts

    created = client.post("/api/tickets", json={"title": PROBLEM})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["assignee"]["id"] == chosen_before.engineer_id
    top = body["candidates"][0]
    assert top["engineer_id"] == chosen_before.engineer_id
    assert top["factors"].get("history") == round(chosen_before.factors.get("history", 0), 4)
