"""Images attached to articles (screenshots for a how-to), checked by their bytes.

Like ticket attachments (weibao.routing.attachments), an image is accepted only when Pillow
decodes it as PNG, JPEG, GIF or WebP, whatever its name or the browser's claim; SVG (which
can carry script) and everything else is refused. The bytes live in the database so that
every worker serves them; an image is readable by whoever may read its article.
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedString
from weibao.kb.audience import may_read
from weibao.kb.models import Article

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
# Below the app's 1 MB request body limit, with room for the multipart envelope.
MAX_IMAGE_BYTES = 900_000
MAX_IMAGES_PER_ARTICLE = 30
STAFF_ROLES = ("engineer", "manager", "admin")


class ImageError(ValueError):
    def __init__(self, message: str, field: str = "file", status_code: int = 422) -> None:
        super().__init__(message)
        self.message, self.field, self.status_code = message, field, status_code


class ArticleImage(Base):
    __tablename__ = "article_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(String(64), ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(MaskedString(120))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(100), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def image_type(data: bytes) -> str:
    """The image's MIME type from its bytes; ImageError naming `file` when not an allowed image."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageError("file: the file is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"file: larger than {MAX_IMAGE_BYTES} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()  # a truncated or forged file fails here
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        kind = None
    if kind not in IMAGE_TYPES:
        raise ImageError("file: only PNG, JPEG, GIF or WebP images")
    return IMAGE_TYPES[kind]


def clean_filename(name: str, default: str = "image") -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip(" .")
    return "".join(c for c in base if c.isprintable())[:120] or default


def add_image(session: Session, article_id: str, filename: str, data: bytes, actor: str) -> ArticleImage:
    if session.get(Article, article_id) is None:
        raise ImageError(f"no article {article_id}", "article_id", 404)
    kind = image_type(data)
    count = session.scalar(select(func.count()).select_from(ArticleImage).where(ArticleImage.article_id == article_id))
    if (count or 0) >= MAX_IMAGES_PER_ARTICLE:
        raise ImageError(f"file: an article holds at most {MAX_IMAGES_PER_ARTICLE} images")
    image = ArticleImage(article_id=article_id, filename=clean_filename(filename), content_type=kind,
                         size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_by=actor)
    session.add(image)
    session.flush()
    return image


def readable_image(session: Session, image_id: int, role: str, hospital_id: str | None) -> ArticleImage:
    """The image when its article is one `role` may read (drafts: vendor staff only); else 404."""
    image = session.get(ArticleImage, image_id)
    article = session.get(Article, image.article_id) if image else None
    if image is None or article is None or not readable_article(article, role, hospital_id):
        raise ImageError(f"no image {image_id}", "image_id", 404)
    return image


def readable_article(article: Article, role: str, hospital_id: str | None) -> bool:
    """Whether `role` may read the article's attachments: its audience, drafts for vendor
    staff only, a hospital's own article for that hospital (and the vendor)."""
    if not may_read(role, article.audience):
        return False
    live = article.status == "published" or (article.status != "archived" and article.published_version is not None)
    if not live and role not in STAFF_ROLES:
        return False
    return article.hospital_id is None or role in STAFF_ROLES or article.hospital_id == hospital_id
