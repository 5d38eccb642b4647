"""Notification outbox throughput: queueing ticket events, delivering to local receivers.

Usage: python bench/bench_notify.py [--tickets 200] [--database-url URL]
A fresh SQLite file (or the given empty database) gets one hospital, one engineer, their
channels (an e-mail address, a WeCom robot), and `--tickets` tickets with an assignment,
two replies and a resolution each (4 notifying events and 5 notices per ticket). Then:
- dispatch: how long one pass of `outbox.dispatch` takes (it reads at most 500 events);
- deliver: per-message time and messages/s to a real local SMTP server (aiosmtpd) and to
  a local HTTP server answering like a WeCom robot, through `outbox.deliver`.
Prints medians and p99 with the machine. Not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.notify.receivers import Robot, robot_server, smtp_server
from weibao.core import migrate
from weibao.core.accounts import Hospital
from weibao.core.db import Database, session_scope, utcnow
from weibao.notify import service
from weibao.notify.outbox import DeliveryPolicy, deliver, dispatch
from weibao.notify.senders import SmtpConfig
from weibao.routing.events import add_event
from weibao.routing.models import Engineer, Ticket


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def seed(database: Database, tickets: int, robot_url: str) -> None:
    now = utcnow()
    with session_scope(database.sessions) as session:
        session.add(Hospital(id="h-bench", name="压测医院"))
        session.add(Engineer(id="eng-bench", name="压测工程师", tier="L2"))
        session.flush()
        service.add_channel(session, owner_kind="hospital", owner_id="h-bench", kind="email",
                            target="it@bench.example")
        service.add_channel(session, owner_kind="engineer", owner_id="eng-bench", kind="wecom",
                            target=f"{robot_url}/hook?key=bench")
        for n in range(tickets):
            ticket = Ticket(code=f"T-2026-{n:05d}", hospital_id="h-bench", title="打印机坏了",
                            priority="P3", system="terminal", symptom="print_failure",
                            status="resolved", assignee_id="eng-bench", created_at=now,
                            updated_at=now, response_due=now + timedelta(hours=8),
                            resolution_due=now + timedelta(hours=72))
            session.add(ticket)
            session.flush()
            add_event(session, ticket, "assigned", "system", {"engineer_id": "eng-bench"})
            add_event(session, ticket, "commented", "engineer", {})
            add_event(session, ticket, "commented", "nurse", {"from_reporter": True})
            add_event(session, ticket, "resolved", "engineer", {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="weibao-bench-notify-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    database = Database(url)
    migrate.upgrade(database.engine)
    robot = Robot()
    with smtp_server() as (smtp_port, mailbox), robot_server(robot) as robot_url:
        dispatch(database.sessions, "http://127.0.0.1:8000")  # the cursor starts before them
        seed(database, args.tickets, robot_url)
        dispatch_times, queued = [], 0
        while True:
            started = time.perf_counter()
            added = dispatch(database.sessions, "http://127.0.0.1:8000")
            dispatch_times.append(time.perf_counter() - started)
            queued += added
            if not added:
                break
        policy = DeliveryPolicy(smtp=SmtpConfig("127.0.0.1", smtp_port), timeout=5)
        per_message: list[float] = []
        started = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            counts = deliver(database.sessions, policy, limit=1)
            if not counts["sent"]:
                break
            per_message.append(time.perf_counter() - t0)
        total = time.perf_counter() - started
    print(f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {database.engine.url.get_backend_name()}")
    print(f"queued {queued} notices from {args.tickets * 4} events; received {len(mailbox.messages)} "
          f"e-mails and {len(robot.calls)} robot calls")
    print(f"dispatch pass: median {statistics.median(dispatch_times) * 1000:.1f} ms, "
          f"p99 {p99(dispatch_times) * 1000:.1f} ms over {len(dispatch_times)} passes")
    print(f"deliver: median {statistics.median(per_message) * 1000:.1f} ms/message, "
          f"p99 {p99(per_message) * 1000:.1f} ms, {len(per_message) / total:.0f} messages/s")


if __name__ == "__main__":
    main()
