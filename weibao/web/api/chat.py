"""POST /api/chat: one turn of the grounded assistant. The logic lives in weibao.chat."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from pydantic import BaseModel, Field, StringConstraints

from weibao.chat.dialogue import TurnContext
from weibao.chat.service import ChatService
from weibao.core.accounts import HOSPITAL_ROLES
from weibao.kb.audience import readable_audiences
from weibao.web.api.schemas import Tagged
from weibao.web.deps import Caller, KnowledgeBaseDep, OptionalDeskDep
from weibao.web.query_log import record_chat
from weibao.web.security.policy import Permission
from weibao.web.security.ratelimit import rate_limit

MAX_MESSAGE_CHARS = 2000

router = APIRouter(prefix="/api", tags=["chat"])





class ChatIn(BaseModel):
    session_id: str | None = Field(
        default=None, max_length=64, description="from the previous reply; omit to start"
    )
    message: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS)
    ] = Field(description="the user's words, Chinese or English (1–2000 characters)")
    hospital_id: str | None = Field(
        default=None, max_length=64,
        description="vendor staff: the hospital the chat is about; hospital staff: ignored",
    )


class CitationOut(BaseModel):
    id: str
    kind: Literal["article", "ticket"]
    title: str
    url: str
    passage: str = Field(description="the cited text the reply is built from")


class UnderstoodOut(Tagged):
    department: str | None = None


class TicketPrefillOut(BaseModel):
    hospital_id: str | None
    title: str
    description: str = Field(description="the whole conversation, masked")
    system: str | None
    symptom: str | None
    department: str | None
    tried_articles: list[str]


class OpenTicketAction(BaseModel):
    type: Literal["open_ticket"]
    prefill: TicketPrefillOut
    url: str = Field(description="/tickets/new with the prefill as query parameters")


class TicketStatusAction(BaseModel):
    type: Literal["ticket_status"]
    code: str
    status: str
    assignee: str | None
    priority: str
    response_due: datetime | None
    resolution_due: datetime | None
    timezone: str
    url: str


class ShowArticleAction(BaseModel):
    type: Literal["show_article"]
    id: str
    kind: Literal["article", "ticket"]
    title: str
    url: str


Action = Annotated[
    OpenTicketAction | TicketStatusAction | ShowArticleAction, Field(discriminator="type")
]


class ChatOut(BaseModel):
    session_id: str
    reply: str
    language: Literal["zh", "en"]
    citations: list[CitationOut]
    understood: UnderstoodOut
    follow_up: str | None = Field(default=None, description="the one question asked back")
    actions: list[Action]
    confidence: float = Field(ge=0, le=1, description="retrieval confidence of the answer")
    new_session: bool = Field(description="true when a new session began (the old one expired)")


def _context(caller: Caller, requested: str | None) -> TurnContext:
    """Hospital staff always speak for their own hospital; vendor staff may name one."""
    audiences = readable_audiences(caller.role)
    if caller.role in HOSPITAL_ROLES:
        return TurnContext(
            hospital_id=caller.hospital_id, ticket_scope=caller.hospital_id, audiences=audiences
        )
    if requested:
        return TurnContext(hospital_id=requested, ticket_scope=requested, audiences=audiences)
    return TurnContext(all_hospitals=True, audiences=audiences)


@router.post(
    "/chat",
    response_model=ChatOut,
    summary="One turn of the chat assistant (grounded answers, follow-up, ticket hand-over)",
    dependencies=[Depends(rate_limit("chat"))],
)
def chat(
    body: ChatIn,
    request: Request,
    kb: KnowledgeBaseDep,
    desk: OptionalDeskDep,
    background: BackgroundTasks,
    caller: Caller = Permission("chat.use"),
) -> dict[str, object]:
    service = ChatService(
        kb=kb, desk=desk, settings=request.app.state.settings,
        sessions=request.app.state.database.sessions,
    )
    turn = service.turn(
        body.message, session_id=body.session_id, user_id=caller.user_id,
        ctx=_context(caller, body.hospital_id),
    )
    reply = turn.reply
    record_chat(background, request, caller, body.message, reply, body.hospital_id)  # knowledge gaps
    return {
        "session_id": turn.session_id,
        "reply": reply.text,
        "language": reply.language,
        "citations": reply.citations,
        "understood": {
            "systems": reply.systems, "symptoms": reply.symptoms, "department": reply.department,
        },
        "follow_up": reply.follow_up,
        "actions": reply.actions,
        "confidence": reply.confidence,
        "new_session": turn.new_session,
    }
