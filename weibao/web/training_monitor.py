"""The understanding model's scheduled retraining inside `weibao serve`: once per period
across all workers and hosts (weibao.core.run_once), and on every worker of every host the
models kept in step with the database's (weibao.core.model_files): each tick compares the
stored models' sha256 with the data folder's copies, copies a changed one, and the file
watchers load it (the understanding model here, the priority model at triage's next use)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from weibao.core.model_files import ModelSync, stored_version
from weibao.core.run_once import Job, Scheduler
from weibao.graph.classifier import STORED, model_path
from weibao.graph.ensemble import EnsembleLinker, ModelWatcher
from weibao.routing import priority_model
from weibao.routing.training import retrain

log = logging.getLogger(__name__)

TRAIN_JOB = "understanding-train"
WATCH_SECONDS = 60.0


class ModelFollower:
    """On every worker: the database's models copied into the data folder where they
    changed (a retraining on any host), and the linker's model reloaded when its file did.
    Triage's priority model reloads itself from its file (weibao.routing.priority_model).
    The monitor's loop sets the pace: each `check` looks."""

    def __init__(self, linker: EnsembleLinker, engine: Engine, data_dir: Path) -> None:
        self.syncs: list[ModelSync[Any]] = [
            ModelSync(engine, STORED, model_path(data_dir)),
            ModelSync(engine, priority_model.STORED, priority_model.model_path(data_dir)),
        ]
        self.watcher = ModelWatcher(linker, model_path(data_dir), every_seconds=0)

    def check(self) -> bool:
        """True when the linker's model was replaced."""
        for sync in self.syncs:
            try:
                sync.check()
            except Exception as exc:  # one model's failure must not keep the other back
                log.error("%s: copy from the database failed: %s", sync.spec.label, type(exc).__name__)
        return self.watcher.check()


@dataclass
class TrainingMonitor:
    task: asyncio.Task[None]
    scheduler: Scheduler | None
    follower: ModelFollower

    def tick(self) -> None:
        """One tick (in a thread): the due retraining on the leader, then the models
        followed on every worker."""
        if self.scheduler is not None:
            self.scheduler.tick()
        self.follower.check()


async def _loop(monitor: TrainingMonitor, every: float) -> None:
    while True:
        await asyncio.sleep(min(every, WATCH_SECONDS) if monitor.scheduler else WATCH_SECONDS)
        try:
            await asyncio.to_thread(monitor.tick)
        except Exception as exc:  # the loop must outlive a bad run
            log.error("understanding training failed: %s", type(exc).__name__)


def first_due(engine: Engine, every_seconds: float, now: float) -> float:
    """The first run waits a full period (start-up must not spend time training), unless
    the database has no understanding model yet: the desk would then link with the
    dictionary alone for a day, so it trains at the first tick, in the background."""
    return now + every_seconds if stored_version(engine, STORED.name) is not None else now


def start_training_monitor(app: FastAPI, every_seconds: float) -> TrainingMonitor | None:
    kb = getattr(app.state, "kb", None)
    desk = getattr(app.state, "desk", None)
    linker = getattr(kb, "linker", None)
    if kb is None or desk is None or not isinstance(linker, EnsembleLinker):
        return None
    data_dir = kb.settings.data_dir
    engine: Engine = desk.sessions.kw["bind"]
    scheduler = None
    if every_seconds > 0:
        def run() -> int:
            report = retrain(desk.sessions, linker, data_dir)
            log.info("understanding model retrained: %d samples in %.1f s, %d bytes",
                     sum(report.by_source.values()), report.seconds, report.size_bytes)
            return report.size_bytes

        job = Job(TRAIN_JOB, every_seconds, run)
        job.next_due = first_due(engine, every_seconds, time.monotonic())
        scheduler = Scheduler(engine, [job])
    follower = ModelFollower(linker, engine, data_dir)
    monitor = TrainingMonitor(asyncio.create_task(asyncio.sleep(0)), scheduler, follower)
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
