"""Change requests: a planned window with its downtime, rollback and test plans, the
affected systems and departments; approved by the hospital's IT and by the vendor's
manager; refused inside the hospital's blackout windows or over another change; moved
through to done or rolled back. After a change, the regression watch compares the
hospital's tickets for the affected systems in the 7 days after with the 7 days before."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from weibao.core.accounts import Hospital
from weibao.core.db import session_scope
from weibao.estate.common import Actor, Clock, default_clock, record_history
from weibao.estate.installations import Installations
from weibao.estate.models import BLACKOUT_KINDS, CHANGE_KINDS, Blackout, ChangeRequest
from weibao.graph.taxonomy import DEPARTMENTS, SYSTEMS
from weibao.routing.errors import Conflict, Forbidden, Invalid, NotFound
from weibao.routing.models import Ticket

MAX_TEXT = 10_000
MAX_WINDOW = timedelta(hours=72)
# Statuses that still hold their window: another change may not overlap them.
HOLDING = ("submitted", "approved", "in_progress")
MOVES: dict[str, tuple[str, ...]] = {
    "submitted": ("cancelled",),
    "approved": ("in_progress", "cancelled"),
    "in_progress": ("done", "rolled_back"),
}
WATCH_DAYS = 7
# How long after a change its regression watch stays on the list.
WATCH_LISTED = timedelta(days=30)


@dataclass(slots=True)
class ChangeData:
    hospital_id: str
    title: str
    window_start: datetime
    window_end: datetime
    rollback_plan: str
    test_plan: str
    systems: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    kind: str = "upgrade"
    downtime_minutes: int = 0
    target_version: str = ""


@dataclass(slots=True)
class BlackoutData:
    hospital_id: str
    name: str
    kind: str
    days: list[int] = field(default_factory=list)
    start_time: str = "00:00"
    end_time: str = "00:00"
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class WindowConflict(Conflict):
    """The window meets a blackout window or another change: which one, and from when."""

    def __init__(self, kind: str, item_id: int, name: str, local_start: str) -> None:
        what = f"blackout window {name!r} (#{item_id}" if kind == "blackout" else f"change #{item_id} {name!r} ("
        verb = "falls in" if kind == "blackout" else "overlaps"
        sep = ", " if kind == "blackout" else ""
        super().__init__(f"the window {verb} {what}{sep}from {local_start})", "window_start")
        self.kind, self.item_id, self.name, self.local_start = kind, item_id, name, local_start


@dataclass(frozen=True, slots=True)
class Regression:
    change: ChangeRequest
    before: int
    after: int
    complete: bool  # the 7 days after have passed
    flagged: bool


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def _clock_time(value: str, field_name: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise Invalid(f"{field_name} must be HH:MM", field_name) from exc


def _last_day(day: date) -> int:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (following - timedelta(days=1)).day


def blackout_occurrences(blackout: Blackout, start: datetime, end: datetime, tz: str) -> list[tuple[datetime, datetime]]:
    """The blackout's intervals (UTC) that intersect [start, end)."""
    if blackout.kind == "once":
        if blackout.starts_at and blackout.ends_at and blackout.starts_at < end and start < blackout.ends_at:
            return [(blackout.starts_at, blackout.ends_at)]
        return []
    zone = _zone(tz)
    opens, closes = _clock_time(blackout.start_time, "start_time"), _clock_time(blackout.end_time, "end_time")
    found = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date():
        if blackout.kind == "weekly":
            matches = day.weekday() in blackout.days
        else:
            last = _last_day(day)
            matches = any(day.day == (d if d > 0 else last + 1 + d) for d in blackout.days)
        if matches:
            begin = datetime.combine(day, opens, zone)
            finish = datetime.combine(day if closes > opens else day + timedelta(days=1), closes, zone)
            if begin < end and start < finish:
                found.append((begin.astimezone(ZoneInfo("UTC")), finish.astimezone(ZoneInfo("UTC"))))
        day += timedelta(days=1)
    return found


