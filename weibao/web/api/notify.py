"""Notification channels of hospitals and engineers, and the outbox (admins)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from weibao.core import audit
from weibao.core.db import session_scope
from weibao.notify import outbox, service
from weibao.notify.models import NotifyChannel, OutboxMessage
from weibao.web.api.tickets import NOT_FOUND, STRICT_BODY, desk_errors
from weibao.web.deps import Caller
from weibao.web.security.policy import Permission
from weibao.web.security.ratelimit import client_address

router = APIRouter(prefix="/api/notify", tags=["notifications"])
Topic = Literal["assignment", "escalation", "sla_warning", "reply", "resolution"]


class ChannelIn(BaseModel):
    model_config = STRICT_BODY

    owner_kind: Literal["hospital", "engineer"]
    owner_id: str = Field(min_length=1, max_length=64)
    kind: Literal["email", "wecom", "dingtalk"]
    target: str = Field(min_length=3, max_length=500, description="e-mail address or robot webhook URL")
    secret: str = Field("", max_length=200, description="DingTalk 加签 secret")
    topics: list[Topic] = Field(default_factory=list, description="empty = every topic")


class ChannelOut(BaseModel):
    id: int
    owner_kind: str
    owner_id: str
    kind: str
    target: str = Field(description="the address, or the URL without its key")
    topics: list[str]
    active: bool


class OutboxOut(BaseModel):
    id: int
    channel_id: int
    topic: str
    subject: str
    status: str
    attempts: int
    last_error: str
    next_attempt_at: str
    sent_at: str | None


def channel_payload(channel: NotifyChannel) -> dict[str, object]:
    return {"id": channel.id, "owner_kind": channel.owner_kind, "owner_id": channel.owner_id,
            "kind": channel.kind, "target": service.display_target(channel),
            "topics": list(channel.topics or []), "active": channel.active}


def outbox_payload(message: OutboxMessage) -> dict[str, object]:
    return {"id": message.id, "channel_id": message.channel_id, "topic": message.topic,
            "subject": message.subject, "status": message.status, "attempts": message.attempts,
            "last_error": message.last_error, "next_attempt_at": message.next_attempt_at.isoformat(),
            "sent_at": message.sent_at.isoformat() if message.sent_at else None}


def record(request: Request, caller: Caller, action: str, channel: NotifyChannel) -> None:
    with session_scope(request.app.state.database.sessions) as session:
        audit.record(session, action=action, actor_user_id=caller.user_id,
                     actor_name=caller.username or "", actor_role=caller.role,
                     hospital_id=channel.owner_id if channel.owner_kind == "hospital" else None,
                     target=f"notify_channel:{channel.id}", ip=client_address(request),
                     detail={"owner_kind": channel.owner_kind, "owner_id": channel.owner_id,
                             "kind": channel.kind})


@router.get("/channels", response_model=list[ChannelOut], summary="Notification channels")
def channels(request: Request, caller: Caller = Permission("notify.manage")) -> list[dict[str, object]]:
    with session_scope(request.app.state.database.sessions) as session:
        return [channel_payload(c) for c in service.list_channels(session)]


@router.post("/channels", response_model=ChannelOut, status_code=201, responses=NOT_FOUND,
             summary="Add an e-mail address or a WeCom/DingTalk robot for a hospital or an engineer")
def add_channel(body: ChannelIn, request: Request,
                caller: Caller = Permission("notify.manage")) -> dict[str, object]:
    with desk_errors(), session_scope(request.app.state.database.sessions) as session:
        channel = service.add_channel(
            session, owner_kind=body.owner_kind, owner_id=body.owner_id, kind=body.kind,
            target=body.target, secret=body.secret, topics=body.topics,
        )
        payload = channel_payload(channel)
    record(request, caller, "notify.channel_added", channel)
    return payload


@router.delete("/channels/{channel_id}", status_code=204, responses=NOT_FOUND,
               summary="Remove a channel (its queued messages go with it)")
def remove_channel(channel_id: Annotated[int, Path(ge=1, le=2**31 - 1)], request: Request,
                   caller: Caller = Permission("notify.manage")) -> Response:
    with desk_errors(), session_scope(request.app.state.database.sessions) as session:
        channel = service.remove_channel(session, channel_id)
    record(request, caller, "notify.channel_removed", channel)
    return Response(status_code=204)


@router.get("/outbox", response_model=list[OutboxOut], summary="The latest notifications and their delivery")
def recent_outbox(request: Request, caller: Caller = Permission("notify.manage")) -> list[dict[str, object]]:
    return [outbox_payload(m) for m in outbox.recent(request.app.state.database.sessions)]
