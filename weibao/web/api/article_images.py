"""Images in articles over HTTP: authors upload, readers of the article fetch them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from weibao.core.db import session_scope
from weibao.kb.images import MAX_IMAGE_BYTES, ImageError, add_image, readable_image
from weibao.web.api.schemas import RowId
from weibao.web.api.tickets import Responses, actor_of
from weibao.web.deps import Caller
from weibao.web.security.errors import ErrorOut, SecurityProblem
from weibao.web.security.policy import Permission

router = APIRouter(tags=["authoring"])
NO_ARTICLE: Responses = {404: {"model": ErrorOut, "description": "no such article"}}
NO_IMAGE: Responses = {404: {"model": ErrorOut, "description": "no such image, or not for this reader"}}


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
