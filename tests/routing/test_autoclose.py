"""The automatic close of resolved tickets whose reporter let the confirmation window pass:
on the real database (SQLite and PostgreSQL), with the clock passed in; the CLI as run."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.web.security.conftest import Env, build_env
from weibao.core.audit import AuditEvent
from weibao.core.db import session_scope, utcnow
from weibao.core.run_once import exclusive
from weibao.routing.autoclose import AUTOCLOSE_JOB, close_expired, run_autoclose
from weibao.routing.desk import ALL
from weibao.routing.errors import Conflict
from weibao.routing.followup import FollowUp
from weibao.routing.models import Ticket, TicketEvent
from weibao.web.desk_view import event_line, local_time
from weibao.web.i18n import translator
from weibao.web.sla_monitor import sla_scheduler

pytestmark = pytest.mark.pg_crowd

WINDOW = timedelta(days=7)


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> Env:
    return build_env(tmp_path, database_url, notify_seconds=0, sla_check_seconds=0,
                     followup_window_days=WINDOW.days)


def _resolved(env: Env, days_ago: float, now: datetime) -> str:
    code = env.new_ticket(resolved=True)
    with session_scope(env.database.sessions) as session:
        ticket = session.scalars(select(Ticket).where(Ticket.code == code)).one()
        ticket.resolved_at = now - timedelta(days=days_ago)
    return code


def _events(env: Env, code: str, kind: str) -> list[TicketEvent]:
    ticket = env.desk.get(code)
    return [e for e in env.desk.events(ticket) if e.kind == kind]


def _audits(env: Env, code: str) -> list[AuditEvent]:
    with session_scope(env.database.sessions) as session:
        return list(session.scalars(select(AuditEvent).where(
            AuditEvent.action == "ticket.auto_closed", AuditEvent.target == f"ticket:{code}")))


def test_only_tickets_past_the_window_close_once_with_an_event_in_words_and_an_audit_row(env: Env) -> None:
    now = utcnow()
    late = _resolved(env, 8, now)
    recent = _resolved(env, 6, now)
    reopened = _resolved(env, 8, now)
    # Reopened inside its window (an hour before it ended), then the window date passes.
    FollowUp(env.desk, WINDOW).reopen(reopened, "clinician", "又打不出了", ALL,
                                      now=now - timedelta(days=1, hours=1))

    assert close_expired(env.database.sessions, WINDOW, now=now) == [late]
    ticket = env.desk.get(late)
    assert ticket.status == "closed" and ticket.closed_at is not None
    assert env.desk.get(recent).status == "resolved"
    assert env.desk.get(reopened).status == "in_progress"
    [event] = _events(env, late, "auto_closed")
    assert event.actor == "system" and event.detail["to"] == "closed"
    [row] = _audits(env, late)
    assert row.actor_name == "system" and row.hospital_id == ticket.hospital_id
    for lang, words in (("zh", "确认期已过，系统自动关闭"),
                        ("en", "Closed automatically: the confirmation window passed")):
        line = event_line(event, translator(lang), str, str)
        assert line.text == words and line.actor == translator(lang)("desk_system_actor")

    # A second run closes nothing new; a day later the 6-day-old one is due too.
    assert close_expired(env.database.sessions, WINDOW, now=now) == []
    assert len(_events(env, late, "auto_closed")) == 1 and len(_audits(env, late)) == 1
    assert close_expired(env.database.sessions, WINDOW, now=now + timedelta(days=1, minutes=1)) == [recent]
    # The reporter cannot confirm what the system closed after the window.
    with pytest.raises(Conflict):
        FollowUp(env.desk, WINDOW).confirm(late, "clinician", ALL, now=now)


def test_a_ticket_confirmed_meanwhile_is_never_closed_by_the_job(env: Env) -> None:
    now = utcnow()
    code = _resolved(env, 6.99, now)
    FollowUp(env.desk, WINDOW).confirm(code, "clinician", ALL, now=now)
    assert close_expired(env.database.sessions, WINDOW, now=now + timedelta(days=2)) == []
    assert _events(env, code, "auto_closed") == [] and len(_events(env, code, "confirmed")) == 1


def test_the_window_end_itself_still_belongs_to_the_reporter(env: Env) -> None:
    now = utcnow()
    code = _resolved(env, 7, now)  # resolved exactly one window ago: confirm still allowed
    assert close_expired(env.database.sessions, WINDOW, now=now) == []
    assert FollowUp(env.desk, WINDOW).state(env.desk.get(code), now=now).can_confirm


def test_a_dry_run_lists_and_changes_nothing(env: Env) -> None:
    now = utcnow()
    code = _resolved(env, 8, now)
    assert run_autoclose(env.database.sessions, WINDOW, now=now, dry_run=True) == [code]
    assert env.desk.get(code).status == "resolved"
    assert run_autoclose(env.database.sessions, WINDOW, now=now) == [code]


def test_two_runs_at_once_and_a_reporter_confirming_give_one_close(env: Env) -> None:
    if env.database.engine.url.get_backend_name() != "postgresql":
        pytest.skip("the concurrency of separate connections is PostgreSQL's")
    now = utcnow()
    codes = [_resolved(env, 8, now) for _ in range(6)]
    barrier = threading.Barrier(3)
    results: list[object] = []

    def job() -> None:
        barrier.wait()
        # Straight to the close, past the job lock: the conditional UPDATE alone must hold.
        results.append(close_expired(env.database.sessions, WINDOW, now=now))

    def reporter() -> None:
        barrier.wait()
        try:
            FollowUp(env.desk, WINDOW).confirm(codes[-1], "clinician", ALL, now=now - timedelta(days=2))
            results.append("confirmed")
        except Conflict:
            results.append("too late")

    threads = [threading.Thread(target=job), threading.Thread(target=job), threading.Thread(target=reporter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    closed = [code for result in results if isinstance(result, list) for code in result]
    assert len(closed) == len(set(closed))  # no ticket closed by both runs
    for code in codes:
        kinds = [e.kind for e in env.desk.events(env.desk.get(code)) if e.kind in ("auto_closed", "confirmed")]
        assert len(kinds) == 1, (code, kinds)
        assert len(_audits(env, code)) == (1 if kinds == ["auto_closed"] else 0)
    assert ("confirmed" in results) == (codes[-1] not in closed)


def _cli(args: list[str], database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "WEIBAO_DATA_DIR": str(tmp_path), "WEIBAO_DATABASE_URL": database_url,
               "WEIBAO_FOLLOWUP_WINDOW_DAYS": "7", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "weibao.cli", *args], capture_output=True, text=True,
                          env=environ, timeout=300)


def test_the_cli_closes_under_the_job_lock_and_says_so_in_one_line(env: Env, database_url: str,
                                                                    tmp_path: Path) -> None:
    code = _resolved(env, 8, utcnow())
    env.database.engine.dispose()
    dry = _cli(["tickets", "autoclose", "--dry-run"], database_url, tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [f"would close 1 resolved tickets unconfirmed for 7 days: {code}"]
    done = _cli(["tickets", "autoclose"], database_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"closed 1 resolved tickets unconfirmed for 7 days: {code}"]
    again = _cli(["tickets", "autoclose"], database_url, tmp_path)
    assert again.stdout.splitlines() == ["closed 0 resolved tickets unconfirmed for 7 days"]
    assert env.desk.get(code).status == "closed"
    bad = _cli(["tickets", "autoclose", "--days", "3"], database_url, tmp_path)
    assert bad.returncode == 2 and bad.stdout == ""


def test_the_ticket_page_tells_the_deadline_and_then_the_close_in_words(env: Env) -> None:
    now = utcnow()
    code = _resolved(env, 6, now)
    nurse = env.client("clinician")
    page = nurse.get(f"/tickets/{code}")
    assert page.status_code == 200, page.text
    ticket = env.desk.get(code)
    # The deadline in words, in the hospital's time zone.
    assert ticket.resolved_at is not None
    ends = ticket.resolved_at + WINDOW
    assert "届时未答复，工单将由系统自动关闭" in page.text
    assert local_time(ends, ticket.timezone, "zh") in page.text
    english = nurse.get(f"/tickets/{code}", params={"lang": "en"}).text
    assert "the ticket is closed automatically" in english and local_time(ends, ticket.timezone, "en") in english
    assert close_expired(env.database.sessions, WINDOW, now=now + timedelta(days=2)) == [code]
    page = nurse.get(f"/tickets/{code}", params={"lang": "zh"})
    assert "确认期已过，系统自动关闭" in page.text and "auto_closed" not in page.text
    assert "Closed automatically: the confirmation window passed" in nurse.get(
        f"/tickets/{code}", params={"lang": "en"}).text


def test_the_scheduler_inside_serve_runs_it_and_a_run_elsewhere_holds_it_off(env: Env) -> None:
    code = _resolved(env, 8, utcnow())
    engine = env.database.engine
    with exclusive(engine, AUTOCLOSE_JOB) as mine:
        assert mine
        assert run_autoclose(env.database.sessions, WINDOW) is None  # the CLI's run waits its turn
        scheduler = sla_scheduler(env.desk, 60, WINDOW)
        try:
            assert AUTOCLOSE_JOB not in scheduler.tick()
        finally:
            scheduler.close()
    scheduler = sla_scheduler(env.desk, 60, WINDOW)
    try:
        assert scheduler.tick()[AUTOCLOSE_JOB] == 1
    finally:
        scheduler.close()
    assert env.desk.get(code).status == "closed"


def test_the_sla_check_command_waits_for_a_run_holding_the_sla_job(env: Env, database_url: str,
                                                                   tmp_path: Path) -> None:
    # Across processes only PostgreSQL's advisory lock is shared (SQLite serves one process).
    if not database_url.startswith("postgresql"):
        pytest.skip("the job lock is shared between processes on PostgreSQL only")
    from weibao.web.sla_monitor import SLA_JOB

    with exclusive(env.database.engine, SLA_JOB) as mine:
        assert mine
        held = _cli(["sla-check"], database_url, tmp_path)
    assert held.returncode == 0, held.stderr
    assert held.stdout.splitlines() == ["an SLA check is under way elsewhere; nothing done"]
    free = _cli(["sla-check"], database_url, tmp_path)
    assert free.returncode == 0 and free.stdout.splitlines()[-1].endswith("SLA state changes")
