"""Monitoring alerts become tickets: one open ticket per alert, not one per notification.

The shape is Alertmanager's webhook (Zabbix, Nagios and others can post the same with a
webhook script): each alert has a status, labels, annotations and a fingerprint. A
firing alert opens a ticket through the desk, so it is triaged, timed and assigned like
any other; a repeat while that ticket is open becomes a comment; "resolved" notes the
recovery on the ticket but does not resolve it: a person must still give the root cause.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from weibao.core.db import session_scope
from weibao.routing.desk import Scope, TicketDesk
from weibao.routing.errors import Conflict
from weibao.routing.models import OPEN_STATUSES, Ticket
from weibao.routing.planning import MAX_DESCRIPTION, MAX_TITLE, TicketDraft

MAX_KEY = 200
LOCK_WAIT_SECONDS = 20.0
_local_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class MonitoringAlert:
    status: str  # "firing" or "resolved"
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    starts_at: str = ""
    fingerprint: str = ""

    @property
    def key(self) -> str:
        """The alert's identity: the sender's fingerprint, else a digest of its labels."""
        if self.fingerprint:
            return f"fp:{self.fingerprint}"[:MAX_KEY]
        labels = json.dumps(sorted(self.labels.items()), ensure_ascii=False)
        return f"labels:{hashlib.sha256(labels.encode()).hexdigest()}"

    @property
    def title(self) -> str:
        summary = self.annotations.get("summary", "").strip()
        if not summary:
            parts = (self.labels.get("alertname", ""), self.labels.get("instance", ""))
            summary = " ".join(p for p in parts if p) or "monitoring alert"
        return f"[监控告警] {summary}"[:MAX_TITLE]

    @property
    def description(self) -> str:
        lines = [self.annotations.get("description", "").strip()]
        lines += [f"{k}={v}" for k, v in sorted(self.labels.items())]
        if self.starts_at:
            lines.append(f"startsAt={self.starts_at}")
        return "\n".join(line for line in lines if line)[:MAX_DESCRIPTION]


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    key: str
    action: str  # created | repeated | recovered | ignored
    ticket: str | None


def _open_ticket(desk: TicketDesk, hospital_id: str, key: str) -> str | None:
    with session_scope(desk.sessions) as session:
        return session.scalar(
            select(Ticket.code)
            .where(Ticket.hospital_id == hospital_id, Ticket.alert_key == key,
                   Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.id.desc())
            .limit(1)
        )


@contextmanager
def _one_at_a_time(engine: Engine, hospital_id: str, key: str) -> Iterator[None]:
    """Notifications of one alert are handled one after another, so that two arriving
    together (an Alertmanager HA pair) find each other's ticket instead of opening two.

    PostgreSQL: a session advisory lock, held on its own connection across the check and
    the ticket's commit (which use other sessions). Waiters poll with try-lock and give
    their connection back between tries, so a burst cannot drain the pool while the
    holder still needs a connection. SQLite: one writer process, a mutex.
    """
    if engine.dialect.name != "postgresql":
        with _local_lock:
            yield
        return
    digest = hashlib.sha256(f"weibao-alert|{hospital_id}|{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        connection = engine.connect()
        if connection.execute(select(func.pg_try_advisory_lock(lock_id))).scalar():
            break
        connection.close()
        if time.monotonic() > deadline:
            raise Conflict("another notification of this alert is still being handled; send it again", "alerts")
        time.sleep(0.05)
    try:
        yield
    finally:
        connection.execute(select(func.pg_advisory_unlock(lock_id)))
        connection.commit()
        connection.close()


def receive_alert(
    desk: TicketDesk, hospital_id: str, alert: MonitoringAlert, actor: str, reporter_user_id: int | None = None
) -> AlertOutcome:
    key = alert.key
    with desk.sessions() as session:
        bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _one_at_a_time(engine, hospital_id, key):
        return _handle(desk, hospital_id, alert, key, actor, reporter_user_id)


def _handle(
    desk: TicketDesk, hospital_id: str, alert: MonitoringAlert, key: str, actor: str, reporter_user_id: int | None
) -> AlertOutcome:
    code = _open_ticket(desk, hospital_id, key)
    scope = Scope(hospital_id=hospital_id)
    if alert.status == "resolved":
        if code is None:
            return AlertOutcome(key, "ignored", None)
        desk.comment(code, actor, f"监控告警已恢复 / alert resolved: {alert.title}", scope)
        return AlertOutcome(key, "recovered", code)
    if code is not None:
        desk.comment(code, actor, f"监控告警仍在触发 / alert still firing (startsAt {alert.starts_at or '?'})", scope)
        return AlertOutcome(key, "repeated", code)
    ticket, _ = desk.create(
        TicketDraft(hospital_id=hospital_id, title=alert.title, description=alert.description,
                    channel="monitoring", reporter_user_id=reporter_user_id, reporter_name=actor[:100],
                    alert_key=key),
        actor,
    )
    return AlertOutcome(key, "created", ticket.code)
