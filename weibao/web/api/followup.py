"""The reporter's follow-up API: reply, attachments, confirm or reopen, rating.

The domain (`routing.followup`, `routing.attachments`) decides; this maps HTTP to it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from weibao.core import audit
from weibao.core.db import session_scope
from weibao.routing.attachments import EXTENSIONS, AttachmentStore
from weibao.routing.desk import TicketDesk
from weibao.routing.errors import Invalid
from weibao.routing.followup import MAX_RATING_COMMENT, FollowUp
from weibao.routing.followup_models import Attachment, Rating
from weibao.web.api.tickets import (
    CONFLICT,
    NOT_FOUND,
    STRICT_BODY,
    TicketOut,
    actor_of,
    desk_errors,
    full_ticket,
    scope_of,
)
from weibao.web.deps import Caller, DeskDep
from weibao.web.security.errors import ErrorOut
from weibao.web.security.policy import Permission
from weibao.web.security.ratelimit import client_address

router = APIRouter(prefix="/api", tags=["follow-up"])


def get_followup(request: Request, desk: DeskDep) -> FollowUp:
    settings = request.app.state.settings
    return FollowUp(desk, timedelta(days=settings.followup_window_days))


def attachment_store(request: Request, desk: TicketDesk) -> AttachmentStore:
    settings = request.app.state.settings
    return AttachmentStore(
        desk, settings.data_dir / "attachments", settings.attachment_max_bytes,
        timedelta(days=settings.attachment_retention_days), settings.attachments_per_ticket,
    )


def get_attachments(request: Request, desk: DeskDep) -> AttachmentStore:
    return attachment_store(request, desk)


FollowUpDep = Annotated[FollowUp, Depends(get_followup)]
AttachmentsDep = Annotated[AttachmentStore, Depends(get_attachments)]


class ReplyIn(BaseModel):
    model_config = STRICT_BODY

    body: str = Field(min_length=1, max_length=10_000)


class ReopenIn(BaseModel):
    model_config = STRICT_BODY

    reason: str = Field(min_length=1, max_length=500, description="what still does not work")


class RatingIn(BaseModel):
    model_config = STRICT_BODY

    score: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=MAX_RATING_COMMENT)


class RatingOut(BaseModel):
    score: int
    comment: str
    at: str


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: str
    purged: bool
    url: str | None = Field(description="download link; null once purged after retention")


def attachment_payload(code: str, attachment: Attachment) -> dict[str, object]:
    purged = attachment.purged_at is not None
    return {
        "id": attachment.id, "filename": attachment.filename,
        "content_type": attachment.content_type.split(";")[0], "size": attachment.size,
        "uploaded_by": attachment.uploaded_by, "uploaded_at": attachment.uploaded_at.isoformat(),
        "purged": purged,
        "url": None if purged else f"/api/tickets/{code}/attachments/{attachment.id}",
    }


def rating_payload(rating: Rating) -> dict[str, object]:
    return {"score": rating.score, "comment": rating.comment, "at": rating.at.isoformat()}


def download_response(attachment: Attachment, data: bytes) -> Response:
    """The bytes as a download that no browser renders or sniffs, and nobody caches."""
    extension = EXTENSIONS.get(attachment.content_type, ".bin")
    name = attachment.filename.rsplit(".", 1)[0] if "." in attachment.filename else attachment.filename
    filename = f"{name or 'attachment'}{extension}"
    ascii_name = f"attachment-{attachment.id}{extension}"
    return Response(
        content=data, media_type=attachment.content_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "X-Robots-Tag": "noindex, nofollow",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def audit_download(request: Request, caller: Caller, code: str, attachment: Attachment) -> None:
    with session_scope(request.app.state.database.sessions) as session:
        audit.record(
            session, action="ticket.attachment_downloaded", actor_user_id=caller.user_id,
            actor_name=caller.username or "", actor_role=caller.role,
            hospital_id=attachment.hospital_id, target=f"ticket:{code}",
            ip=client_address(request), detail={"attachment": attachment.id},
        )


# ---- routes ----------------------------------------------------------------------------
@router.post("/tickets/{code}/reply", response_model=TicketOut, status_code=201,
             responses=NOT_FOUND, summary="The reporter's reply; it ends a wait on the hospital")
def reply(code: str, body: ReplyIn, desk: DeskDep, followup: FollowUpDep,
          caller: Caller = Permission("tickets.follow_up")) -> dict[str, object]:
    with desk_errors():
        followup.reply(code, actor_of(caller), body.body, scope_of(caller))
        ticket = desk.get(code, scope_of(caller))
    return full_ticket(desk, ticket)


@router.post("/tickets/{code}/confirm", response_model=TicketOut, responses={**NOT_FOUND, **CONFLICT},
             summary="The reporter confirms the fix within the window: resolved → closed")
def confirm(code: str, desk: DeskDep, followup: FollowUpDep,
            caller: Caller = Permission("tickets.follow_up")) -> dict[str, object]:
    with desk_errors():
        ticket = followup.confirm(code, actor_of(caller), scope_of(caller))
    return full_ticket(desk, ticket)


@router.post("/tickets/{code}/reopen", response_model=TicketOut, responses={**NOT_FOUND, **CONFLICT},
             summary="The fix did not hold: reopen within the window, saying why")
def reopen(code: str, body: ReopenIn, desk: DeskDep, followup: FollowUpDep,
           caller: Caller = Permission("tickets.follow_up")) -> dict[str, object]:
    with desk_errors():
        ticket = followup.reopen(code, actor_of(caller), body.reason, scope_of(caller))
    return full_ticket(desk, ticket)


@router.post("/tickets/{code}/rating", response_model=RatingOut, responses={**NOT_FOUND, **CONFLICT},
             summary="Rate the resolution 1–5 with a comment (a new rating replaces the last)")
def rate(code: str, body: RatingIn, followup: FollowUpDep,
         caller: Caller = Permission("tickets.follow_up")) -> dict[str, object]:
    with desk_errors():
        rating = followup.rate(code, body.score, body.comment, actor_of(caller), caller.user_id,
                               scope_of(caller))
    return rating_payload(rating)


@router.post("/tickets/{code}/attachments", response_model=AttachmentOut, status_code=201,
             responses={**NOT_FOUND, 413: {"model": ErrorOut, "description": "file too large"}},
             summary="Attach a screenshot (PNG, JPEG, GIF, WebP) or a plain-text log file")
async def upload(code: str, request: Request, desk: DeskDep,
                 file: Annotated[UploadFile, File(description="the screenshot or log file")],
                 caller: Caller = Permission("tickets.attach")) -> dict[str, object]:
    from starlette.concurrency import run_in_threadpool

    store = attachment_store(request, desk)
    data = await file.read(store.max_bytes + 1)
    with desk_errors():
        if len(data) > store.max_bytes:
            raise Invalid(f"the file is larger than {store.max_bytes} bytes", "file")
        attachment = await run_in_threadpool(
            store.add, code, file.filename or "", data, actor_of(caller), caller.user_id,
            scope_of(caller),
        )
    return attachment_payload(code, attachment)


@router.get("/tickets/{code}/attachments", response_model=list[AttachmentOut], responses=NOT_FOUND,
            summary="The ticket's attachments")
def list_attachments(code: str, desk: DeskDep, store: AttachmentsDep,
                     caller: Caller = Permission("tickets.read")) -> list[dict[str, object]]:
    with desk_errors():
        ticket = desk.get(code, scope_of(caller))
    return [attachment_payload(code, a) for a in store.list(ticket.id)]


@router.get("/tickets/{code}/attachments/{attachment_id}", response_class=Response,
            responses={**NOT_FOUND, 200: {"content": {"application/octet-stream": {}},
                                          "description": "the file, as a download"}},
            summary="Download an attachment (audited)")
def download(code: str, attachment_id: Annotated[int, Path(ge=1, le=2**31 - 1)], request: Request,
             store: AttachmentsDep,
             caller: Caller = Permission("tickets.read")) -> Response:
    with desk_errors():
        attachment, data = store.open(code, attachment_id, scope_of(caller))
    audit_download(request, caller, code, attachment)
    return download_response(attachment, data)
