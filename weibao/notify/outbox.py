"""The notification outbox: ticket events in, delivered messages out, with retries.

Two steps, both run by the scheduled notify job (once across workers, see
`weibao.web.notify_monitor`), never on a request:

1. `dispatch` reads the ticket event log after its cursor and adds one outbox row per
   event and channel that should hear of it. The events are the desk's transactional
   record, so nothing a request committed is missed, and a request never waits for a
   receiver. It re-reads a short stretch before the cursor (`LOOKBACK`): on PostgreSQL
   a transaction can commit an event with a lower id after a higher one; the unique
   (event, channel) pair keeps that from adding a row twice.
2. `deliver` sends the due rows; a failure is retried after `backoff * 2**(attempts-1)`
   (at most `MAX_DELAY`), and after `max_attempts` the row is dead. Each row's result
   commits on its own, so a crash mid-batch resends at most the message in flight.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from weibao.core.accounts import HOSPITAL_ROLES, User
from weibao.core.db import session_scope, utcnow
from weibao.core.privacy import mask_pii
from weibao.notify.compose import notices
from weibao.notify.models import NotifyChannel, NotifyCursor, OutboxMessage
from weibao.notify.senders import (
    DeliveryFailed,
    SmtpConfig,
    send_dingtalk,
    send_email,
    send_wecom,
)
from weibao.routing.models import Ticket, TicketEvent

log = logging.getLogger(__name__)

CURSOR = "ticket_events"
LOOKBACK = 200
BATCH = 500
MAX_DELAY = timedelta(hours=6)
# Events older than this are history, not news: a channel added later, or a desk that
# was down for a day, does not flood anyone with them.
MAX_EVENT_AGE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    smtp: SmtpConfig
    max_attempts: int = 8
    backoff: timedelta = timedelta(seconds=30)
    timeout: float = 5.0
    base_url: str = "http://127.0.0.1:8000"


def _cursor(session: Session) -> NotifyCursor:
    cursor = session.get(NotifyCursor, CURSOR, with_for_update=True)
    if cursor is None:
        # First run: start near the end of the log; older events are history.
        last = session.scalar(select(func.max(TicketEvent.id))) or 0
        cursor = NotifyCursor(name=CURSOR, value=max(0, last - LOOKBACK))
        session.add(cursor)
        session.flush()
    return cursor


def _reporters(session: Session, events: list[TicketEvent]) -> set[str]:
    """Actors among these events whose accounts belong to a hospital."""
    names = {e.actor for e in events if e.kind == "commented"}
    if not names:
        return set()
    rows = session.execute(select(User.username, User.role).where(User.username.in_(names)))
    return {name for name, role in rows if role in HOSPITAL_ROLES}


HANDOVERS = ("assigned", "reassigned", "escalated")


def _holders(session: Session, ticket_ids: set[int]) -> dict[int, list[tuple[int, str | None]]]:
    """Per ticket, (event id, engineer who took it then) of each hand-over, in order."""
    found: dict[int, list[tuple[int, str | None]]] = {}
    rows = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind.in_(HANDOVERS))
        .order_by(TicketEvent.id))
    for event in rows:
        detail = event.detail or {}
        taker = detail.get("engineer_id") or detail.get("to")
        if event.kind == "escalated" and taker in (None, "service_manager"):
            taker = None if detail.get("queue") else detail.get("from")  # stays where it was
        found.setdefault(event.ticket_id, []).append((event.id, str(taker) if taker else None))
    return found


def _holder_at(handovers: list[tuple[int, str | None]], event_id: int) -> str | None:
    holder = None
    for handover_id, taker in handovers:
        if handover_id > event_id:
            break
        holder = taker
    return holder


def dispatch(sessions: sessionmaker[Session], base_url: str, now: datetime | None = None) -> int:
    """Adds the outbox rows for new ticket events; returns how many."""
    now = now or utcnow()
    added = 0
    with session_scope(sessions) as session:
        cursor = _cursor(session)
        events = list(session.scalars(
            select(TicketEvent).where(TicketEvent.id > cursor.value - LOOKBACK)
            .order_by(TicketEvent.id).limit(BATCH + LOOKBACK)
        ))
        if not events:
            return 0
        tickets = {t.id: t for t in session.scalars(
            select(Ticket).where(Ticket.id.in_({e.ticket_id for e in events})))}
        channels = list(session.scalars(select(NotifyChannel).where(NotifyChannel.active.is_(True))))
        by_owner: dict[tuple[str, str], list[NotifyChannel]] = {}
        for channel in channels:
            by_owner.setdefault((channel.owner_kind, channel.owner_id), []).append(channel)
        done = set(session.execute(
            select(OutboxMessage.event_id, OutboxMessage.channel_id)
            .where(OutboxMessage.event_id.in_([e.id for e in events]))
        ).tuples())
        reporters = _reporters(session, events)
        holders = _holders(session, set(tickets))
        for event in events:
            ticket = tickets.get(event.ticket_id)
            if ticket is None or now - event.at > MAX_EVENT_AGE:
                continue
            from_reporter = bool((event.detail or {}).get("from_reporter")) or event.actor in reporters
            holder = _holder_at(holders.get(ticket.id, []), event.id)
            for notice in notices(event, ticket, from_reporter, base_url, holder):
                for channel in by_owner.get((notice.owner_kind, notice.owner_id), []):
                    if (event.id, channel.id) in done or event.at < channel.created_at:
                        continue
                    if channel.topics and notice.topic not in channel.topics:
                        continue
                    session.add(OutboxMessage(
                        event_id=event.id, channel_id=channel.id, ticket_id=ticket.id,
                        hospital_id=ticket.hospital_id, topic=notice.topic,
                        subject=notice.subject, body=notice.body, status="pending",
                        attempts=0, next_attempt_at=now, created_at=now,
                    ))
                    done.add((event.id, channel.id))
                    added += 1
        cursor.value = max(cursor.value, events[-1].id)
    return added


def _send(channel: NotifyChannel, message: OutboxMessage, policy: DeliveryPolicy) -> None:
    # Masked once more on the way out: stored text is masked already, this is the last gate.
    subject, body = mask_pii(message.subject).text, mask_pii(message.body).text
    if channel.kind == "email":
        send_email(_smtp_with_timeout(policy), channel.target, subject, body)
    elif channel.kind == "wecom":
        send_wecom(channel.target, subject, body, policy.timeout)
    elif channel.kind == "dingtalk":
        send_dingtalk(channel.target, channel.secret, subject, body, policy.timeout)
    else:
        raise DeliveryFailed(f"unknown channel kind {channel.kind}")


def _smtp_with_timeout(policy: DeliveryPolicy) -> SmtpConfig:
    smtp = policy.smtp
    return SmtpConfig(smtp.host, smtp.port, smtp.username, smtp.password, smtp.sender,
                      smtp.starttls, policy.timeout)


def retry_delay(attempts: int, backoff: timedelta) -> timedelta:
    """Exponential backoff after the `attempts`-th failure, capped at MAX_DELAY."""
    return min(MAX_DELAY, backoff * (2 ** max(0, attempts - 1)))


def deliver(sessions: sessionmaker[Session], policy: DeliveryPolicy, now: datetime | None = None,
            limit: int = 100) -> dict[str, int]:
    """Sends the due messages; returns counts of sent, retried and dead ones."""
    counts = {"sent": 0, "retry": 0, "dead": 0}
    with session_scope(sessions) as session:
        due = list(session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status == "pending",
                                           OutboxMessage.next_attempt_at <= (now or utcnow()))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
        ))
    for message_id in due:
        with session_scope(sessions) as session:
            message = session.get(OutboxMessage, message_id, with_for_update=True)
            if message is None or message.status != "pending":
                continue
            channel = session.get(NotifyChannel, message.channel_id)
            at = now or utcnow()
            try:
                if channel is None or not channel.active:
                    raise DeliveryFailed("channel removed or switched off")
                _send(channel, message, policy)
            except DeliveryFailed as exc:
                message.attempts += 1
                message.last_error = str(exc)[:300]
                if message.attempts >= policy.max_attempts or channel is None:
                    message.status = "dead"
                    counts["dead"] += 1
                    log.warning("notification %d dead after %d attempts: %s",
                                message.id, message.attempts, exc)
                else:
                    message.next_attempt_at = at + retry_delay(message.attempts, policy.backoff)
                    counts["retry"] += 1
                continue
            message.attempts += 1
            message.status = "sent"
            message.sent_at = at
            message.last_error = ""
            counts["sent"] += 1
    return counts


def recent(sessions: sessionmaker[Session], limit: int = 50) -> list[OutboxMessage]:
    with session_scope(sessions) as session:
        return list(session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))