class Changes:
    def __init__(self, sessions: sessionmaker[Session], installations: Installations,
                 clock: Clock = default_clock) -> None:
        self.sessions = sessions
        self.installations = installations
        self.clock = clock

    # ---- blackout windows --------------------------------------------------------------
    def add_blackout(self, actor: Actor, data: BlackoutData) -> Blackout:
        if not actor.sees(data.hospital_id) or actor.role == "clinician":
            raise Forbidden("only the hospital's IT or the vendor's leads set its blackout windows")
        if not data.name.strip():
            raise Invalid("name must not be empty", "name")
        if data.kind not in BLACKOUT_KINDS:
            raise Invalid(f"kind must be one of {', '.join(BLACKOUT_KINDS)}", "kind")
        if data.kind == "once":
            if data.starts_at is None or data.ends_at is None or data.ends_at <= data.starts_at:
                raise Invalid("a one-off window needs starts_at before ends_at", "ends_at")
        else:
            _clock_time(data.start_time, "start_time")
            _clock_time(data.end_time, "end_time")
            allowed = range(0, 7) if data.kind == "weekly" else [*range(1, 32), *range(-7, 0)]
            if not data.days or any(d not in allowed for d in data.days):
                raise Invalid("days: 0 (Monday) to 6 for weekly; 1 to 31, or -1 for the last day, "
                              "for monthly", "days")
        with session_scope(self.sessions) as session:
            if session.get(Hospital, data.hospital_id) is None:
                raise Invalid(f"no hospital {data.hospital_id!r}", "hospital_id")
            blackout = Blackout(hospital_id=data.hospital_id, name=data.name.strip()[:200], kind=data.kind,
                                days=sorted(set(data.days)), start_time=data.start_time,
                                end_time=data.end_time, starts_at=data.starts_at, ends_at=data.ends_at)
            session.add(blackout)
            session.flush()
            session.expunge(blackout)
            return blackout

    def blackouts(self, actor: Actor, hospital_id: str | None = None) -> list[Blackout]:
        query = select(Blackout).order_by(Blackout.hospital_id, Blackout.id)
        if actor.hospital_bound:
            query = query.where(Blackout.hospital_id == (actor.hospital_id or "\0"))
        if hospital_id:
            query = query.where(Blackout.hospital_id == hospital_id)
        with session_scope(self.sessions) as session:
            found = list(session.scalars(query))
            session.expunge_all()
            return found

    # ---- requests ----------------------------------------------------------------------
    def _validate(self, data: ChangeData) -> None:
        if not data.title.strip():
            raise Invalid("title must not be empty", "title")
        if data.kind not in CHANGE_KINDS:
            raise Invalid(f"kind must be one of {', '.join(CHANGE_KINDS)}", "kind")
        if not data.systems:
            raise Invalid("name at least one affected system", "systems")
        bad = [s for s in data.systems if s not in SYSTEMS]
        if bad:
            raise Invalid(f"unknown system ids: {', '.join(bad)}", "systems")
        bad = [d for d in data.departments if d not in DEPARTMENTS]
        if bad:
            raise Invalid(f"unknown department ids: {', '.join(bad)}", "departments")
        for name in ("window_start", "window_end"):
            if getattr(data, name).tzinfo is None:
                raise Invalid(f"{name} must carry a time-zone offset", name)
        if data.window_end <= data.window_start:
            raise Invalid("window_end must be after window_start", "window_end")
        if data.window_end - data.window_start > MAX_WINDOW:
            raise Invalid("a change window may last at most 72 hours", "window_end")
        window_minutes = (data.window_end - data.window_start).total_seconds() / 60
        if not 0 <= data.downtime_minutes <= window_minutes:
            raise Invalid("downtime_minutes must fit inside the window", "downtime_minutes")
        for name in ("rollback_plan", "test_plan"):
            text = getattr(data, name)
            if not text.strip():
                raise Invalid(f"{name} must not be empty", name)
            if len(text) > MAX_TEXT:
                raise Invalid(f"{name} must be at most {MAX_TEXT} characters", name)

    def conflicts(self, session: Session, hospital_id: str, start: datetime, end: datetime,
                  ignore: int | None = None) -> WindowConflict | None:
        """What the window collides with, named, or None."""
        hospital = session.get(Hospital, hospital_id)
        tz = hospital.timezone if hospital else "Asia/Shanghai"
        for blackout in session.scalars(select(Blackout).where(Blackout.hospital_id == hospital_id)):
            hits = blackout_occurrences(blackout, start, end, tz)
            if hits:
                local = hits[0][0].astimezone(_zone(tz)).strftime("%Y-%m-%d %H:%M")
                return WindowConflict("blackout", blackout.id, blackout.name, local)
        query = select(ChangeRequest).where(
            ChangeRequest.hospital_id == hospital_id, ChangeRequest.status.in_(HOLDING),
            ChangeRequest.window_start < end, ChangeRequest.window_end > start)
        if ignore is not None:
            query = query.where(ChangeRequest.id != ignore)
        other = session.scalars(query.order_by(ChangeRequest.window_start)).first()
        if other is not None:
            local = other.window_start.astimezone(_zone(tz)).strftime("%Y-%m-%d %H:%M")
            return WindowConflict("change", other.id, other.title, local)
        return None

    def create(self, actor: Actor, data: ChangeData) -> ChangeRequest:
        if actor.hospital_bound:
            raise Forbidden("changes are planned by the vendor's staff")
        self._validate(data)
        now = self.clock()
        with session_scope(self.sessions) as session:
            if session.get(Hospital, data.hospital_id) is None:
                raise Invalid(f"no hospital {data.hospital_id!r}", "hospital_id")
            clash = self.conflicts(session, data.hospital_id, data.window_start, data.window_end)
            if clash:
                raise clash
            change = ChangeRequest(
                hospital_id=data.hospital_id, title=data.title.strip()[:200], kind=data.kind,
                systems=list(dict.fromkeys(data.systems)), departments=list(dict.fromkeys(data.departments)),
                target_version=data.target_version.strip()[:64], window_start=data.window_start,
                window_end=data.window_end, downtime_minutes=data.downtime_minutes,
                rollback_plan=data.rollback_plan, test_plan=data.test_plan, status="submitted",
                requested_by=actor.username[:64], created_at=now,
                history=[record_history(now, actor, "submitted")],
            )
            session.add(change)
            session.flush()
            session.expunge(change)
            return change

    def _load(self, session: Session, actor: Actor, change_id: int) -> ChangeRequest:
        change = session.scalar(select(ChangeRequest).where(ChangeRequest.id == change_id).with_for_update())
        if change is None or not actor.sees(change.hospital_id):
            raise NotFound(f"change {change_id} not found")
        return change

    def approve(self, actor: Actor, change_id: int, side: str | None = None, note: str = "") -> ChangeRequest:
        """The hospital's IT approves for its hospital, the manager for the vendor; an admin
        may give either (the vendor's side unless `side` says "hospital")."""
        now = self.clock()
        side = side or ("hospital" if actor.role == "hospital_it" else "vendor")
        if side not in ("hospital", "vendor"):
            raise Invalid("side must be hospital or vendor", "side")
        allowed = {"hospital": ("hospital_it", "admin"), "vendor": ("manager", "admin")}[side]
        if actor.role not in allowed:
            raise Forbidden(f"the {side} side is approved by {' or '.join(allowed)}")
        with session_scope(self.sessions) as session:
            change = self._load(session, actor, change_id)
            if side == "hospital" and actor.role == "hospital_it" and actor.hospital_id != change.hospital_id:
                raise Forbidden("only the hospital's own IT approves its changes")
            if change.status != "submitted":
                raise Conflict(f"the change is {change.status}, not waiting for approval")
            if side == "hospital":
                change.hospital_approved_by, change.hospital_approved_at = actor.username[:64], now
            else:
                change.vendor_approved_by, change.vendor_approved_at = actor.username[:64], now
            history = [*change.history, record_history(now, actor, f"approved_{side}", note)]
            if change.hospital_approved_at and change.vendor_approved_at:
                # Blackouts may have been added since it was planned: check again.
                clash = self.conflicts(session, change.hospital_id, change.window_start,
                                       change.window_end, ignore=change.id)
                if clash:
                    raise clash
                change.status = "approved"
                history.append(record_history(now, actor, "approved"))
            change.history = history
            session.flush()
            session.expunge(change)
            return change

    def move(self, actor: Actor, change_id: int, status: str, reason: str = "") -> ChangeRequest:
        """Reject (either approver), start, finish, roll back or cancel a change."""
        now = self.clock()
        with session_scope(self.sessions) as session:
            change = self._load(session, actor, change_id)
            if status == "rejected":
                if change.status != "submitted":
                    raise Conflict(f"the change is {change.status}, not waiting for approval")
                if actor.role == "hospital_it" and actor.hospital_id != change.hospital_id:
                    raise Forbidden("only the hospital's own IT rejects its changes")
                if not reason.strip():
                    raise Invalid("a rejection needs a reason", "reason")
            else:
                if actor.hospital_bound:
                    raise Forbidden("the vendor's staff carry changes out")
                allowed = MOVES.get(change.status, ())
                if status not in allowed:
                    raise Conflict(f"a {change.status} change can move to: {', '.join(allowed) or 'nothing'}")
            change.status = status
            if status in ("done", "rolled_back", "cancelled", "rejected"):
                change.finished_at = now
            if status == "done" and change.kind in ("upgrade", "patch") and change.target_version:
                for system in change.systems:
                    self.installations.record_upgrade(session, change.hospital_id, system,
                                                      change.target_version, change.id)
            change.history = [*change.history, record_history(now, actor, status, reason)]
            session.flush()
            session.expunge(change)
            return change

    def get(self, actor: Actor, change_id: int) -> ChangeRequest:
        with session_scope(self.sessions) as session:
            change = session.get(ChangeRequest, change_id)
            if change is None or not actor.sees(change.hospital_id):
                raise NotFound(f"change {change_id} not found")
            session.expunge(change)
            return change

    def get_all(self, actor: Actor, *, hospital_id: str | None = None, status: str | None = None,
                start: datetime | None = None, end: datetime | None = None) -> list[ChangeRequest]:
        """Changes by window start; with start/end, those whose window meets that range."""
        query = select(ChangeRequest)
        if actor.hospital_bound:
            query = query.where(ChangeRequest.hospital_id == (actor.hospital_id or "\0"))
        if hospital_id:
            query = query.where(ChangeRequest.hospital_id == hospital_id)
        if status:
            query = query.where(ChangeRequest.status == status)
        if start is not None:
            query = query.where(ChangeRequest.window_end > start)
        if end is not None:
            query = query.where(ChangeRequest.window_start < end)
        with session_scope(self.sessions) as session:
            found = list(session.scalars(query.order_by(ChangeRequest.window_start).limit(1000)))
            session.expunge_all()
            return found

    def calendar(self, actor: Actor, start: datetime, end: datetime,
                 hospital_id: str | None = None) -> tuple[list[ChangeRequest], list[tuple[Blackout, datetime, datetime]]]:
        """The changes and blackout occurrences between start and end."""
        changes = [c for c in self.get_all(actor, hospital_id=hospital_id, start=start, end=end)
                   if c.status not in ("cancelled", "rejected")]
        with session_scope(self.sessions) as session:
            zones = dict(session.execute(select(Hospital.id, Hospital.timezone)).tuples().all())
        occurrences = [
            (b, s, e) for b in self.blackouts(actor, hospital_id)
            for s, e in blackout_occurrences(b, start, end, zones.get(b.hospital_id, "Asia/Shanghai"))
        ]
        occurrences.sort(key=lambda o: o[1])
        return changes, occurrences

    # ---- regression watch -------------------------------------------------------------
    @staticmethod
    def is_rise(before: int, after: int) -> bool:
        """A rise worth a flag: at least two more tickets, and at least half as many again."""
        return after - before >= 2 and after >= 1.5 * before

    def regressions(self, actor: Actor, hospital_id: str | None = None) -> list[Regression]:
        """Tickets for the affected systems, 7 days before the window vs 7 days after it,
        for changes carried out (done or rolled back) in the last 30 days."""
        now = self.clock()
        watched = [c for c in self.get_all(actor, hospital_id=hospital_id)
                   if c.status in ("done", "rolled_back") and c.window_end <= now
                   and now - c.window_end <= WATCH_LISTED]
        found = []
        span = timedelta(days=WATCH_DAYS)
        with session_scope(self.sessions) as session:
            for change in watched:
                def count(start: datetime, end: datetime, change: ChangeRequest = change) -> int:
                    return int(session.scalar(select(func.count(Ticket.id)).where(
                        Ticket.hospital_id == change.hospital_id, Ticket.system.in_(change.systems),
                        Ticket.created_at >= start, Ticket.created_at < end)) or 0)

                before = count(change.window_start - span, change.window_start)
                after = count(change.window_end, min(now, change.window_end + span))
                found.append(Regression(change, before, after, complete=now >= change.window_end + span,
                                        flagged=self.is_rise(before, after)))
        found.sort(key=lambda r: (not r.flagged, -(r.after - r.before)))
        return found
