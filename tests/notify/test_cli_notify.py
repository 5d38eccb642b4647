"""`weibao notify` queues and delivers what is due, like the job inside `serve`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.notify.receivers import smtp_server
from tests.web.security.conftest import HOSPITAL_A, build_env
from weibao.core.db import session_scope
from weibao.notify import service


def test_the_command_delivers_the_queued_notices(database_url: str, tmp_path: Path) -> None:
    if "postgresql" in database_url:
        pytest.skip("the job is tested on both databases; the command on one")
    with smtp_server() as (port, mailbox):
        env = build_env(tmp_path, database_url)
        with session_scope(env.database.sessions) as session:
            service.add_channel(session, owner_kind="hospital", owner_id=HOSPITAL_A, kind="email",
                                target="it@hospital-a.example")
        code = env.new_ticket()
        environ = {**os.environ, "WEIBAO_DATA_DIR": str(tmp_path), "WEIBAO_DATABASE_URL": database_url,
                   "WEIBAO_SMTP_HOST": "127.0.0.1", "WEIBAO_SMTP_PORT": str(port)}
        done = subprocess.run([sys.executable, "-m", "weibao.cli", "notify"], capture_output=True,
                              text=True, env=environ, timeout=300)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "1 queued; 1 sent, 0 to retry, 0 given up"
        again = subprocess.run([sys.executable, "-m", "weibao.cli", "notify"], capture_output=True,
                               text=True, env=environ, timeout=300)
        assert again.stdout.strip() == "0 queued; 0 sent, 0 to retry, 0 given up"
    assert [code in str(m["Subject"]) for m in mailbox.messages] == [True]
