"""Background delivery of notifications and the attachments' retention, inside `serve`.

Like the SLA check (`weibao.web.sla_monitor`), these jobs run once per period across all
workers and hosts: a scheduler of their own ("notify" leadership) ticks on the leader
only, each job under its advisory lock (`weibao.core.run_once`). Delivery runs in a
worker thread, so a slow or unreachable receiver never holds up a request; it only
delays that message's retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from weibao.core.run_once import Job, Leadership, Scheduler
from weibao.core.settings import Settings
from weibao.notify.outbox import DeliveryPolicy, deliver, dispatch
from weibao.notify.senders import SmtpConfig
from weibao.routing.attachments import AttachmentStore
from weibao.routing.desk import TicketDesk

log = logging.getLogger(__name__)

NOTIFY_JOB = "notify-deliver"
PURGE_JOB = "attachments-purge"
PURGE_SECONDS = 3600.0


@dataclass
class NotifyMonitor:
    task: asyncio.Task[None]
    scheduler: Scheduler


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        smtp=SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_username,
                        settings.smtp_password, settings.smtp_from, settings.smtp_starttls,
                        settings.notify_timeout_seconds),
        max_attempts=settings.notify_max_attempts,
        backoff=timedelta(seconds=settings.notify_backoff_seconds),
        timeout=settings.notify_timeout_seconds,
        base_url=settings.public_url,
    )


def attachments_of(desk: TicketDesk, settings: Settings) -> AttachmentStore:
    return AttachmentStore(
        desk, Path(settings.data_dir) / "attachments", settings.attachment_max_bytes,
        timedelta(days=settings.attachment_retention_days), settings.attachments_per_ticket,
    )


def notify_jobs(desk: TicketDesk, settings: Settings) -> list[Job]:
    policy = delivery_policy(settings)

    def run_notify() -> dict[str, int]:
        added = dispatch(desk.sessions, policy.base_url)
        counts = deliver(desk.sessions, policy)
        if added or any(counts.values()):
            log.info("notify: %d queued, %s", added, counts)
        return {"queued": added, **counts}

    def run_purge() -> int:
        purged = attachments_of(desk, settings).purge_expired()
        if purged:
            log.info("attachments: %d purged after retention", purged)
        return purged

    return [Job(NOTIFY_JOB, settings.notify_seconds, run_notify), Job(PURGE_JOB, PURGE_SECONDS, run_purge)]


def notify_scheduler(desk: TicketDesk, settings: Settings) -> Scheduler:
    engine: Engine = desk.sessions.kw["bind"]
    return Scheduler(engine, notify_jobs(desk, settings), Leadership(engine, "notify"))


async def _loop(scheduler: Scheduler, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(scheduler.tick)
        except Exception as exc:  # the monitor must outlive a bad tick
            log.error("notify tick failed: %s", type(exc).__name__)


def start_notify_monitor(desk: TicketDesk | None, settings: Settings) -> NotifyMonitor | None:
    if desk is None or settings.notify_seconds <= 0:
        return None
    scheduler = notify_scheduler(desk, settings)
    return NotifyMonitor(asyncio.create_task(_loop(scheduler, settings.notify_seconds)), scheduler)


async def stop_notify_monitor(monitor: NotifyMonitor | None) -> None:
    if monitor is None:
        return
    monitor.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await monitor.task
    await asyncio.to_thread(monitor.scheduler.close)
