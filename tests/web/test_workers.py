"""Several workers: scheduled work runs once across them, and they share one session key."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import make_settings
from weibao.core.db import Database, session_scope, utcnow
from weibao.core.run_once import Job, Leadership, Scheduler, exclusive
from weibao.core.settings import REPO_DIR
from weibao.routing.desk import TicketDesk
from weibao.routing.models import Ticket, TicketEvent
from weibao.routing.seed import load_engineers, load_hospitals
from weibao.routing.sla import due_times
from weibao.web.sla_monitor import sla_scheduler

pytestmark = pytest.mark.pg_crowd

SEED_OPS = REPO_DIR / "data" / "seed_ops"


def _late_tickets(database: Database, count: int) -> list[str]:
    created = utcnow() - timedelta(days=3)
    response_due, resolution_due = due_times(created, "P2", "premium", "Asia/Shanghai")
    codes = [f"T-LATE-{i}" for i in range(count)]
    with session_scope(database.sessions) as session:
        load_hospitals(session, SEED_OPS / "hospitals.yaml")
        load_engineers(session, SEED_OPS / "engineers.yaml")
        for code in codes:
            session.add(Ticket(
                code=code, hospital_id="h-bjhd", title="门诊挂号系统报错", priority="P2",
                system="registration", symptom="crash_error", department="outpatient",
                tier="premium", created_at=created, updated_at=created,
                response_due=response_due, resolution_due=resolution_due,
            ))
    return codes


def _breach_events(database: Database) -> dict[str, int]:
    with session_scope(database.sessions) as session:
        rows = session.execute(
            select(Ticket.code, func.count(TicketEvent.id))
            .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
            .where(TicketEvent.kind == "sla_breached")
            .group_by(Ticket.code)
        ).all()
    return {code: count for code, count in rows}


def _tick_together(schedulers: list[Scheduler], rounds: int) -> list[dict[str, object]]:
    barrier = threading.Barrier(len(schedulers))
    results: list[dict[str, object]] = []
    lock = threading.Lock()

    def worker(scheduler: Scheduler) -> None:
        for _ in range(rounds):
            barrier.wait()
            outcome = scheduler.tick(now=float("inf"))  # always due: only the locks decide
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=worker, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_workers_ticking_at_once_write_each_tickets_sla_events_once(
    database_url: str, seeded_kb  # type: ignore[no-untyped-def]
) -> None:
    """Two app instances (each its own engine and desk, as two processes have) tick the SLA
    check at the same instant, three times: each breach is recorded once, not twice."""
    databases = [Database(database_url), Database(database_url)]
    codes = _late_tickets(databases[0], 6)
    schedulers = [sla_scheduler(TicketDesk(seeded_kb, d.sessions), 60) for d in databases]
    try:
        results = _tick_together(schedulers, rounds=3)
    finally:
        for scheduler in schedulers:
            scheduler.close()
    ran = [r for r in results if "sla-check" in r]
    assert ran, results
    # Only one of the two is the leader; it runs every round, the other never.
    leaders = [s for s in schedulers if s.leadership.is_leader]
    assert len(leaders) <= 1
    # Response and resolution are both breached on every ticket: two events each, once.
    assert _breach_events(databases[0]) == {code: 2 for code in codes}
    for database in databases:
        database.engine.dispose()


def test_the_job_lock_keeps_two_runs_of_one_job_from_overlapping(database_url: str) -> None:
    """Without the leader (a shell's `sla-check` beside the scheduler), the job lock alone
    keeps a second run out while the first is under way."""
    engine = Database(database_url).engine
    inside = threading.Event()
    release = threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with exclusive(engine, "demo") as mine:
            seen.append(mine)
            inside.set()
            release.wait(30)

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(30)
    with exclusive(engine, "demo") as second:
        assert second is False
    with exclusive(engine, "another-job") as other:
        assert other is True  # locks are per job
    release.set()
    thread.join(30)
    with exclusive(engine, "demo") as again:
        assert again is True  # released when the first run ended
    assert seen == [True]
    engine.dispose()


def test_when_the_leader_dies_another_worker_takes_over(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serves one process: the in-process leader never fails over")
    engines = [Database(database_url).engine, Database(database_url).engine]
    runs: list[str] = []
    a = Scheduler(engines[0], [Job("j", 60, lambda: runs.append("a"))], Leadership(engines[0]))
    b = Scheduler(engines[1], [Job("j", 60, lambda: runs.append("b"))], Leadership(engines[1]))
    assert a.tick(now=0) == {"j": None}
    assert b.tick(now=0) == {}  # a leads
    assert a.tick(now=1) == {}  # not due yet on the leader
    # The leader's process dies: its database session ends, and with it the lock.
    assert a.leadership._connection is not None
    a.leadership._connection.invalidate()
    # The server ends the dead session (and drops its lock) a moment after the socket
    # closes; the next worker's tick after that takes over.
    deadline = time.monotonic() + 10
    taken = b.tick(now=2)
    while not taken and time.monotonic() < deadline:
        time.sleep(0.05)
        taken = b.tick(now=2)
    assert taken == {"j": None}
    assert b.leadership.is_leader
    assert a.tick(now=1000) == {}  # the old leader notices and stays a follower
    assert not a.leadership.is_leader
    assert runs == ["a", "b"]
    for scheduler in (a, b):
        scheduler.close()
    for engine in engines:
        engine.dispose()


def test_every_worker_signs_sessions_with_the_same_key_from_the_database(
    database_url: str, tmp_path: Path
) -> None:
    from weibao.core.app_secrets import AppSecret
    from weibao.web.security.keys import load_secret_key

    settings = make_settings(tmp_path)  # no WEIBAO_SECRET_KEY
    keys: list[str] = []

    def start_worker() -> None:
        database = Database(database_url)
        keys.append(load_secret_key(settings, database))
        database.engine.dispose()

    threads = [threading.Thread(target=start_worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(keys) == 4 and len(set(keys)) == 1 and len(keys[0]) >= 40
    database = Database(database_url)
    with session_scope(database.sessions) as session:
        assert session.scalar(select(func.count()).select_from(AppSecret)) == 1
    assert not (tmp_path / "secret_key").exists()  # nothing on one host's disk
    database.engine.dispose()


def test_an_old_secret_key_file_becomes_the_shared_key(database_url: str, tmp_path: Path) -> None:
    """Sessions signed before the upgrade stay valid: the old file's key is stored once."""
    from weibao.web.security.keys import load_secret_key

    (tmp_path / "secret_key").write_text("old-key-from-the-file\n")
    database = Database(database_url)
    assert load_secret_key(make_settings(tmp_path), database) == "old-key-from-the-file"
    other = tmp_path / "other-host"
    other.mkdir()
    assert load_secret_key(make_settings(other), database) == "old-key-from-the-file"
    assert load_secret_key(make_settings(other, secret_key="from-env"), database) == "from-env"
    database.engine.dispose()
