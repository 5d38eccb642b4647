"""Early warnings: metric samples in, trend detectors over them, one 预警 ticket per
warning while it fires, closed when the trend clears.

A warning's identity is (hospital, detector, metric, series). At most one is open per
identity (a unique key that is NULL once cleared), its ticket is created through the
ticket desk with an alert key made from the warning's id, and each hospital's check runs
under a run-once lock, so any number of workers (and the ingest path) open one warning
and one ticket.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from weibao.core.accounts import Hospital
from weibao.core.db import session_scope, utcnow
from weibao.core.run_once import exclusive
from weibao.inspections.metrics import METRICS, MetricError, Parsed, check_order, parse_prometheus
from weibao.inspections.models import EarlyWarning, MetricSample, MetricSource, WarningThresholds
from weibao.inspections.trends import (
    DEFAULT_THRESHOLDS,
    THRESHOLD_BOUNDS,
    Finding,
    Point,
    call_rate_drop,
    connections_near_limit,
    latency_drift,
    sparkline,
    storage_full,
)
from weibao.routing.desk import ALL, Scope, TicketDesk
from weibao.routing.errors import DeskError, Invalid, NotFound
from weibao.routing.models import Ticket
from weibao.routing.planning import TicketDraft

LOOKBACK = dt.timedelta(days=8, hours=2)
DETECTOR_SYMPTOM = {"storage": "storage_alarm", "latency": "slow", "call_rate": "interface_error",
                    "connections": "slow"}
DETECTOR_NAMES = {"storage": ("存储容量", "storage"), "latency": ("响应时间", "response time"),
                  "call_rate": ("接口调用量", "call rate"), "connections": ("数据库连接数", "connections")}
RECENT = dt.timedelta(days=7)
SCRAPE_TIMEOUT = 5.0
SCRAPE_MAX_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class WarningChange:
    warning_id: int
    action: str  # opened | cleared
    ticket: str | None
    summary: str


def warning_key(hospital_id: str, detector: str, metric: str, series: str) -> str:
    return hashlib.sha256(f"{hospital_id}|{detector}|{metric}|{series}".encode()).hexdigest()[:40]


class WarningService:
    def __init__(self, desk: TicketDesk, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.desk = desk
        self.sessions = desk.sessions
        self.clock = clock

    @property
    def engine(self) -> Engine:
        engine: Engine = self.sessions.kw["bind"]
        return engine

    # ---- thresholds --------------------------------------------------------------------
    def thresholds(self, hospital_id: str) -> dict[str, float]:
        with session_scope(self.sessions) as session:
            row = session.get(WarningThresholds, hospital_id)
            return {**DEFAULT_THRESHOLDS, **(row.values if row else {})}

    def set_thresholds(self, hospital_id: str, values: Mapping[str, float]) -> dict[str, float]:
        for name, value in values.items():
            if name not in THRESHOLD_BOUNDS:
                raise Invalid(f"unknown threshold; known: {', '.join(sorted(THRESHOLD_BOUNDS))}", f"values.{name}")
            low, high = THRESHOLD_BOUNDS[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise Invalid(f"{name} must be a number from {low} to {high}", f"values.{name}")
        with session_scope(self.sessions) as session:
            if session.get(Hospital, hospital_id) is None:
                raise NotFound(f"hospital {hospital_id!r} not found", "hospital_id")
            row = session.get(WarningThresholds, hospital_id)
            if row is None:
                row = WarningThresholds(hospital_id=hospital_id, values={})
                session.add(row)
            row.values = {**(row.values or {}), **{k: float(v) for k, v in values.items()}}
            row.updated_at = self.clock()
        return self.thresholds(hospital_id)

    # ---- samples -----------------------------------------------------------------------
    def ingest(self, hospital_id: str, parsed: Parsed) -> int:
        """Stores the samples (all or none); refuses any that go back in time in a series."""
        with session_scope(self.sessions) as session:
            if session.get(Hospital, hospital_id) is None:
                raise NotFound(f"hospital {hospital_id!r} not found", "hospital_id")
            keys = {(s.metric, s.series) for s in parsed.samples}
            latest: dict[tuple[str, str], dt.datetime] = {}
            for metric, series in keys:
                at = session.scalar(select(func.max(MetricSample.at)).where(
                    MetricSample.hospital_id == hospital_id, MetricSample.metric == metric,
                    MetricSample.series == series))
                if at is not None:
                    latest[(metric, series)] = at
            try:
                check_order(parsed.samples, latest)
            except MetricError as exc:
                raise Invalid(exc.message, exc.field) from exc
            if parsed.samples:
                # One executemany, not an object per sample (the series is masked on bind).
                session.execute(insert(MetricSample), [
                    {"hospital_id": hospital_id, "system": s.system, "metric": s.metric, "series": s.series,
                     "value": s.value, "at": s.at} for s in parsed.samples])
        return len(parsed.samples)

    def series(self, hospital_id: str, metric: str, series: str, since: dt.datetime) -> list[Point]:
        with session_scope(self.sessions) as session:
            return [(at, value) for at, value in session.execute(
                select(MetricSample.at, MetricSample.value).where(
                    MetricSample.hospital_id == hospital_id, MetricSample.metric == metric,
                    MetricSample.series == series, MetricSample.at >= since).order_by(MetricSample.at))]

    # ---- scraping ------------------------------------------------------------------------
    def add_source(self, hospital_id: str, url: str) -> MetricSource:
        """A Prometheus exposition endpoint of the hospital's monitoring, scraped each check."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
            raise Invalid("url must be an http(s) URL of at most 500 characters", "url")
        with session_scope(self.sessions) as session:
            if session.get(Hospital, hospital_id) is None:
                raise NotFound(f"hospital {hospital_id!r} not found", "hospital_id")
            source = session.scalar(select(MetricSource).where(
                MetricSource.hospital_id == hospital_id, MetricSource.url == url))
            if source is None:
                source = MetricSource(hospital_id=hospital_id, url=url, created_at=self.clock())
                session.add(source)
            source.active = True
            session.flush()
            return source

    def sources(self, scope: Scope = ALL) -> list[MetricSource]:
        with session_scope(self.sessions) as session:
            query = select(MetricSource).order_by(MetricSource.hospital_id, MetricSource.id)
            if scope.hospital_id is not None:
                query = query.where(MetricSource.hospital_id == scope.hospital_id)
            return list(session.scalars(query))

    def scrape_all(self) -> dict[int, int | str]:
        """Scrapes every active source once: {source id: samples stored, or the error}."""
        outcome: dict[int, int | str] = {}
        for source in self.sources():
            if not source.active:
                continue
            error, stored = "", 0
            try:
                request = urllib.request.Request(source.url, headers={"Accept": "text/plain"})
                # add_source admits http(s) URLs only: no file:// or other schemes here.
                with urllib.request.urlopen(request, timeout=SCRAPE_TIMEOUT) as response:
                    body = response.read(SCRAPE_MAX_BYTES + 1)
                if len(body) > SCRAPE_MAX_BYTES:
                    raise MetricError("body", f"larger than {SCRAPE_MAX_BYTES} bytes")
                stored = self.ingest(source.hospital_id, parse_prometheus(body.decode("utf-8"), self.clock()))
            except (OSError, UnicodeDecodeError, MetricError, DeskError) as exc:
                error = (getattr(exc, "message", None) or str(exc) or type(exc).__name__)[:300]
            with session_scope(self.sessions) as session:
                row = session.get(MetricSource, source.id)
                if row is not None:
                    row.last_scraped_at = self.clock()
                    row.last_error = error
            outcome[source.id] = error or stored
        return outcome

    # ---- detection -----------------------------------------------------------------------
    def _findings(self, hospital_id: str, now: dt.datetime) -> list[tuple[str, str, str, str, Finding | None]]:
        """(detector, metric, series, system, finding) for every recent series of the hospital."""
        since = now - LOOKBACK
        thresholds = self.thresholds(hospital_id)
        with session_scope(self.sessions) as session:
            series_rows = session.execute(
                select(MetricSample.metric, MetricSample.series, func.max(MetricSample.system))
                .where(MetricSample.hospital_id == hospital_id, MetricSample.at >= since)
                .group_by(MetricSample.metric, MetricSample.series)
            ).tuples().all()
        out: list[tuple[str, str, str, str, Finding | None]] = []
        for metric, series, system in sorted(series_rows):
            detector = METRICS.get(metric, ("", ""))[0]
            if not detector:
                continue
            points = [p for p in self.series(hospital_id, metric, series, since) if p[0] <= now]
            finding: Finding | None
            if detector == "storage":
                finding = storage_full(points, now, thresholds)
            elif detector == "latency":
                finding = latency_drift(points, now, thresholds)
            elif detector == "call_rate":
                finding = call_rate_drop(points, now, thresholds)
            else:
                limits = self.series(hospital_id, "db_connections_limit", series, now - dt.timedelta(days=1))
                finding = connections_near_limit(points, now, thresholds, limits[-1][1] if limits else None)
            out.append((detector, metric, series, system, finding))
        return out

    def check_hospital(self, hospital_id: str) -> list[WarningChange]:
        """Opens and clears this hospital's warnings, once however many callers run it."""
        with exclusive(self.engine, f"warnings:{hospital_id}") as mine:
            if not mine:
                return []  # another worker is checking this hospital right now
            now = self.clock()
            changes: list[WarningChange] = []
            for detector, metric, series, system, finding in self._findings(hospital_id, now):
                if finding is None:
                    continue
                key = warning_key(hospital_id, detector, metric, series)
                with session_scope(self.sessions) as session:
                    open_row = session.scalar(select(EarlyWarning).where(
                        EarlyWarning.hospital_id == hospital_id, EarlyWarning.open_key == key))
                    open_id = open_row.id if open_row else None
                    open_ticket = open_row.ticket_code if open_row else None
                if finding.firing:
                    if open_id is None:
                        change = self._open(hospital_id, detector, metric, series, system, key, finding, now)
                        if change is not None:
                            changes.append(change)
                    elif open_ticket is None:  # a crash between the warning and its ticket
                        self._ticket_for(open_id)
                elif open_id is not None:
                    changes.append(self._clear(open_id, finding, now))
            return changes

    def check_all(self) -> list[WarningChange]:
        with session_scope(self.sessions) as session:
            hospitals = list(session.scalars(select(MetricSample.hospital_id).distinct()))
        changes: list[WarningChange] = []
        for hospital_id in sorted(hospitals):
            changes.extend(self.check_hospital(hospital_id))
        return changes

    def _open(
        self, hospital_id: str, detector: str, metric: str, series: str, system: str, key: str,
        finding: Finding, now: dt.datetime,
    ) -> WarningChange | None:
        try:
            with session_scope(self.sessions) as session:
                row = EarlyWarning(
                    hospital_id=hospital_id, system=system, detector=detector, metric=metric, series=series,
                    key=key, open_key=key, status="open", summary=finding.summary[:300],
                    evidence=_evidence(finding), opened_at=now,
                )
                session.add(row)
                session.flush()
                warning_id = row.id
        except IntegrityError:
            return None  # opened by another caller a moment ago
        return WarningChange(warning_id, "opened", self._ticket_for(warning_id), finding.summary)

    def _ticket_for(self, warning_id: int) -> str | None:
        """The warning's P3 预警 ticket: found by its alert key, else opened through the desk."""
        with session_scope(self.sessions) as session:
            row = session.get(EarlyWarning, warning_id)
            if row is None:
                return None
            alert_key = f"warning:{row.id}"
            code = session.scalar(select(Ticket.code).where(
                Ticket.hospital_id == row.hospital_id, Ticket.alert_key == alert_key).limit(1))
            hospital_id, system, detector = row.hospital_id, row.system, row.detector
            summary, evidence, series = row.summary, dict(row.evidence or {}), row.series
        if code is None:
            numbers = evidence.get("numbers", {})
            lines = [summary, f"监控序列：{series}",
                     *(f"{k} = {v}" for k, v in (numbers.items() if isinstance(numbers, dict) else [])),
                     f"趋势：{evidence.get('chart', '')}", f"/warnings#w{warning_id}"]
            try:
                ticket, _ = self.desk.create(TicketDraft(
                    hospital_id=hospital_id, title=f"[预警] {summary}"[:200], description="\n".join(lines),
                    channel="monitoring", reporter_name="early-warning", priority="P3",
                    priority_reason="趋势预警，尚未影响业务 / early warning before anything breaks",
                    alert_key=alert_key, system=system, symptom=DETECTOR_SYMPTOM.get(detector),
                ), "early-warning")
            except DeskError:
                return None
            code = ticket.code
        with session_scope(self.sessions) as session:
            row = session.get(EarlyWarning, warning_id)
            if row is not None and row.ticket_code is None:
                row.ticket_code = code
        return code

    def _clear(self, warning_id: int, finding: Finding, now: dt.datetime) -> WarningChange:
        with session_scope(self.sessions) as session:
            row = session.get(EarlyWarning, warning_id)
            assert row is not None
            row.status = "cleared"
            row.open_key = None
            row.cleared_at = now
            row.evidence = {**(row.evidence or {}), "cleared": _evidence(finding)}
            code = row.ticket_code
        if code is not None:
            scope = Scope(hospital_id=None)
            try:
                self.desk.comment(code, "early-warning", f"预警已解除 / warning cleared: {finding.summary}", scope)
                ticket = self.desk.get(code, scope)
                if ticket.status == "new":
                    self.desk.transition(code, "closed", "early-warning", "预警已解除", scope)
            except DeskError:
                pass  # the ticket moved on; the warning is closed either way
        return WarningChange(warning_id, "cleared", code, finding.summary)

    # ---- reading -------------------------------------------------------------------------
    def list(self, scope: Scope = ALL, hospital_id: str | None = None, status: str | None = None,
             limit: int = 100) -> list[EarlyWarning]:
        """Open warnings and those cleared in the last week, newest first."""
        if status is not None and status not in ("open", "cleared"):
            raise Invalid("status must be open or cleared", "status")
        with session_scope(self.sessions) as session:
            query = select(EarlyWarning).order_by(EarlyWarning.opened_at.desc(), EarlyWarning.id.desc())
            if scope.hospital_id is not None:
                query = query.where(EarlyWarning.hospital_id == scope.hospital_id)
            if hospital_id:
                query = query.where(EarlyWarning.hospital_id == hospital_id)
            if status is not None:
                query = query.where(EarlyWarning.status == status)
            recent = self.clock() - RECENT
            query = query.where((EarlyWarning.status == "open") | (EarlyWarning.cleared_at >= recent))
            return list(session.scalars(query.limit(limit)))


def _evidence(finding: Finding) -> dict[str, object]:
    values: Sequence[float] = [v for _, v in finding.points]
    return {
        "numbers": dict(finding.numbers),
        "chart": sparkline(values),
        "points": [[t.isoformat(), round(v, 3)] for t, v in list(finding.points)[-200:]],
    }
