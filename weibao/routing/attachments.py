"""Ticket attachments: screenshots and log files, treated as patient data.

A screenshot of a HIS screen shows patients, so an attachment is:
- accepted only when its bytes are a PNG, JPEG, GIF or WebP image (decoded with Pillow)
  or plain text (UTF-8 or GB18030, no control characters): whatever the name or the
  browser claim; SVG, HTML, PDF, archives and executables are refused;
- stored under DATA_DIR/attachments (never the web root) under a random key;
- read only through the ticket's scope, never indexed or searched;
- deleted, file and bytes, after the retention period (`purge_expired`); the row stays,
  marked purged, so the history still shows that something was attached.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from weibao.core.db import session_scope, utcnow
from weibao.routing.desk import Scope, TicketDesk
from weibao.routing.errors import Invalid, NotFound
from weibao.routing.events import add_event
from weibao.routing.followup_models import Attachment

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
TEXT_TYPE = "text/plain; charset=utf-8"
# Extensions given to a download, from the type the bytes proved to be (never the upload's).
EXTENSIONS = {**{v: "." + k.lower().replace("jpeg", "jpg") for k, v in IMAGE_TYPES.items()},
              TEXT_TYPE: ".txt"}
# Text files: a log may hold tabs and both line ends, nothing else below space.
_ALLOWED_CONTROL = {"\t", "\n", "\r", "\f"}


@dataclass(frozen=True, slots=True)
class Checked:
    content_type: str
    data: bytes


def _image_type(data: bytes) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()  # reads the whole structure: a truncated or forged file fails
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return IMAGE_TYPES.get(kind or "")


def _as_text(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROL for c in text):
            return None
        return text
    return None


def check_content(data: bytes, max_bytes: int) -> Checked:
    """The attachment's type from its bytes; Invalid (field `file`) when not allowed."""
    if not data:
        raise Invalid("the file is empty", "file")
    if len(data) > max_bytes:
        raise Invalid(f"the file is larger than {max_bytes} bytes", "file")
    kind = _image_type(data)
    if kind is not None:
        return Checked(kind, data)
    text = _as_text(data)
    if text is None:
        raise Invalid("only screenshots (PNG, JPEG, GIF, WebP) and plain-text log files", "file")
    # Stored as UTF-8, so a download never needs the browser to guess an encoding.
    return Checked(TEXT_TYPE, text.encode("utf-8"))


def clean_filename(name: str) -> str:
    """The uploader's file name without folders or control characters, at most 120 chars."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    return base[:120] or "attachment"


class AttachmentStore:
    """Attachments of tickets: save, list, open for download, purge after retention."""

    def __init__(
        self, desk: TicketDesk, folder: Path, max_bytes: int, retention: timedelta,
        per_ticket: int = 20,
    ) -> None:
        self.desk = desk
        self.folder = folder
        self.max_bytes = max_bytes
        self.retention = retention
        self.per_ticket = per_ticket

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.desk.sessions

    def _path(self, storage_key: str) -> Path:
        if not storage_key.isalnum():  # keys are ours (hex); never a path from outside
            raise ValueError("bad storage key")
        return self.folder / storage_key[:2] / storage_key

    def add(
        self, code: str, filename: str, data: bytes, actor: str, user_id: int | None,
        scope: Scope,
    ) -> Attachment:
        checked = check_content(data, self.max_bytes)
        key = secrets.token_hex(16)
        path = self._path(key)
        with session_scope(self.sessions) as session:
            ticket = self.desk._load(session, code, scope, lock=True)
            count = session.scalar(select(func.count()).select_from(Attachment).where(
                Attachment.ticket_id == ticket.id, Attachment.purged_at.is_(None)))
            if (count or 0) >= self.per_ticket:
                raise Invalid(f"a ticket holds at most {self.per_ticket} attachments", "file")
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written before the row commits; a failed commit leaves an orphan file that
            # nothing serves (the key is in no row), removed below.
            tmp = path.with_suffix(".part")
            tmp.write_bytes(checked.data)
            os.replace(tmp, path)
            try:
                attachment = Attachment(
                    ticket_id=ticket.id, hospital_id=ticket.hospital_id,
                    filename=clean_filename(filename), content_type=checked.content_type,
                    size=len(checked.data), sha256=hashlib.sha256(checked.data).hexdigest(),
                    storage_key=key, uploaded_by_user_id=user_id, uploaded_by=actor[:100],
                    uploaded_at=utcnow(),
                )
                session.add(attachment)
                session.flush()
                add_event(session, ticket, "attachment_added", actor,
                          {"attachment": attachment.id, "type": checked.content_type.split(";")[0]})
                session.flush()
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return attachment

    def list(self, ticket_id: int) -> list[Attachment]:
        with session_scope(self.sessions) as session:
            return list(session.scalars(
                select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)))

    def open(self, code: str, attachment_id: int, scope: Scope) -> tuple[Attachment, bytes]:
        """The attachment and its bytes, when the caller's scope may see the ticket."""
        with session_scope(self.sessions) as session:
            ticket = self.desk._load(session, code, scope)
            attachment = session.scalar(select(Attachment).where(
                Attachment.id == attachment_id, Attachment.ticket_id == ticket.id))
            if attachment is None:
                raise NotFound("no such attachment", "attachment")
            if attachment.purged_at is not None:
                raise NotFound("the attachment was deleted after its retention period", "attachment")
            path = self._path(attachment.storage_key)
            try:
                data = path.read_bytes()
            except FileNotFoundError as exc:
                raise NotFound("the attachment's file is missing", "attachment") from exc
            return attachment, data

    def purge_expired(self, now: datetime | None = None) -> int:
        """Deletes the files uploaded before the retention period; returns how many."""
        cutoff = (now or utcnow()) - self.retention
        purged = 0
        with session_scope(self.sessions) as session:
            rows = session.scalars(select(Attachment).where(
                Attachment.purged_at.is_(None), Attachment.uploaded_at < cutoff).with_for_update())
            for attachment in rows:
                self._path(attachment.storage_key).unlink(missing_ok=True)
                attachment.purged_at = now or utcnow()
                purged += 1
        return purged
