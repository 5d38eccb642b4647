"""The understanding model's scheduled retraining inside `weibao serve`: once per period
across all workers and hosts (weibao.core.run_once); every worker reloads the new file."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from weibao.core.run_once import Job, Scheduler
from weibao.graph.classifier import model_path
from weibao.graph.ensemble import EnsembleLinker, ModelWatcher
from weibao.routing.training import retrain

log = logging.getLogger(__name__)

TRAIN_JOB = "understanding-train"
WATCH_SECONDS = 60.0


@dataclass
class TrainingMonitor:
    task: asyncio.Task[None]
    scheduler: Scheduler | None
    watcher: ModelWatcher


async def _loop(monitor: TrainingMonitor, every: float) -> None:
    while True:
        await asyncio.sleep(min(every, WATCH_SECONDS) if monitor.scheduler else WATCH_SECONDS)
        try:
            if monitor.scheduler is not None:
                await asyncio.to_thread(monitor.scheduler.tick)
            await asyncio.to_thread(monitor.watcher.check)
        except Exception as exc:  # the loop must outlive a bad run
            log.error("understanding training failed: %s", type(exc).__name__)


def first_due(data_dir: Path, every_seconds: float, now: float) -> float:
    """The first run waits a full period (start-up must not spend time training), unless
    the data folder has no model yet: the desk would then link with the dictionary alone
    for a day, so it trains at the first tick, in the background."""
    return now + every_seconds if model_path(data_dir).is_file() else now


def start_training_monitor(app: FastAPI, every_seconds: float) -> TrainingMonitor | None:
    kb = getattr(app.state, "kb", None)
    desk = getattr(app.state, "desk", None)
    linker = getattr(kb, "linker", None)
    if kb is None or desk is None or not isinstance(linker, EnsembleLinker):
        return None
    data_dir = kb.settings.data_dir
    scheduler = None
    if every_seconds > 0:
        engine: Engine = desk.sessions.kw["bind"]

        def run() -> int:
            report = retrain(desk.sessions, linker, data_dir)
            log.info("understanding model retrained: %d samples in %.1f s, %d bytes",
                     sum(report.by_source.values()), report.seconds, report.size_bytes)
            return report.size_bytes

        job = Job(TRAIN_JOB, every_seconds, run)
        job.next_due = first_due(data_dir, every_seconds, time.monotonic())
        scheduler = Scheduler(engine, [job])
    watcher = ModelWatcher(linker, model_path(data_dir), WATCH_SECONDS)
    monitor = TrainingMonitor(asyncio.create_task(asyncio.sleep(0)), scheduler, watcher)
    monitor.task = asyncio.create_task(_loop(monitor, every_seconds))
    return monitor


async def stop_training_monitor(monitor: TrainingMonitor | None) -> None:
    if monitor is None:
        return
    monitor.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await monitor.task
    if monitor.scheduler is not None:
        await asyncio.to_thread(monitor.scheduler.close)
