"""Engineer profiles as a service: validate, create, update, and link sign-in accounts.

The admin page, the admin API and the CLI all go through these functions, so a profile
that matching reads (skills 1–5, known taxonomy ids, valid shifts, a positive cap) is
checked in one place. Errors are desk errors naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from weibao.core.accounts import User
from weibao.graph.taxonomy import DEPARTMENTS, SYSTEMS
from weibao.routing.errors import Conflict, Invalid, NotFound
from weibao.routing.models import ENGINEER_TIERS, Engineer
from weibao.routing.shifts import ShiftError, validate_shift

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.+-]{0,31}$")
MAX_CAP = 1000
# Accounts that may carry an engineer profile: the vendor's people who work tickets.
ENGINEER_ROLES = ("engineer", "admin")


@dataclass
class ProfileIn:
    """What an admin enters for an engineer; `validate` normalises and checks it."""

    name: str
    tier: str
    systems: dict[str, int] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    # [{"days": [...], "start": "HH:MM", "end": "HH:MM", "on_call": bool}]
    shifts: list[dict[str, object]] = field(default_factory=list)
    max_open: int = 8
    active: bool = True
    # May review others' articles; None keeps what the profile has (False for a new one).
    can_review: bool | None = None


def _levels(values: Mapping[str, object], known: Mapping[str, object], name: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, level in values.items():
        if key not in known:
            raise Invalid(f"{name}: unknown id {key!r}; valid: {', '.join(known)}", name)
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise Invalid(f"{name}.{key}: proficiency must be a whole number from 1 to 5", name)
        out[key] = level
    return out


def validate(profile: ProfileIn) -> ProfileIn:
    """The profile with whitespace trimmed, or Invalid naming the first bad field."""
    name = profile.name.strip()
    if not name or len(name) > 100:
        raise Invalid("name: 1 to 100 characters", "name")
    if profile.tier not in ENGINEER_TIERS:
        raise Invalid(f"tier: one of {', '.join(ENGINEER_TIERS)}", "tier")
    systems = _levels(profile.systems, SYSTEMS, "systems")
    if not systems:
        raise Invalid("systems: at least one system with a proficiency", "systems")
    departments = _levels(profile.departments, DEPARTMENTS, "departments")
    tags = sorted({t.strip().lower() for t in profile.tags if t.strip()})
    for tag in tags:
        if not TAG_PATTERN.match(tag):
            raise Invalid(f"tags: {tag!r} is not a short lower-case word", "tags")
    regions = sorted({r.strip() for r in profile.regions if r.strip()})
    if any(len(r) > 32 for r in regions):
        raise Invalid("regions: at most 32 characters each", "regions")
    shifts: list[dict[str, object]] = []
    for shift in profile.shifts:
        try:
            validate_shift(shift)
        except ShiftError as exc:
            raise Invalid(f"shifts: {exc}", "shifts") from exc
        for end in ("start", "end"):
            # The shift clock reads hours modulo 24; a person's 25:00 is a typo, not 01:00.
            if not CLOCK.match(str(shift[end])):
                raise Invalid(f"shifts: {end} must be a time from 00:00 to 24:00", "shifts")
        shifts.append({"days": list(shift["days"]),  # type: ignore[call-overload]
                       "start": str(shift["start"]), "end": str(shift["end"]),
                       **({"on_call": True} if shift.get("on_call") else {})})
    if isinstance(profile.max_open, bool) or not 1 <= profile.max_open <= MAX_CAP:
        raise Invalid(f"max_open: a whole number from 1 to {MAX_CAP}", "max_open")
    can_review = None if profile.can_review is None else bool(profile.can_review)
    return ProfileIn(name, profile.tier, systems, departments, tags, regions, shifts,
                     profile.max_open, bool(profile.active), can_review)


def _apply(engineer: Engineer, profile: ProfileIn) -> None:
    engineer.name = profile.name
    engineer.tier = profile.tier
    engineer.systems = profile.systems
    engineer.departments = profile.departments
    engineer.tags = profile.tags
    engineer.regions = profile.regions
    engineer.shifts = profile.shifts
    engineer.max_open = profile.max_open
    engineer.active = profile.active
    if profile.can_review is not None:
        engineer.can_review = profile.can_review


def get(*, session: Session, engineer_id: str) -> Engineer:
    """One engineer, or NotFound naming engineer_id."""
    engineer = session.get(Engineer, engineer_id)
    if engineer is None:
        raise NotFound(f"engineer {engineer_id!r} not found", "engineer_id")
    return engineer


def get_all(*, session: Session) -> list[Engineer]:
    return list(session.scalars(select(Engineer).order_by(Engineer.tier.desc(), Engineer.id)))


def get_by_user(*, session: Session, user_id: int) -> Engineer | None:
    """The engineer profile linked to an account, if any."""
    return session.scalar(select(Engineer).where(Engineer.user_id == user_id))


def create(*, session: Session, engineer_id: str, profile: ProfileIn) -> Engineer:
    """A new profile; the id is stable (used by the API, the CLI and the seed)."""
    if not ID_PATTERN.match(engineer_id):
        raise Invalid("id: lower-case letters, digits, - and _, 2 to 64 characters", "id")
    checked = validate(profile)
    if session.get(Engineer, engineer_id) is not None:
        raise Conflict(f"id: engineer {engineer_id!r} already exists", "id")
    engineer = Engineer(id=engineer_id, can_review=False)
    _apply(engineer, checked)
    session.add(engineer)
    session.flush()
    return engineer


def update(*, session: Session, engineer_id: str, profile: ProfileIn) -> Engineer:
    checked = validate(profile)
    engineer = get(session=session, engineer_id=engineer_id)
    _apply(engineer, checked)
    session.flush()
    return engineer


def link_account(*, session: Session, engineer_id: str, user_id: int | None) -> Engineer:
    """Links a vendor account to the profile (None unlinks). The account then sees the
    engineer's queue and may resolve the tickets assigned to it; one profile per account."""
    engineer = get(session=session, engineer_id=engineer_id)
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("no such user", "username")
        if user.role not in ENGINEER_ROLES:
            raise Invalid(f"username: a {user.role} account cannot be an engineer", "username")
        holder = get_by_user(session=session, user_id=user_id)
        if holder is not None and holder.id != engineer_id:
            raise Conflict(f"username: the account is already linked to {holder.id}", "username")
    engineer.user_id = user_id
    session.flush()
    return engineer


# Roles that review articles by their role alone; engineers need the right on their profile.
REVIEW_ROLES = ("manager", "admin")


def may_review(*, session: Session, role: str, user_id: int | None) -> bool:
    """Whether the account may review others' articles: managers and admins always, an
    engineer when the profile linked to the account carries the review right."""
    if role in REVIEW_ROLES:
        return True
    if role != "engineer" or user_id is None:
        return False
    return bool(session.scalar(select(Engineer.can_review).where(Engineer.user_id == user_id)))


def set_review_right(*, session: Session, engineer_id: str, allowed: bool) -> Engineer:
    """Grants or withdraws an engineer's right to review articles."""
    engineer = get(session=session, engineer_id=engineer_id)
    engineer.can_review = allowed
    session.flush()
    return engineer
