"""The periodic SLA check inside `weibao serve`: warnings, breaches and escalations; and,
on the same scheduler, the automatic close of resolved tickets whose reporter let the
confirmation window pass (`weibao.routing.autoclose`, every 10 minutes).

With several workers (and hosts) on PostgreSQL the check runs once per period across all
of them: only the scheduler leader ticks, under the job's advisory lock
(`weibao.core.run_once`). On SQLite, one process, it runs in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine

from weibao.core.run_once import Job, Scheduler
from weibao.routing.autoclose import autoclose_job
from weibao.routing.desk import TicketDesk

log = logging.getLogger(__name__)

SLA_JOB = "sla-check"


@dataclass
class SlaMonitor:
    task: asyncio.Task[None]
    scheduler: Scheduler


def _engine_of(desk: TicketDesk) -> Engine:
    engine: Engine = desk.sessions.kw["bind"]
    return engine


def sla_job(desk: TicketDesk, every_seconds: float) -> Job:
    """The SLA check as a scheduled job; counts breaches for /metrics."""

    def run() -> int:
        changes = desk.sla_check()
        if changes:
            log.info("sla-check: %d state changes", len(changes))
            from weibao.web.metrics import record_sla_changes

            record_sla_changes(changes)
        return len(changes)

    return Job(SLA_JOB, every_seconds, run)


def sla_scheduler(desk: TicketDesk, every_seconds: float,
                  autoclose_window: timedelta | None = None) -> Scheduler:
    jobs = [sla_job(desk, every_seconds)]
    if autoclose_window is not None:
        jobs.append(autoclose_job(desk.sessions, autoclose_window))
    return Scheduler(_engine_of(desk), jobs)


async def _loop(scheduler: Scheduler, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(scheduler.tick)
        except Exception as exc:  # the monitor must outlive a bad tick
            log.error("sla-check failed: %s", type(exc).__name__)


def start_sla_monitor(desk: TicketDesk | None, every_seconds: float,
                      autoclose_window: timedelta | None = None) -> SlaMonitor | None:
    if desk is None or every_seconds <= 0:
        return None
    scheduler = sla_scheduler(desk, every_seconds, autoclose_window)
    return SlaMonitor(asyncio.create_task(_loop(scheduler, every_seconds)), scheduler)


async def stop_sla_monitor(monitor: SlaMonitor | None) -> None:
    if monitor is None:
        return
    monitor.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await monitor.task
    # Step down at once, so another worker takes over at its next tick.
    await asyncio.to_thread(monitor.scheduler.close)
