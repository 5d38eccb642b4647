"""Planning and recording training sessions, and planned vs done against the contract.

Functions take the caller's session; the web layer decides who may call them and for
which hospital. Bad input raises `Invalid` naming the field before anything is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from weibao.core.accounts import Hospital
from weibao.kb.models import Article
from weibao.routing.contracts import version_at
from weibao.routing.errors import Invalid, NotFound
from weibao.routing.models import Engineer
from weibao.service.contracts import local_midnight
from weibao.training.models import (
    MAX_ATTENDEES,
    MAX_COMMENT,
    MAX_TOPIC,
    TRAINING_AUDIENCES,
    TrainingFeedback,
    TrainingSession,
)


@dataclass
class TrainingPlan:
    hospital_id: str
    audience: str
    topic: str
    planned_at: dt.datetime
    trainer_id: str | None = None
    article_ids: list[str] = field(default_factory=list)


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None:
        raise Invalid(f"{name}: give a time zone (e.g. +08:00)", name)
    return value.astimezone(dt.UTC)


def plan(session: Session, data: TrainingPlan, *, actor: str) -> TrainingSession:
    if session.get(Hospital, data.hospital_id) is None:
        raise Invalid(f"hospital_id: unknown hospital {data.hospital_id!r}", "hospital_id")
    if data.audience not in TRAINING_AUDIENCES:
        raise Invalid(f"audience: unknown audience {data.audience!r}; known: {list(TRAINING_AUDIENCES)}",
                      "audience")
    topic = data.topic.strip()
    if not topic or len(topic) > MAX_TOPIC:
        raise Invalid(f"topic: between 1 and {MAX_TOPIC} characters", "topic")
    if data.trainer_id is not None and session.get(Engineer, data.trainer_id) is None:
        raise Invalid(f"trainer_id: unknown engineer {data.trainer_id!r}", "trainer_id")
    ids = list(dict.fromkeys(data.article_ids))
    if ids:
        known = set(session.scalars(select(Article.id).where(Article.id.in_(ids))))
        missing = [i for i in ids if i not in known]
        if missing:
            raise Invalid(f"article_ids: unknown article {missing[0]!r}", "article_ids")
    row = TrainingSession(
        hospital_id=data.hospital_id, audience=data.audience, topic=topic, trainer_id=data.trainer_id,
        planned_at=_aware(data.planned_at, "planned_at"), article_ids=ids, attendee_names=[],
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, training_id: int, hospital_id: str | None = None) -> TrainingSession:
    """The session; one of another hospital than `hospital_id` (when given) is not found."""
    row = session.get(TrainingSession, training_id)
    if row is None or (hospital_id is not None and row.hospital_id != hospital_id):
        raise NotFound(f"no training {training_id}")
    return row


def record_held(session: Session, training_id: int, *, held_at: dt.datetime, attendee_count: int,
                attendee_names: Sequence[str] = ()) -> TrainingSession:
    row = get(session, training_id)
    if not 0 <= attendee_count <= MAX_ATTENDEES:
        raise Invalid(f"attendee_count: between 0 and {MAX_ATTENDEES}", "attendee_count")
    names = [n.strip() for n in attendee_names if n.strip()]
    if len(names) > attendee_count:
        raise Invalid("attendee_names: more names than attendees", "attendee_names")
    if any(len(n) > 100 for n in names):
        raise Invalid("attendee_names: a name is longer than 100 characters", "attendee_names")
    held = _aware(held_at, "held_at")
    # A session is recorded after it took place; a few minutes' grace for clock skew.
    if held > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10):
        raise Invalid("held_at: a training is recorded as held after it took place, not ahead", "held_at")
    row.held_at = held
    row.attendee_count = attendee_count
    row.attendee_names = names
    session.flush()
    return row


def add_feedback(session: Session, training_id: int, *, score: int, comment: str, by: str,
                 hospital_id: str | None = None) -> TrainingFeedback:
    row = get(session, training_id, hospital_id)
    if row.held_at is None:
        raise Invalid("training_id: feedback only on a training that was held", "training_id")
    if not 1 <= score <= 5:
        raise Invalid("score: between 1 and 5", "score")
    if len(comment) > MAX_COMMENT:
        raise Invalid(f"comment: at most {MAX_COMMENT} characters", "comment")
    feedback = TrainingFeedback(session_id=row.id, hospital_id=row.hospital_id, score=score,
                                comment=comment.strip(), by=by)
    session.add(feedback)
    session.flush()
    return feedback


def year_bounds(session: Session, hospital_id: str, year: int) -> tuple[dt.datetime, dt.datetime]:
    hospital = session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound(f"no hospital {hospital_id}")
    if not 2000 <= year <= 2100:
        raise Invalid("year: between 2000 and 2100", "year")
    tz = hospital.timezone
    return local_midnight(dt.date(year, 1, 1), tz), local_midnight(dt.date(year + 1, 1, 1), tz)


def listing(session: Session, *, hospital_id: str | None, year: int | None) -> list[dict[str, Any]]:
    query = select(TrainingSession).order_by(TrainingSession.planned_at.desc(), TrainingSession.id.desc())
    if hospital_id is not None:
        query = query.where(TrainingSession.hospital_id == hospital_id)
    rows = list(session.scalars(query))
    if year is not None:
        rows = [r for r in rows if _local_year(session, r) == year]
    ids = [r.id for r in rows]
    scores = _scores(session, ids)
    comments: dict[int, list[dict[str, Any]]] = {}
    if ids:
        for fb in session.scalars(select(TrainingFeedback).where(TrainingFeedback.session_id.in_(ids))
                                  .order_by(TrainingFeedback.at)):
            if fb.comment:
                comments.setdefault(fb.session_id, []).append({"score": fb.score, "comment": fb.comment})
    return [{**payload(r, scores.get(r.id)), "comments": comments.get(r.id, [])} for r in rows]


def _local_year(session: Session, row: TrainingSession) -> int:
    from weibao.routing.calendars import zone

    hospital = session.get(Hospital, row.hospital_id)
    at = row.held_at or row.planned_at
    return at.astimezone(zone(hospital.timezone if hospital else "Asia/Shanghai")).year


def _scores(session: Session, ids: list[int]) -> dict[int, tuple[float, int]]:
    if not ids:
        return {}
    rows = session.execute(
        select(TrainingFeedback.session_id, func.avg(TrainingFeedback.score), func.count())
        .where(TrainingFeedback.session_id.in_(ids)).group_by(TrainingFeedback.session_id)
    )
    return {sid: (round(float(avg), 2), int(n)) for sid, avg, n in rows}


def payload(row: TrainingSession, score: tuple[float, int] | None = None) -> dict[str, Any]:
    return {
        "id": row.id, "hospital_id": row.hospital_id, "audience": row.audience, "topic": row.topic,
        "trainer_id": row.trainer_id, "planned_at": row.planned_at.isoformat(),
        "held_at": row.held_at.isoformat() if row.held_at else None,
        "status": "held" if row.held_at else "planned",
        "article_ids": list(row.article_ids or []), "attendee_count": row.attendee_count,
        "attendee_names": list(row.attendee_names or []),
        "feedback_average": score[0] if score else None, "feedback_count": score[1] if score else 0,
    }


def planned_vs_done(session: Session, *, hospital_id: str, year: int) -> dict[str, Any]:
    """Per audience: the contract's sessions for the year, those held, and those still planned.

    The commitment is that of the contract version in force at the year's end (or now, when
    earlier), as the service report takes the closing version of its period.
    """
    start, end = year_bounds(session, hospital_id, year)
    at = min(end - dt.timedelta(seconds=1), dt.datetime.now(dt.UTC))
    version = version_at(session, hospital_id, max(at, start))
    committed = dict(version.trainings_per_year or {}) if version else {}
    rows = session.scalars(select(TrainingSession).where(TrainingSession.hospital_id == hospital_id))
    done = dict.fromkeys(TRAINING_AUDIENCES, 0)
    scheduled = dict.fromkeys(TRAINING_AUDIENCES, 0)
    for row in rows:
        if row.held_at is not None and start <= row.held_at < end:
            done[row.audience] = done.get(row.audience, 0) + 1
        elif row.held_at is None and start <= row.planned_at < end:
            scheduled[row.audience] = scheduled.get(row.audience, 0) + 1
    return {
        "hospital_id": hospital_id, "year": year, "contract_version": version.version if version else None,
        "audiences": [
            {"audience": a, "committed": int(committed.get(a, 0)), "done": done[a],
             "scheduled": scheduled[a], "missing": max(0, int(committed.get(a, 0)) - done[a])}
            for a in TRAINING_AUDIENCES
        ],
    }
