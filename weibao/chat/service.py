"""Chat turns with their storage: sessions that expire, masked messages, the state.

The API and the CLI both call `ChatService.turn`; the conversation logic itself lives in
dialogue.py. Chat text is masked before anything reads or stores it and never logged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from weibao.chat import llm
from weibao.chat.dialogue import TEXTS, Assistant, Reply, State, TurnContext
from weibao.chat.models import ChatMessage, ChatSession
from weibao.core.db import session_scope, utcnow
from weibao.core.privacy import mask_pii, patterns_for


@dataclass(slots=True)
class Turn:
    session_id: str
    new_session: bool
    reply: Reply


class ChatService:
    def __init__(
        self,
        *,
        kb: Any,
        desk: Any | None,
        settings: Any,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.assistant = Assistant(kb, desk, min_confidence=settings.chat_min_confidence)

    def _load(
        self, session: Session, session_id: str | None, user_id: int | None, now: datetime
    ) -> ChatSession | None:
        """The caller's live session, or None (unknown, expired or someone else's)."""
        if not session_id:
            return None
        found = session.get(ChatSession, session_id[:36])
        if found is None or found.user_id != user_id or found.expires_at <= now:
            return None
        return found

    def turn(
        self,
        message: str,
        *,
        session_id: str | None = None,
        user_id: int | None = None,
        ctx: TurnContext = TurnContext(),
    ) -> Turn:
        """Answers one message and stores both sides, masked."""
        now = self.clock()
        masked = mask_pii(message.strip(), patterns_for(self.settings, ctx.hospital_id)).text
        with session_scope(self.sessions) as session:
            chat = self._load(session, session_id, user_id, now)
            history = (
                [(m.role, m.text) for m in session.scalars(
                    select(ChatMessage).where(ChatMessage.session_id == chat.id).order_by(ChatMessage.id)
                )]
                if chat is not None else []
            )
            state = State.from_json(chat.state if chat is not None else None)
        new_session = chat is None
        reply = self.assistant.respond(state, masked, ctx, lambda: history)
        if reply.answered and self.settings.chat_llm_url:
            reworded = llm.reword(
                url=self.settings.chat_llm_url, model=self.settings.chat_llm_model,
                timeout=self.settings.chat_llm_timeout, question=state.problem or masked,
                draft=reply.text, passages=reply.passages, lang=reply.language,
            )
            if reworded:
                reply.text = reworded
        if new_session and session_id:
            reply.text = f"{TEXTS['new_session'][reply.language]}\n{reply.text}"
        expires = now + timedelta(minutes=self.settings.chat_session_minutes)
        with session_scope(self.sessions) as session:
            if chat is None:
                chat = ChatSession(
                    id=str(uuid.uuid4()), hospital_id=ctx.hospital_id, user_id=user_id,
                    created_at=now, last_active_at=now, expires_at=expires, state={},
                )
                session.add(chat)
                session.flush()  # the messages' foreign key needs the row first
            else:
                chat = session.merge(chat)
            chat.state = state.to_json()
            chat.last_active_at = now
            chat.expires_at = expires
            for role, text, cites in (
                ("user", masked, []),
                ("assistant", mask_pii(reply.text).text, reply.citations),
            ):
                session.add(ChatMessage(
                    session_id=chat.id, hospital_id=ctx.hospital_id, role=role, text=text,
                    citations=cites, at=now,
                ))
            chat_id = chat.id
        return Turn(chat_id, new_session, reply)

    def transcript(self, session_id: str) -> list[tuple[str, str]]:
        """The stored (masked) messages of a session, oldest first."""
        with session_scope(self.sessions) as session:
            rows = session.scalars(
                select(ChatMessage).where(ChatMessage.session_id == session_id).order_by(ChatMessage.id)
            )
            return [(m.role, m.text) for m in rows]
