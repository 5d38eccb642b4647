"""Images and short videos in articles over HTTP: authors upload, readers of the article
fetch them (videos also in byte ranges, as <video> players ask)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from weibao.core.db import session_scope
from weibao.kb.images import MAX_IMAGE_BYTES, ImageError, add_image, readable_image
from weibao.kb.videos import add_video, embed_html, readable_video
from weibao.web.api.schemas import RowId
from weibao.web.api.tickets import Responses, actor_of
from weibao.web.deps import Caller
from weibao.web.security.errors import ErrorOut, SecurityProblem
from weibao.web.security.policy import Permission

router = APIRouter(tags=["authoring"])
NO_ARTICLE: Responses = {404: {"model": ErrorOut, "description": "no such article"}}
NO_IMAGE: Responses = {404: {"model": ErrorOut, "description": "no such image, or not for this reader"}}
NO_VIDEO: Responses = {404: {"model": ErrorOut, "description": "no such video, or not for this reader"},
                       416: {"model": ErrorOut, "description": "the byte range is outside the video"}}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _error(exc: ImageError, where: str) -> Exception:
    if exc.status_code == 422:
        return RequestValidationError([{"loc": [where, exc.field], "msg": exc.message, "type": "value_error"}])
    return SecurityProblem(exc.status_code, exc.message)


@router.post("/api/articles/{article_id}/images", status_code=201, responses=NO_ARTICLE,
             summary="Attach an image (PNG, JPEG, GIF, WebP; checked by content) to an article")
async def upload_image(request: Request, article_id: Annotated[str, Path(max_length=64)],
                       file: Annotated[UploadFile, File(description="the image")],
                       caller: Caller = Permission("articles.write")) -> dict[str, Any]:
    data = await file.read(MAX_IMAGE_BYTES + 1)
    try:
        with session_scope(request.app.state.database.sessions) as session:
            image = add_image(session, article_id, file.filename or "", data, actor_of(caller))
            url = f"/api/article-images/{image.id}"
            return {"id": image.id, "url": url, "content_type": image.content_type, "size": image.size,
                    "markdown": f"![{image.filename}]({url})"}
    except ImageError as exc:
        raise _error(exc, "body") from exc


@router.get("/api/article-images/{image_id}", response_model=None, responses=NO_IMAGE,
            summary="An article's image, for whoever may read the article")
def get_image(request: Request, image_id: RowId, caller: Caller = Permission("kb.read")) -> Response:
    try:
        with session_scope(request.app.state.database.sessions) as session:
            image = readable_image(session, image_id, caller.role, caller.hospital_id)
            body, kind = image.data, image.content_type
    except ImageError as exc:
        raise _error(exc, "path") from exc
    return Response(body, media_type=kind, headers={"Cache-Control": "private, max-age=3600",
                                                    "X-Content-Type-Options": "nosniff"})


@router.post("/api/articles/{article_id}/videos", status_code=201, responses=NO_ARTICLE,
             summary="Attach a short video (MP4 H.264/AAC or WebM, checked by content; at most "
             "WEIBAO_ARTICLE_VIDEO_MAX_MB) to an article")
async def upload_video(request: Request, article_id: Annotated[str, Path(max_length=64)],
                       file: Annotated[UploadFile, File(description="the video")],
                       caller: Caller = Permission("articles.write")) -> dict[str, Any]:
    limit = request.app.state.settings.article_video_max_bytes
    data = await file.read(limit + 1)
    try:
        with session_scope(request.app.state.database.sessions) as session:
            video = add_video(session, article_id, file.filename or "", data, actor_of(caller), limit)
            return {"id": video.id, "url": f"/api/article-videos/{video.id}", "content_type": video.content_type,
                    "size": video.size, "markdown": embed_html(video)}
    except ImageError as exc:
        raise _error(exc, "body") from exc


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `Range: bytes=` request; None for the whole file;
    SecurityProblem 416 when it lies outside."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None or match.groups() == ("", ""):
        return None  # several ranges or another unit: the whole file, as RFC 9110 allows
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    if start >= size or start > end:
        raise SecurityProblem(416, "range not satisfiable", {"Content-Range": f"bytes */{size}"})
    return start, end


@router.get("/api/article-videos/{video_id}", response_model=None, responses=NO_VIDEO,
            summary="An article's video, for whoever may read the article (byte ranges answered)")
def get_video(request: Request, video_id: RowId, caller: Caller = Permission("kb.read")) -> Response:
    try:
        with session_scope(request.app.state.database.sessions) as session:
            video = readable_video(session, video_id, caller.role, caller.hospital_id)
            body, kind, name = video.data, video.content_type, video.filename
    except ImageError as exc:
        raise _error(exc, "path") from exc
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
               "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}", "Accept-Ranges": "bytes"}
    span = _byte_range(request.headers.get("range"), len(body))
    if span is None:
        return Response(body, media_type=kind, headers=headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
    return Response(body[start:end + 1], status_code=206, media_type=kind, headers=headers)
