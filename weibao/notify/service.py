"""Notification channels per hospital and per engineer: add, list, remove, validate."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from weibao.core.accounts import Hospital
from weibao.notify.models import CHANNEL_KINDS, OWNER_KINDS, TOPICS, NotifyChannel
from weibao.routing.errors import Invalid, NotFound
from weibao.routing.models import Engineer

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,190}$")


def validate_target(kind: str, target: str) -> str:
    """The cleaned target; Invalid naming `target` when it cannot be one for `kind`."""
    target = target.strip()
    if kind == "email":
        if not _EMAIL.match(target):
            raise Invalid("target must be an e-mail address", "target")
        return target
    parts = urllib.parse.urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("target must be the robot's http(s) webhook URL", "target")
    if len(target) > 500:
        raise Invalid("target must be at most 500 characters", "target")
    return target


def display_target(channel: NotifyChannel) -> str:
    """The target as pages show it: an address, or a URL without its key."""
    if channel.kind == "email":
        return channel.target
    parts = urllib.parse.urlsplit(channel.target)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


def add_channel(
    session: Session, *, owner_kind: str, owner_id: str, kind: str, target: str,
    secret: str = "", topics: Sequence[str] = (),
) -> NotifyChannel:
    if owner_kind not in OWNER_KINDS:
        raise Invalid(f"owner_kind must be one of {', '.join(OWNER_KINDS)}", "owner_kind")
    if kind not in CHANNEL_KINDS:
        raise Invalid(f"kind must be one of {', '.join(CHANNEL_KINDS)}", "kind")
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise Invalid(f"topics must be among {', '.join(TOPICS)}", "topics")
    owner_model = Hospital if owner_kind == "hospital" else Engineer
    if session.get(owner_model, owner_id) is None:
        raise NotFound(f"no {owner_kind} {owner_id!r}", "owner_id")
    if secret and kind != "dingtalk":
        raise Invalid("only DingTalk robots take a signing secret", "secret")
    channel = NotifyChannel(
        owner_kind=owner_kind, owner_id=owner_id, kind=kind, target=validate_target(kind, target),
        secret=secret.strip()[:200], topics=list(dict.fromkeys(topics)), active=True,
    )
    session.add(channel)
    session.flush()
    return channel


def list_channels(session: Session) -> list[NotifyChannel]:
    return list(session.scalars(
        select(NotifyChannel).order_by(NotifyChannel.owner_kind, NotifyChannel.owner_id,
                                       NotifyChannel.id)))


def remove_channel(session: Session, channel_id: int) -> NotifyChannel:
    channel = session.get(NotifyChannel, channel_id)
    if channel is None:
        raise NotFound("no such channel", "channel_id")
    session.delete(channel)
    session.flush()
    return channel
