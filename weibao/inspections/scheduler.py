"""The scheduled work of preventive maintenance, as run-once jobs (weibao.core.run_once).

- `inspections-due`: makes the runs of every period that has begun and flags the runs
  that have just gone overdue (each flagged once: the flag is the notification);
- `warnings-check`: runs the trend detectors of every hospital that sends samples.

Both run on the scheduler leader only, each under its job lock; what they create is also
unique in the database (one run per plan, template and due date; one open warning per
key), so a second scheduler, a restart or `weibao inspections due` from a shell never
makes a second one.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from weibao.core.run_once import Job, Leadership, Scheduler, exclusive
from weibao.inspections.service import InspectionService
from weibao.inspections.warnings import WarningService

log = logging.getLogger(__name__)

DUE_JOB = "inspections-due"
WARNINGS_JOB = "warnings-check"
LEADER = "inspections"


def run_due(service: InspectionService) -> dict[str, list[int]]:
    created = service.generate_due()
    overdue = service.flag_overdue()
    if created or overdue:
        log.info("inspections: %d made due, %d newly overdue", len(created), len(overdue))
    return {"created": created, "overdue": overdue}


def due_now(service: InspectionService) -> dict[str, list[int]] | None:
    """`weibao inspections due` and other callers outside the scheduler: the same job under
    the same lock, so it never overlaps the scheduler's run (None: one is under way)."""
    with exclusive(service.engine, DUE_JOB) as mine:
        return run_due(service) if mine else None


def run_warnings(warnings: WarningService) -> int:
    """Scrapes the configured monitoring endpoints, then runs every hospital's detectors."""
    for source_id, outcome in warnings.scrape_all().items():
        if isinstance(outcome, str):
            log.warning("metric source %d: %s", source_id, outcome)
    changes = warnings.check_all()
    if changes:
        log.info("early warnings: %d opened or cleared", len(changes))
    return len(changes)


def inspection_jobs(service: InspectionService, warnings: WarningService, every_seconds: float) -> list[Job]:
    return [
        Job(DUE_JOB, every_seconds, lambda: run_due(service)),
        Job(WARNINGS_JOB, every_seconds, lambda: run_warnings(warnings)),
    ]


def inspection_scheduler(
    service: InspectionService, warnings: WarningService, every_seconds: float, engine: Engine | None = None,
) -> Scheduler:
    engine = engine or service.engine
    return Scheduler(engine, inspection_jobs(service, warnings, every_seconds), Leadership(engine, LEADER))
