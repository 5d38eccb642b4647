"""Inspection plans and runs: make them due, assign them, record results, sign them off.

A failed item opens one ticket through the ticket desk (pre-triaged with the item's system
and symptom, priority from its severity, linked back to the run); a warn item opens a
follow-up task with a due date. Everything a caller sends is checked before anything is
written, so a refused submission stores nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from weibao.core.accounts import Hospital
from weibao.core.db import session_scope, utcnow
from weibao.core.run_once import exclusive
from weibao.inspections.models import (
    MODES,
    RESULTS,
    RUN_STATUSES,
    FollowUpTask,
    InspectionPhoto,
    InspectionPlan,
    InspectionResult,
    InspectionRun,
    InspectionSubmission,
)
from weibao.inspections.plans import cadence_months, choose_engineer, due_dates
from weibao.inspections.templates import FOLLOW_UP_DAYS, Item, Template, TemplateSet
from weibao.routing.calendars import zone
from weibao.routing.desk import ALL, Scope, TicketDesk
from weibao.routing.errors import Conflict, Forbidden, Invalid, NotFound
from weibao.routing.models import Contract, Ticket
from weibao.routing.planning import MAX_DESCRIPTION, MAX_TITLE, TicketDraft
from weibao.routing.records import open_counts, profile

MAX_NOTE = 2000
MAX_ITEMS = 200
MAX_PHOTO_BYTES = 2_000_000
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True, slots=True)
class ResultEntry:
    item_id: str
    result: str
    reading: object = None
    note: str = ""


@dataclass(slots=True)
class RunView:
    run: InspectionRun
    template: Template | None
    status: str
    hospital_name: str
    results: list[InspectionResult] = field(default_factory=list)
    followups: list[FollowUpTask] = field(default_factory=list)
    photos: dict[str, list[int]] = field(default_factory=dict)
    tickets: list[str] = field(default_factory=list)  # opened by this call
    repeated: bool = False


@dataclass(frozen=True, slots=True)
class RecurringFinding:
    """A checklist item that failed or warned in several hospitals: a problem the knowledge
    base should have an article for (the system and symptom say where to look)."""

    item_id: str
    template_id: str
    check: str
    system: str
    symptom: str
    hospitals: tuple[str, ...]
    fails: int
    warns: int


def ticket_key(run_id: int, item_id: str) -> str:
    """The alert key of the ticket a failed item opens: one per run and item, ever."""
    return f"inspection:{run_id}:{item_id}"


def effective_status(run: InspectionRun, today: dt.date) -> str:
    if run.status == "done":
        return "done"
    return "overdue" if run.due_date < today else "due"


def _hash_entries(entries: Sequence[ResultEntry]) -> str:
    body = json.dumps([[e.item_id, e.result, e.reading, e.note] for e in entries],
                      ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


class InspectionService:
    """Plans and runs over the ticket desk's database; `clock` is replaceable in tests."""

    def __init__(
        self, desk: TicketDesk, templates: TemplateSet, clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.desk = desk
        self.sessions = desk.sessions
        self.templates = templates
        self.clock = clock

    @property
    def engine(self) -> Engine:
        engine: Engine = self.sessions.kw["bind"]
        return engine

    # ---- helpers ---------------------------------------------------------------------
    def today(self, timezone: str | None) -> dt.date:
        return self.clock().astimezone(zone(timezone)).date()

    @staticmethod
    def _hospital(session: Session, hospital_id: str) -> Hospital:
        hospital = session.get(Hospital, hospital_id)
        if hospital is None:
            raise NotFound(f"hospital {hospital_id!r} not found", "hospital_id")
        return hospital

    @staticmethod
    def _check_scope(scope: Scope, hospital_id: str) -> None:
        if scope.hospital_id is not None and scope.hospital_id != hospital_id:
            raise Forbidden("hospital_id: you can only act for your own hospital", "hospital_id")

    def _template(self, template_id: str, field_name: str = "template_id") -> Template:
        template = self.templates.get(template_id)
        if template is None:
            raise Invalid(
                f"unknown template id {template_id!r}; known: {', '.join(self.templates.ids())}",
                field_name,
            )
        return template

    def _load_run(self, session: Session, run_id: int, scope: Scope, lock: bool = False) -> InspectionRun:
        query = select(InspectionRun).where(InspectionRun.id == run_id)
        if scope.hospital_id is not None:
            query = query.where(InspectionRun.hospital_id == scope.hospital_id)
        if lock:
            query = query.with_for_update()
        run = session.scalar(query)
        if run is None:
            raise NotFound(f"inspection {run_id} not found", "id")
        return run

    def _assign(
        self, session: Session, hospital: Hospital, template: Template, due: dt.date, mode: str,
    ) -> tuple[str | None, dict[str, object]]:
        """The engineer by the desk's own matching; open inspections count as load."""
        counts = Counter(open_counts(session))
        for engineer_id, n in session.execute(
            select(InspectionRun.assignee_id, func.count()).where(
                InspectionRun.status == "due", InspectionRun.assignee_id.is_not(None)
            ).group_by(InspectionRun.assignee_id)
        ):
            counts[str(engineer_id)] += n
        from weibao.routing.models import Engineer

        profiles = [profile(e, counts.get(e.id, 0)) for e in session.scalars(select(Engineer).order_by(Engineer.id))]
        contract = session.get(Contract, hospital.id)
        choice = choose_engineer(
            profiles, hospital_id=hospital.id, region=hospital.region, system=template.system,
            due=due, tz=zone(hospital.timezone), onsite=mode == "onsite",
            dedicated=frozenset(contract.dedicated_engineers or []) if contract else frozenset(),
        )
        return choice.engineer_id, choice.detail

    def _view(self, session: Session, run: InspectionRun, tickets: Sequence[str] = (), repeated: bool = False) -> RunView:
        hospital = session.get(Hospital, run.hospital_id)
        results = list(session.scalars(
            select(InspectionResult).where(InspectionResult.run_id == run.id).order_by(InspectionResult.id)))
        followups = list(session.scalars(
            select(FollowUpTask).where(FollowUpTask.run_id == run.id).order_by(FollowUpTask.id)))
        photos: dict[str, list[int]] = {}
        for photo_id, item_id in session.execute(
            select(InspectionPhoto.id, InspectionPhoto.item_id).where(InspectionPhoto.run_id == run.id)
            .order_by(InspectionPhoto.id)
        ):
            photos.setdefault(item_id, []).append(photo_id)
        return RunView(
            run=run, template=self.templates.get(run.template_id),
            status=effective_status(run, self.today(hospital.timezone if hospital else None)),
            hospital_name=hospital.name if hospital else run.hospital_id,
            results=results, followups=followups, photos=photos, tickets=list(tickets), repeated=repeated,
        )

    # ---- runs ------------------------------------------------------------------------
    def create_run(
        self, hospital_id: str, template_id: str, due_date: dt.date, actor: str, scope: Scope = ALL,
        mode: str = "remote",
    ) -> RunView:
        self._check_scope(scope, hospital_id)
        template = self._template(template_id)
        if mode not in MODES:
            raise Invalid(f"mode must be one of {', '.join(MODES)}", "mode")
        with session_scope(self.sessions) as session:
            hospital = self._hospital(session, hospital_id)
            assignee, detail = self._assign(session, hospital, template, due_date, mode)
            run = InspectionRun(
                hospital_id=hospital.id, plan_id=None, template_id=template.id, due_date=due_date,
                status="due", mode=mode, assignee_id=assignee, assignment=detail,
                created_by=actor[:100], created_at=self.clock(),
            )
            session.add(run)
            session.flush()
            return self._view(session, run)

    def get_run(self, run_id: int, scope: Scope = ALL) -> RunView:
        with session_scope(self.sessions) as session:
            return self._view(session, self._load_run(session, run_id, scope))

    def list_runs(
        self, scope: Scope = ALL, hospital_id: str | None = None, status: str | None = None,
        assignee: str | None = None, limit: int = 100,
    ) -> list[RunView]:
        if status is not None and status not in RUN_STATUSES:
            raise Invalid(f"status must be one of {', '.join(RUN_STATUSES)}", "status")
        with session_scope(self.sessions) as session:
            query = select(InspectionRun).order_by(InspectionRun.due_date, InspectionRun.id)
            if scope.hospital_id is not None:
                query = query.where(InspectionRun.hospital_id == scope.hospital_id)
            if hospital_id:
                query = query.where(InspectionRun.hospital_id == hospital_id)
            if assignee:
                query = query.where(InspectionRun.assignee_id == assignee)
            if status == "done":
                query = query.where(InspectionRun.status == "done").order_by(None).order_by(
                    InspectionRun.due_date.desc(), InspectionRun.id.desc())
            elif status in ("due", "overdue"):
                query = query.where(InspectionRun.status == "due")
            zones = dict(session.execute(select(Hospital.id, Hospital.timezone)).tuples().all())
            views = []
            for run in session.scalars(query.limit(5000)):
                current = effective_status(run, self.today(zones.get(run.hospital_id)))
                if status is None or current == status:
                    views.append(run)
                if len(views) >= limit:
                    break
            return [self._view(session, run) for run in views]

    def submit(
        self, run_id: int, entries: Sequence[ResultEntry], actor: str, scope: Scope = ALL,
        idempotency_key: str | None = None,
    ) -> RunView:
        """Records the results; a failed item opens its ticket (once), a warn item a follow-up.

        With an idempotency key, a repeat of the same submission answers the run and opens
        nothing; the same key with a different body is a conflict."""
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise Invalid(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters", "Idempotency-Key")
        with session_scope(self.sessions) as session:
            run = self._load_run(session, run_id, scope)
            template = self._template(run.template_id, "template_id")
        checked = self._validate(template, entries)
        body_hash = _hash_entries(entries)
        with exclusive(self.engine, f"inspection-run:{run_id}") as mine:
            if not mine:
                raise Conflict("another submission for this inspection is being saved; send it again", "id")
            with session_scope(self.sessions) as session:
                previous = None
                if idempotency_key is not None:
                    previous = session.scalar(select(InspectionSubmission).where(
                        InspectionSubmission.run_id == run_id,
                        InspectionSubmission.idempotency_key == idempotency_key))
                if previous is not None:
                    if previous.body_hash != body_hash:
                        raise Conflict("Idempotency-Key was used for a different submission", "Idempotency-Key")
                    return self._view(session, self._load_run(session, run_id, scope), repeated=True)
                existing = {r.item_id: r for r in session.scalars(
                    select(InspectionResult).where(InspectionResult.run_id == run_id))}
                hospital = self._hospital(session, run.hospital_id)
            opened: list[str] = []
            linked: dict[str, str] = {}
            for entry, item in checked:
                if entry.result != "fail":
                    continue
                known = existing.get(item.id)
                if known is not None and known.ticket_code:
                    continue
                code, created = self._finding_ticket(run, hospital, template, item, entry, actor)
                linked[item.id] = code
                if created:
                    opened.append(code)
            with session_scope(self.sessions) as session:
                run = self._load_run(session, run_id, scope, lock=True)
                now = self.clock()
                today = self.today(hospital.timezone)
                current = {r.item_id: r for r in session.scalars(
                    select(InspectionResult).where(InspectionResult.run_id == run_id))}
                for entry, item in checked:
                    row = current.get(item.id)
                    if row is None:
                        row = InspectionResult(run_id=run.id, hospital_id=run.hospital_id, item_id=item.id)
                        session.add(row)
                    row.result = entry.result
                    row.reading = {"value": entry.reading, "unit": item.unit}
                    row.note = entry.note
                    row.recorded_by = actor[:100]
                    row.at = now
                    if item.id in linked:
                        row.ticket_code = linked[item.id]
                    if entry.result == "warn":
                        self._follow_up(session, run, item, today)
                run.status = "done"
                run.performed_at = run.performed_at or now
                run.performed_by = actor[:100]
                if idempotency_key is not None:
                    session.add(InspectionSubmission(
                        run_id=run.id, hospital_id=run.hospital_id, idempotency_key=idempotency_key,
                        body_hash=body_hash, tickets=opened, at=now))
                session.flush()
                return self._view(session, run, tickets=opened)

    def _validate(self, template: Template, entries: Sequence[ResultEntry]) -> list[tuple[ResultEntry, Item]]:
        if not entries:
            raise Invalid("items must list at least one checked item", "items")
        if len(entries) > MAX_ITEMS:
            raise Invalid(f"items: at most {MAX_ITEMS}", "items")
        checked: list[tuple[ResultEntry, Item]] = []
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            where = f"items[{index}]"
            item = template.item(entry.item_id)
            if item is None:
                raise Invalid(f"item {entry.item_id!r} is not in template {template.id}", f"{where}.item_id")
            if item.id in seen:
                raise Invalid(f"item {item.id} is listed twice", f"{where}.item_id")
            seen.add(item.id)
            if entry.result not in RESULTS:
                raise Invalid("result must be pass, warn or fail", f"{where}.result")
            problem = item.check_reading(entry.reading)
            if problem is not None:
                unit = f" ({item.unit})" if item.unit else ""
                raise Invalid(f"reading of {item.id} {problem}{unit}", f"{where}.reading")
            if len(entry.note) > MAX_NOTE:
                raise Invalid(f"note must be at most {MAX_NOTE} characters", f"{where}.note")
            checked.append((entry, item))
        return checked

    def _finding_ticket(
        self, run: InspectionRun, hospital: Hospital, template: Template, item: Item, entry: ResultEntry,
        actor: str,
    ) -> tuple[str, bool]:
        """The failed item's ticket: an existing one with its key (a crash between the ticket
        and the results' commit), else a new one through the desk."""
        key = ticket_key(run.id, item.id)
        with session_scope(self.sessions) as session:
            code = session.scalar(select(Ticket.code).where(
                Ticket.hospital_id == run.hospital_id, Ticket.alert_key == key).order_by(Ticket.id).limit(1))
        if code is not None:
            return code, False
        reading = "未记录" if entry.reading is None else f"{entry.reading}{item.unit}"
        lines = [
            f"巡检：{template.name}（第 {run.id} 号巡检，应于 {run.due_date.isoformat()} 完成）",
            f"检查项：{item.check}",
            f"检查方法：{item.method}",
            f"读数：{reading}",
            f"判定标准（不合格）：{item.thresholds['fail']}",
        ]
        if entry.note:
            lines.append(f"备注：{entry.note}")
        lines.append(f"/inspections/{run.id}")
        ticket, _ = self.desk.create(TicketDraft(
            hospital_id=hospital.id, title=f"[巡检] {item.check}"[:MAX_TITLE],
            description="\n".join(lines)[:MAX_DESCRIPTION], channel="inspection",
            reporter_name=actor[:100], priority=item.priority,
            priority_reason=f"巡检项严重程度 {item.severity} / inspection item severity",
            alert_key=key, system=item.system, symptom=item.symptom,
        ), actor)
        return ticket.code, True

    @staticmethod
    def _follow_up(session: Session, run: InspectionRun, item: Item, today: dt.date) -> None:
        exists = session.scalar(select(FollowUpTask.id).where(
            FollowUpTask.run_id == run.id, FollowUpTask.item_id == item.id))
        if exists is not None:
            return
        session.add(FollowUpTask(
            run_id=run.id, hospital_id=run.hospital_id, item_id=item.id,
            title=f"复查：{item.check}"[:200],
            due_date=today + dt.timedelta(days=FOLLOW_UP_DAYS[item.severity]),
            status="open", assignee_id=run.assignee_id,
        ))

    def add_photo(
        self, run_id: int, item_id: str, content_type: str, data: bytes, scope: Scope = ALL,
    ) -> int:
        if content_type not in PHOTO_TYPES:
            raise Invalid(f"photo must be one of {', '.join(PHOTO_TYPES)}", "photo")
        if not data or len(data) > MAX_PHOTO_BYTES:
            raise Invalid(f"photo must be 1 byte to {MAX_PHOTO_BYTES // 1_000_000} MB", "photo")
        with session_scope(self.sessions) as session:
            run = self._load_run(session, run_id, scope)
            template = self._template(run.template_id)
            if template.item(item_id) is None:
                raise Invalid(f"item {item_id!r} is not in template {template.id}", "item_id")
            photo = InspectionPhoto(run_id=run.id, hospital_id=run.hospital_id, item_id=item_id,
                                    content_type=content_type, data=data, at=self.clock())
            session.add(photo)
            session.flush()
            return photo.id

    def photo(self, photo_id: int, scope: Scope = ALL) -> InspectionPhoto:
        with session_scope(self.sessions) as session:
            query = select(InspectionPhoto).where(InspectionPhoto.id == photo_id)
            if scope.hospital_id is not None:
                query = query.where(InspectionPhoto.hospital_id == scope.hospital_id)
            photo = session.scalar(query)
            if photo is None:
                raise NotFound("no such photo", "photo")
            return photo

    def sign_off(self, run_id: int, actor: str, scope: Scope = ALL) -> RunView:
        """The hospital's IT contact confirms the inspection was done."""
        with session_scope(self.sessions) as session:
            run = self._load_run(session, run_id, scope, lock=True)
            if run.status != "done":
                raise Conflict("only a performed inspection can be signed off", "status")
            if run.signed_off_at is None:
                run.signed_off_at = self.clock()
                run.signed_off_by = actor[:100]
            session.flush()
            return self._view(session, run)

    def followups(self, scope: Scope = ALL, status: str = "open", limit: int = 200) -> list[FollowUpTask]:
        with session_scope(self.sessions) as session:
            query = select(FollowUpTask).where(FollowUpTask.status == status).order_by(
                FollowUpTask.due_date, FollowUpTask.id).limit(limit)
            if scope.hospital_id is not None:
                query = query.where(FollowUpTask.hospital_id == scope.hospital_id)
            return list(session.scalars(query))

    def recurring(self, days: int = 180, min_hospitals: int = 2) -> list[RecurringFinding]:
        """Items found warn or fail in at least `min_hospitals` hospitals in the last `days`."""
        since = self.clock() - dt.timedelta(days=days)
        owners = {item.id: (template, item) for template in self.templates.all() for item in template.items}
        seen: dict[str, dict[str, Counter[str]]] = {}
        with session_scope(self.sessions) as session:
            for item_id, hospital_id, result in session.execute(
                select(InspectionResult.item_id, InspectionResult.hospital_id, InspectionResult.result)
                .where(InspectionResult.result.in_(("warn", "fail")), InspectionResult.at >= since)
            ):
                seen.setdefault(item_id, {}).setdefault(hospital_id, Counter())[result] += 1
        found = []
        for item_id, by_hospital in seen.items():
            if len(by_hospital) < min_hospitals or item_id not in owners:
                continue
            template, item = owners[item_id]
            found.append(RecurringFinding(
                item_id, template.id, item.check, item.system, item.symptom, tuple(sorted(by_hospital)),
                sum(c["fail"] for c in by_hospital.values()), sum(c["warn"] for c in by_hospital.values())))
        return sorted(found, key=lambda f: (-len(f.hospitals), -f.fails, f.item_id))

    def close_followup(self, followup_id: int, scope: Scope = ALL) -> FollowUpTask:
        """The item was looked at again: the follow-up is done."""
        with session_scope(self.sessions) as session:
            query = select(FollowUpTask).where(FollowUpTask.id == followup_id)
            if scope.hospital_id is not None:
                query = query.where(FollowUpTask.hospital_id == scope.hospital_id)
            task = session.scalar(query)
            if task is None:
                raise NotFound(f"follow-up {followup_id} not found", "id")
            task.status = "done"
            session.flush()
            return task

    # ---- plans -----------------------------------------------------------------------
    def get_plan(self, hospital_id: str, scope: Scope = ALL) -> InspectionPlan | None:
        self._check_scope(scope, hospital_id)
        with session_scope(self.sessions) as session:
            self._hospital(session, hospital_id)
            return session.scalar(select(InspectionPlan).where(InspectionPlan.hospital_id == hospital_id))

    def plan_cadence(self, hospital_id: str) -> tuple[int, str]:
        """Months between inspections of the hospital and where that figure comes from."""
        with session_scope(self.sessions) as session:
            plan = session.scalar(select(InspectionPlan).where(InspectionPlan.hospital_id == hospital_id))
            return self._cadence(session, hospital_id, plan)

    @staticmethod
    def _cadence(session: Session, hospital_id: str, plan: InspectionPlan | None) -> tuple[int, str]:
        if plan is not None and plan.cadence_months:
            return plan.cadence_months, "plan"
        # The contract version in force now says how often, when it says it at all.
        from weibao.routing.contracts import version_at

        version = version_at(session, hospital_id, utcnow())
        if version is not None:
            months, source = cadence_months(version, version.tier)
            if source.startswith("contract"):
                return months, source
        contract = session.get(Contract, hospital_id)
        return cadence_months(contract, contract.tier if contract else "basic")

    def save_plan(
        self, hospital_id: str, template_ids: Sequence[str], *, mode: str = "remote",
        starts_on: dt.date | None = None, cadence: int | None = None, active: bool = True,
        scope: Scope = ALL,
    ) -> InspectionPlan:
        self._check_scope(scope, hospital_id)
        if not template_ids:
            raise Invalid("template_ids must name at least one template", "template_ids")
        for index, template_id in enumerate(template_ids):
            self._template(template_id, f"template_ids[{index}]")
        if len(set(template_ids)) != len(template_ids):
            raise Invalid("template_ids repeat", "template_ids")
        if mode not in MODES:
            raise Invalid(f"mode must be one of {', '.join(MODES)}", "mode")
        if cadence is not None and not 1 <= cadence <= 12:
            raise Invalid("cadence_months must be 1 to 12", "cadence_months")
        with session_scope(self.sessions) as session:
            hospital = self._hospital(session, hospital_id)
            plan = session.scalar(select(InspectionPlan).where(InspectionPlan.hospital_id == hospital_id))
            if plan is None:
                plan = InspectionPlan(hospital_id=hospital.id, created_at=self.clock())
                session.add(plan)
            plan.template_ids = list(template_ids)
            plan.mode = mode
            plan.cadence_months = cadence
            plan.active = active
            plan.starts_on = starts_on or self.today(hospital.timezone)
            session.flush()
            return plan

    def plans(self) -> list[InspectionPlan]:
        with session_scope(self.sessions) as session:
            return list(session.scalars(select(InspectionPlan).order_by(InspectionPlan.hospital_id)))

    # ---- scheduled work ----------------------------------------------------------------
    def generate_due(self) -> list[int]:
        """Makes the runs of every period that has begun (idempotent: one run per plan,
        template and due date, whoever calls and however often). Returns the new run ids."""
        created: list[int] = []
        for plan in self.plans():
            if not plan.active:
                continue
            with session_scope(self.sessions) as session:
                hospital = session.get(Hospital, plan.hospital_id)
                if hospital is None:
                    continue
                months, _ = self._cadence(session, plan.hospital_id, plan)
                today = self.today(hospital.timezone)
                have = set(session.execute(select(InspectionRun.template_id, InspectionRun.due_date)
                                           .where(InspectionRun.plan_id == plan.id)).tuples().all())
            for due in due_dates(plan.starts_on, months, today):
                for template_id in plan.template_ids:
                    template = self.templates.get(template_id)
                    if template is None or (template_id, due) in have:
                        continue
                    run_id = self._create_planned(plan, hospital, template, due)
                    if run_id is not None:
                        created.append(run_id)
        return created

    def _create_planned(self, plan: InspectionPlan, hospital: Hospital, template: Template, due: dt.date) -> int | None:
        try:
            with session_scope(self.sessions) as session:
                assignee, detail = self._assign(session, hospital, template, due, plan.mode)
                run = InspectionRun(
                    hospital_id=plan.hospital_id, plan_id=plan.id, template_id=template.id, due_date=due,
                    status="due", mode=plan.mode, assignee_id=assignee, assignment=detail,
                    created_by="scheduler", created_at=self.clock(),
                )
                session.add(run)
                session.flush()
                return run.id
        except IntegrityError:
            return None  # another worker made it first: the unique key keeps one

    def flag_overdue(self) -> list[int]:
        """Marks runs found past their due date, once each (the dashboard lists them)."""
        flagged: list[int] = []
        with session_scope(self.sessions) as session:
            zones = dict(session.execute(select(Hospital.id, Hospital.timezone)).tuples().all())
            now = self.clock()
            for run in session.scalars(select(InspectionRun).where(
                    InspectionRun.status == "due", InspectionRun.overdue_flagged_at.is_(None)
            ).with_for_update()):
                if run.due_date < self.today(zones.get(run.hospital_id)):
                    run.overdue_flagged_at = now
                    flagged.append(run.id)
        return flagged

    def counts(self, scope: Scope = ALL) -> dict[str, int]:
        """Runs per status (due, overdue, done): the dashboard's and the report's figures."""
        totals = {s: 0 for s in RUN_STATUSES}
        with session_scope(self.sessions) as session:
            zones = dict(session.execute(select(Hospital.id, Hospital.timezone)).tuples().all())
            query = select(InspectionRun.hospital_id, InspectionRun.status, InspectionRun.due_date)
            if scope.hospital_id is not None:
                query = query.where(InspectionRun.hospital_id == scope.hospital_id)
            for hospital_id, status, due in session.execute(query):
                if status == "done":
                    totals["done"] += 1
                else:
                    totals["overdue" if due < self.today(zones.get(hospital_id)) else "due"] += 1
        return totals
