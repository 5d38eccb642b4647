"""Accounts API: who am I, personal tokens, users and hospitals."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated, TypedDict

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from weibao.core import accounts, audit
from weibao.core.accounts import AccountError, ApiToken, Hospital, User
from weibao.routing import engineers
from weibao.web.deps import Caller, SessionDep
from weibao.web.security.errors import ErrorOut
from weibao.web.security.policy import Permission, permissions_of, scope_to_hospital
from weibao.web.security.ratelimit import client_address

router = APIRouter(prefix="/api", tags=["accounts"])

# mypy cannot follow an Enum built from a runtime list (misc); OpenAPI lists the values.
Role = Enum("Role", {r: r for r in accounts.ROLES}, type=str)  # type: ignore[misc]
MAX_ID = 2**31 - 1


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    hospital_id: str | None
    via: str
    must_change_password: bool
    permissions: list[str]
    engineer_id: str | None = Field(
        default=None, description="the engineer profile linked to this account, if any"
    )


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    parent_id: int | None = Field(
        default=None, description="the token this one was created with, if any"
    )


class TokenCreate(BaseModel):
    # No user or role field: a token is always the caller's own, with the caller's role.
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=100, description="what the token is for")
    # Strict: true, 1.5 or "7" are refused rather than read as a number of days.
    expires_days: StrictInt | None = Field(
        default=None, ge=1, le=accounts.MAX_TOKEN_DAYS,
        description="lifetime in days; default settings.token_days. A token created with a "
        "token expires no later than that token",
    )


class TokenCreated(BaseModel):
    token: TokenOut
    secret: str = Field(description="shown once; store it now")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    hospital_id: str | None
    is_active: bool
    must_change_password: bool
    locked_until: datetime | None
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role
    hospital_id: str | None = Field(default=None, max_length=64)
    display_name: str = Field(default="", max_length=200)
    password: str | None = Field(
        default=None, min_length=accounts.MIN_PASSWORD_CHARS, max_length=200,
        description="empty: a one-time password is generated and returned once",
    )


class UserCreated(BaseModel):
    user: UserOut
    password: str | None = Field(description="the generated one-time password, else null")


class HospitalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    name_en: str
    region: str
    timezone: str
    created_at: datetime


class HospitalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$", examples=["h-hzsy"])
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    region: str = Field(default="", max_length=64)
    timezone: str = Field(
        default="Asia/Shanghai", max_length=64, description="an IANA time zone name"
    )


def _conflict(message: str) -> HTTPException:
    """409 for a username or hospital id already in use; the message names the field."""
    return HTTPException(status_code=409, detail=message)


def _unprocessable(field: str, exc: AccountError) -> HTTPException:
    return HTTPException(
        status_code=422,
        detail=[{"loc": ["body", field], "msg": str(exc), "type": "value_error"}],
    )


class _Actor(TypedDict):
    actor_user_id: int | None
    actor_name: str
    actor_role: str
    ip: str


def _actor(caller: Caller, request: Request) -> _Actor:
    return {
        "actor_user_id": caller.user_id,
        "actor_name": caller.username or "",
        "actor_role": caller.role,
        "ip": client_address(request),
    }


@router.get("/me", response_model=MeOut, summary="The signed-in caller")
def me(
    request: Request, session: SessionDep, caller: Caller = Permission("account.self")
) -> MeOut:
    user = accounts.get_user(session=session, user_id=caller.user_id or 0)
    assert user is not None
    profile = engineers.get_by_user(session=session, user_id=user.id)
    return MeOut(
        id=user.id, username=user.username, display_name=user.display_name, role=user.role,
        hospital_id=user.hospital_id, via=caller.via,
        must_change_password=user.must_change_password,
        permissions=permissions_of(
            user.role, public_search=request.app.state.settings.public_search
        ),
        engineer_id=profile.id if profile else None,
    )


@router.get("/tokens", response_model=list[TokenOut], summary="The caller's API tokens")
def list_tokens(
    session: SessionDep, caller: Caller = Permission("tokens.own")
) -> list[ApiToken]:
    return accounts.get_tokens(session=session, user_id=caller.user_id or 0)


@router.post(
    "/tokens", response_model=TokenCreated, status_code=201,
    summary="Create a personal API token; the secret is shown only in this answer",
)
def create_token(
    body: TokenCreate, request: Request, session: SessionDep,
    caller: Caller = Permission("tokens.own"),
) -> TokenCreated:
    user = accounts.get_user(session=session, user_id=caller.user_id or 0)
    assert user is not None
    days = body.expires_days or request.app.state.settings.token_days
    # Minted by a token: the child is tied to it (expires no later, revoked with it).
    parent = session.get(ApiToken, caller.token_id) if caller.token_id is not None else None
    if caller.via == "token" and parent is None:
        raise HTTPException(status_code=401, detail="invalid, expired or revoked token")
    try:
        token, secret = accounts.create_token(
            session=session, user=user, name=body.name, expires_in=timedelta(days=days),
            parent=parent,
        )
    except AccountError as exc:
        if str(exc).startswith("parent:"):
            raise HTTPException(status_code=401, detail=str(exc)) from exc
        raise _unprocessable(str(exc).split(":", 1)[0], exc) from exc
    audit.record(
        session, action="token.created", hospital_id=user.hospital_id,
        target=f"token:{token.id}", **_actor(caller, request),
    )
    session.commit()
    return TokenCreated(token=TokenOut.model_validate(token), secret=secret)


@router.delete(
    "/tokens/{token_id}", status_code=204, responses={404: {"description": "no such token"}},
    summary="Revoke one of the caller's tokens, and every token created with it",
)
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request, session: SessionDep,
    caller: Caller = Permission("tokens.own"),
) -> Response:
    token = accounts.revoke_token(session=session, user_id=caller.user_id or 0, token_id=token_id)
    if token is None:
        raise HTTPException(status_code=404, detail=f"token {token_id} not found")
    audit.record(
        session, action="token.revoked", hospital_id=caller.hospital_id,
        target=f"token:{token_id}", **_actor(caller, request),
    )
    session.commit()
    return Response(status_code=204)


@router.get("/users", response_model=list[UserOut], summary="Users (hospital IT: own hospital)")
def list_users(
    session: SessionDep,
    caller: Caller = Permission("users.read"),
    role: Role | None = None,
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[User]:
    stmt = scope_to_hospital(select(User), User, caller)
    if role is not None:
        stmt = stmt.where(User.role == role.value)
    if hospital_id:
        stmt = stmt.where(User.hospital_id == hospital_id)
    return list(session.scalars(stmt.order_by(User.id)))


@router.get(
    "/users/{user_id}", response_model=UserOut, responses={404: {"description": "no such user"}},
    summary="One user (hospital IT: own hospital)",
)
def get_user(
    user_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep,
    caller: Caller = Permission("users.read"),
) -> User:
    stmt = scope_to_hospital(select(User).where(User.id == user_id), User, caller)
    user = session.scalar(stmt)
    if user is None:
        raise HTTPException(status_code=404, detail=f"user {user_id} not found")
    return user


@router.post(
    "/users", response_model=UserCreated, status_code=201, summary="Create a user",
    responses={409: {"model": ErrorOut, "description": "the username is taken"}},
)
def create_user(
    body: UserCreate, request: Request, session: SessionDep,
    caller: Caller = Permission("users.manage"),
) -> UserCreated:
    taken = f"username: {body.username!r} is taken"
    if accounts.get_user_by_username(session=session, username=body.username) is not None:
        raise _conflict(taken)
    generated = None if body.password else accounts.generate_password()
    try:
        user = accounts.create_user(
            session=session, username=body.username, role=body.role.value,
            hospital_id=body.hospital_id, display_name=body.display_name,
            password=body.password or generated, must_change_password=generated is not None,
        )
    except AccountError as exc:
        raise _unprocessable(str(exc).split(":", 1)[0], exc) from exc
    except IntegrityError as exc:  # created by a concurrent request since the check
        session.rollback()
        raise _conflict(taken) from exc
    audit.record(
        session, action="user.created", hospital_id=user.hospital_id,
        target=f"user:{user.username}", detail={"role": user.role},
        **_actor(caller, request),
    )
    session.commit()
    return UserCreated(user=UserOut.model_validate(user), password=generated)


class UserActiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    active: bool = Field(description="false disables the user: every session and token ends now")


@router.put(
    "/users/{user_id}/active", response_model=UserOut,
    responses={404: {"description": "no such user"},
               409: {"model": ErrorOut, "description": "you cannot disable yourself"}},
    summary="Disable (or enable again) a user",
)
def set_user_active(
    user_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: UserActiveIn, request: Request,
    session: SessionDep, caller: Caller = Permission("users.manage"),
) -> User:
    user = accounts.get_user(session=session, user_id=user_id)
    if user is None:
        raise HTTPException(status_code=404, detail=f"user {user_id} not found")
    if not body.active and user.id == caller.user_id:
        raise _conflict("active: you cannot disable your own account")
    if body.active:
        accounts.enable_user(session=session, user=user)
    else:
        accounts.disable_user(session=session, user=user)
    audit.record(
        session, action="user.enabled" if body.active else "user.disabled",
        hospital_id=user.hospital_id, target=f"user:{user.username}",
        **_actor(caller, request),
    )
    session.commit()
    return user


@router.get(
    "/admin/hospitals", response_model=list[HospitalOut], summary="Hospitals (administration)"
)
def list_hospitals(
    session: SessionDep, caller: Caller = Permission("hospitals.manage")
) -> list[Hospital]:
    return accounts.get_all_hospitals(session=session)


@router.post(
    "/admin/hospitals", response_model=HospitalOut, status_code=201, summary="Add a hospital",
    responses={409: {"model": ErrorOut, "description": "a hospital with this id exists"}},
)
def create_hospital(
    body: HospitalCreate, request: Request, session: SessionDep,
    caller: Caller = Permission("hospitals.manage"),
) -> Hospital:
    exists = f"id: hospital {body.id!r} already exists"
    if accounts.get_hospital(session=session, hospital_id=body.id) is not None:
        raise _conflict(exists)
    try:
        # An unknown time zone is refused here (422 naming timezone): every ticket of
        # the hospital is shown in it.
        hospital = accounts.create_hospital(
            session=session, hospital_id=body.id, name=body.name, name_en=body.name_en,
            region=body.region, timezone=body.timezone,
        )
    except AccountError as exc:
        raise _unprocessable(str(exc).split(":", 1)[0], exc) from exc
    except IntegrityError as exc:  # created by a concurrent request since the check
        session.rollback()
        raise _conflict(exists) from exc
    audit.record(
        session, action="hospital.created", hospital_id=hospital.id,
        target=f"hospital:{hospital.id}", **_actor(caller, request),
    )
    session.commit()
    return hospital


# ---- engineer profiles (administration) ---------------------------------------------------
class ShiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    days: list[str] = Field(min_length=1, max_length=7, examples=[["mon", "tue", "wed", "thu", "fri"]])
    start: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["08:30"])
    end: str = Field(pattern=r"^\d{2}:\d{2}$", description="earlier than start: runs overnight")
    on_call: bool = False


class EngineerProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=100)
    tier: str = Field(description="L1, L2 or L3")
    systems: dict[str, int] = Field(description="system id -> proficiency 1-5")
    departments: dict[str, int] = Field(default_factory=dict, description="department id -> 1-5")
    tags: list[str] = Field(default_factory=list, max_length=50)
    regions: list[str] = Field(default_factory=list, max_length=20)
    shifts: list[ShiftIn] = Field(default_factory=list, max_length=20)
    max_open: int = Field(8, ge=1, le=engineers.MAX_CAP)
    active: bool = True
    username: str | None = Field(None, max_length=64, description="account to link; null: none")
    can_review: bool | None = Field(
        None, description="may review others' articles; null or absent: unchanged (false for a new profile)"
    )


class EngineerCreateIn(EngineerProfileIn):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$", examples=["eng-zhangsan"])


class EngineerProfileOut(BaseModel):
    id: str
    name: str
    tier: str
    systems: dict[str, int]
    departments: dict[str, int]
    tags: list[str]
    regions: list[str]
    shifts: list[dict[str, object]]
    max_open: int
    active: bool
    account: str | None
    can_review: bool


def _save_engineer(
    session: SessionDep, request: Request, caller: Caller, engineer_id: str,
    body: EngineerProfileIn, create: bool,
) -> EngineerProfileOut:
    from weibao.routing.errors import Conflict, DeskError, NotFound

    profile = engineers.ProfileIn(
        name=body.name, tier=body.tier, systems=body.systems, departments=body.departments,
        tags=body.tags, regions=body.regions, shifts=[s.model_dump() for s in body.shifts],
        max_open=body.max_open, active=body.active, can_review=body.can_review,
    )
    try:
        if create:
            engineer = engineers.create(session=session, engineer_id=engineer_id, profile=profile)
        else:
            engineer = engineers.update(session=session, engineer_id=engineer_id, profile=profile)
        user_id = None
        if body.username:
            user = accounts.get_user_by_username(session=session, username=body.username)
            if user is None:
                raise NotFound(f"username: no account {body.username!r}", "username")
            user_id = user.id
        engineers.link_account(session=session, engineer_id=engineer_id, user_id=user_id)
    except DeskError as exc:
        session.rollback()
        if isinstance(exc, NotFound) and exc.field == "engineer_id":
            raise HTTPException(status_code=404, detail=exc.message) from exc
        if isinstance(exc, Conflict):
            raise _conflict(exc.message) from exc
        raise HTTPException(status_code=422, detail=[
            {"loc": ["body", exc.field or "body"], "msg": exc.message, "type": "value_error"}
        ]) from exc
    audit.record(
        session, action="engineer.created" if create else "engineer.updated",
        target=f"engineer:{engineer_id}", detail={"account": body.username, "can_review": engineer.can_review},
        **_actor(caller, request),
    )
    out = EngineerProfileOut(
        id=engineer.id, name=engineer.name, tier=engineer.tier, systems=engineer.systems,
        departments=engineer.departments, tags=engineer.tags, regions=engineer.regions,
        shifts=engineer.shifts, max_open=engineer.max_open, active=engineer.active,
        account=body.username or None, can_review=engineer.can_review,
    )
    session.commit()
    return out


@router.post(
    "/engineers", response_model=EngineerProfileOut, status_code=201,
    summary="Create an engineer profile (skills, departments, shifts, cap) and link an account",
    responses={409: {"model": ErrorOut, "description": "the id or the account is taken"}},
)
def create_engineer(
    body: EngineerCreateIn, request: Request, session: SessionDep,
    caller: Caller = Permission("engineers.manage"),
) -> EngineerProfileOut:
    return _save_engineer(session, request, caller, body.id, body, create=True)


@router.put(
    "/engineers/{engineer_id}", response_model=EngineerProfileOut,
    summary="Replace an engineer profile and its account link",
    responses={404: {"model": ErrorOut, "description": "no such engineer"},
               409: {"model": ErrorOut, "description": "the account is linked to another profile"}},
)
def update_engineer(
    engineer_id: Annotated[str, Path(max_length=64)], body: EngineerProfileIn, request: Request,
    session: SessionDep, caller: Caller = Permission("engineers.manage"),
) -> EngineerProfileOut:
    return _save_engineer(session, request, caller, engineer_id, body, create=False)
