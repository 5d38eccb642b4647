"""Short videos attached to articles (a screen recording of a how-to), checked by their bytes.

Accepted: MP4 whose first box is `ftyp` with an MP4/ISO brand and whose tracks are H.264
video (`avc1`/`avc3`) and AAC audio (`mp4a`), and WebM (an EBML header with DocType
`webm` followed by a Segment). Anything else — QuickTime, HEVC, a renamed page — is
refused naming `file`, whatever its name or the browser's claim. The size limit is the
setting `article_video_max_mb` (WEIBAO_ARTICLE_VIDEO_MAX_MB); the app's request body
limit for the upload route follows it. Like images, the bytes live in the database and a
video is readable by whoever may read its article.
"""

from __future__ import annotations

import hashlib
import struct
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedString
from weibao.kb.images import ImageError, clean_filename, readable_article
from weibao.kb.models import Article

MAX_VIDEOS_PER_ARTICLE = 5
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"M4V "}
MP4_CODECS = {b"avc1", b"avc3", b"mp4a"}
# Boxes that hold the boxes leading to the sample descriptions (stsd).
MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
EBML_DOCTYPE = 0x4282
MKV_SEGMENT = 0x18538067

VideoError = ImageError


class ArticleVideo(Base):
    __tablename__ = "article_videos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(String(64), ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(MaskedString(120))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(100), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO-BMFF boxes in data[start:end];
    ValueError when a size runs past the end or is too small."""
    boxes = []
    at = start
    while at < end:
        if end - at < 8:
            raise ValueError("truncated box header")
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        header = 8
        if size == 1:
            if end - at < 16:
                raise ValueError("truncated large box")
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise ValueError("box size out of range")
        boxes.append((kind, at + header, at + size))
        at += size
    return boxes


def _mp4_codecs(data: bytes, start: int, end: int, depth: int = 0) -> list[bytes]:
    """The sample-entry types (codecs) under moov/trak/mdia/minf/stbl/stsd."""
    codecs: list[bytes] = []
    for kind, s, e in _boxes(data, start, end):
        if kind in MP4_CONTAINERS and depth < 8:
            codecs += _mp4_codecs(data, s, e, depth + 1)
        elif kind == b"stsd":
            if e - s < 8:
                raise ValueError("truncated stsd")
            codecs += [k for k, _, _ in _boxes(data, s + 8, e)]
    return codecs


def _is_mp4(data: bytes) -> bool:
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    try:
        boxes = _boxes(data, 0, len(data))
        _, s, e = boxes[0]
        brands = {data[s:s + 4]} | {data[i:i + 4] for i in range(s + 8, e - 3, 4)}
        if not brands & MP4_BRANDS:
            return False
        movies = [(s, e) for kind, s, e in boxes if kind == b"moov"]
        if len(movies) != 1:
            return False
        codecs = _mp4_codecs(data, *movies[0])
    except (ValueError, struct.error):
        return False
    return bool(codecs) and all(c in MP4_CODECS for c in codecs) and any(c in (b"avc1", b"avc3") for c in codecs)


def _vint(data: bytes, at: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at `at`: (value, length)."""
    if at >= len(data) or data[at] == 0:
        raise ValueError("bad EBML integer")
    first = data[at]
    length = 8 - first.bit_length() + 1
    if at + length > len(data):
        raise ValueError("truncated EBML integer")
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[at + 1:at + length]:
        value = (value << 8) | byte
    return value, length


def _is_webm(data: bytes) -> bool:
    if not data.startswith(EBML_MAGIC):
        return False
    try:
        _, id_len = _vint(data, 0, keep_marker=True)
        size, size_len = _vint(data, id_len, keep_marker=False)
        start = id_len + size_len
        end = start + size
        if end > len(data):
            return False
        doctype = None
        at = start
        while at < end:
            element, n = _vint(data, at, keep_marker=True)
            length, m = _vint(data, at + n, keep_marker=False)
            value_at = at + n + m
            if value_at + length > end:
                return False
            if element == EBML_DOCTYPE:
                doctype = data[value_at:value_at + length].rstrip(b"\x00")
            at = value_at + length
        segment, _ = _vint(data, end, keep_marker=True)
    except ValueError:
        return False
    return doctype == b"webm" and segment == MKV_SEGMENT


def video_type(data: bytes, max_bytes: int) -> str:
    """The video's MIME type from its bytes; VideoError naming `file` otherwise."""
    if not data:
        raise VideoError("file: the file is empty")
    if len(data) > max_bytes:
        raise VideoError(f"file: larger than {max_bytes} bytes")
    if _is_mp4(data):
        return "video/mp4"
    if _is_webm(data):
        return "video/webm"
    raise VideoError("file: only MP4 (H.264/AAC) or WebM videos")


def add_video(
    session: Session, article_id: str, filename: str, data: bytes, actor: str, max_bytes: int
) -> ArticleVideo:
    if session.get(Article, article_id) is None:
        raise VideoError(f"no article {article_id}", "article_id", 404)
    kind = video_type(data, max_bytes)
    count = session.scalar(select(func.count()).select_from(ArticleVideo).where(ArticleVideo.article_id == article_id))
    if (count or 0) >= MAX_VIDEOS_PER_ARTICLE:
        raise VideoError(f"file: an article holds at most {MAX_VIDEOS_PER_ARTICLE} videos")
    video = ArticleVideo(article_id=article_id, filename=clean_filename(filename, "video"), content_type=kind,
                         size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_by=actor)
    session.add(video)
    session.flush()
    return video


def readable_video(session: Session, video_id: int, role: str, hospital_id: str | None) -> ArticleVideo:
    """The video when its article is one `role` may read (drafts: vendor staff only); else 404."""
    video = session.get(ArticleVideo, video_id)
    article = session.get(Article, video.article_id) if video else None
    if video is None or article is None or not readable_article(article, role, hospital_id):
        raise VideoError(f"no video {video_id}", "video_id", 404)
    return video


def embed_html(video: ArticleVideo) -> str:
    """What the editor puts into the Markdown body: a block the sanitiser keeps."""
    return f'<video controls preload="metadata" src="/api/article-videos/{video.id}"></video>'
