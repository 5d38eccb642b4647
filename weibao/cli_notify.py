"""`weibao notify`: queue and deliver notifications now, as the job inside `serve` does."""

from __future__ import annotations

import argparse

from weibao.cli_base import command
from weibao.core.settings import get_settings


@command("notify")
def cmd_notify(args: argparse.Namespace) -> int:
    from weibao.core.db import Database
    from weibao.core.run_once import exclusive
    from weibao.notify.outbox import deliver, dispatch
    from weibao.web.notify_monitor import NOTIFY_JOB, delivery_policy

    settings = get_settings()
    database = Database(settings.resolved_database_url)
    policy = delivery_policy(settings)
    # Under the job's lock: never beside a run of the same job inside `serve`.
    with exclusive(database.engine, NOTIFY_JOB) as mine:
        if not mine:
            print("a delivery run is under way elsewhere; nothing done")
            return 0
        queued = dispatch(database.sessions, policy.base_url)
        counts = deliver(database.sessions, policy)
    print(f"{queued} queued; {counts['sent']} sent, {counts['retry']} to retry, {counts['dead']} given up")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("notify", help="queue and deliver due notifications now (serve does it every NOTIFY_SECONDS)")
