"""The periodic SLA check inside `weibao serve`: warnings, breaches and escalations."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from weibao.routing.desk import TicketDesk

log = logging.getLogger(__name__)


async def _loop(desk: TicketDesk, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            changes = await asyncio.to_thread(desk.sla_check)
            if changes:
                log.info("sla-check: %d state changes", len(changes))
        except Exception as exc:  # the monitor must outlive a bad tick
            log.error("sla-check failed: %s", type(exc).__name__)


def start_sla_monitor(desk: TicketDesk | None, every_seconds: int) -> asyncio.Task[None] | None:
    if desk is None or every_seconds <= 0:
        return None
    return asyncio.create_task(_loop(desk, every_seconds))


async def stop_sla_monitor(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
