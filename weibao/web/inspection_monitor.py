"""Preventive maintenance's scheduled jobs inside `weibao serve` (see
weibao.inspections.scheduler): once per period across all workers and hosts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from fastapi import FastAPI

from weibao.core.run_once import Scheduler
from weibao.inspections.scheduler import inspection_scheduler
from weibao.web.api.inspections import services_for_app

log = logging.getLogger(__name__)


@dataclass
class InspectionMonitor:
    task: asyncio.Task[None]
    scheduler: Scheduler


async def _loop(scheduler: Scheduler, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(scheduler.tick)
        except Exception as exc:  # the loop must outlive a bad tick
            log.error("inspections scheduler failed: %s", type(exc).__name__)


def start_inspection_monitor(app: FastAPI, every_seconds: float) -> InspectionMonitor | None:
    if getattr(app.state, "desk", None) is None or every_seconds <= 0:
        return None
    inspections, warnings = services_for_app(app)
    scheduler = inspection_scheduler(inspections, warnings, every_seconds)
    return InspectionMonitor(asyncio.create_task(_loop(scheduler, every_seconds)), scheduler)


async def stop_inspection_monitor(monitor: InspectionMonitor | None) -> None:
    if monitor is None:
        return
    monitor.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await monitor.task
    await asyncio.to_thread(monitor.scheduler.close)
