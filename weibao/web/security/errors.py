"""401, 403, 413, 422 and 429 answers: JSON with a message for the API, a page for people."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from weibao.web.i18n import request_lang
from weibao.web.templating import render


class ErrorOut(BaseModel):
    detail: str


class SecurityProblem(Exception):
    """Raised by the policy, sign-in and rate limits; turned into 401/403/429 answers."""

    def __init__(
        self, status_code: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers or {}


# Added to every API router so that OpenAPI lists the answers the policy can give.
PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorOut, "description": "the request body is not valid JSON"},
    401: {"model": ErrorOut, "description": "sign-in or a valid token is required"},
    403: {"model": ErrorOut, "description": "the caller's role does not allow this"},
    413: {"model": ErrorOut, "description": "request body too large"},
    429: {"model": ErrorOut, "description": "too many requests; see Retry-After"},
}


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api") or path == "/healthz"


# Refusals of text that no field may hold (see middleware.InputCharacterMiddleware).
_BAD_CHARACTER = {
    "nul": (
        "string_nul_character",
        "must not contain the NUL character (\\u0000)",
        {
            "zh": "{field}中含有不允许的空字符（U+0000），请删除后再提交。",
            "en": "{field} contains a character that is not allowed (NUL, U+0000); "
            "remove it and submit again.",
        },
    ),
    "surrogate": (
        "string_invalid_unicode",
        "must be valid Unicode (a lone surrogate such as \\ud800 is not)",
        {
            "zh": "{field}中含有无效的字符编码，请删除后再提交。",
            "en": "{field} contains invalid Unicode; remove it and submit again.",
        },
    ),
}


def _field_name(parts: Sequence[str | int], lang: str) -> str:
    """The field's path for people, each part quoted: “systems” item “0” (an item of a
    list-valued field is named by its index, as the API's loc names it)."""
    name = f"“{parts[0]}”"
    for part in parts[1:]:
        if isinstance(part, int):
            name += f"中序号为“{part}”的项" if lang == "zh" else f" item “{part}”"
        else:
            name += f"中的“{part}”" if lang == "zh" else f" → “{part}”"
    return name


def input_refusal(request: Request, loc: Sequence[str | int], kind: str) -> Response:
    """422 for a field holding NUL or a lone surrogate: FastAPI's shape for the API, a
    page in the UI language for people. The offending input is never echoed."""
    error_type, msg, page_text = _BAD_CHARACTER[kind]
    if wants_json(request):
        detail = [{"loc": list(loc), "msg": msg, "type": error_type}]
        return JSONResponse({"detail": detail}, status_code=422)
    lang = request_lang(request)
    message = page_text[lang].format(field=_field_name(loc[1:] or loc[:1], lang))
    return render(request, "problem.html", status_code=422, message=message, status=422)


def _encodable(value: Any) -> Any:
    """The value with whatever cannot be encoded as UTF-8 JSON replaced (U+FFFD)."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    return value


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own shape, but the echoed input may hold what UTF-8 cannot encode
        # (raw bytes, lone surrogates): such text is replaced, never a crash.
        try:
            detail = _encodable(jsonable_encoder(_encodable(exc.errors())))
        except Exception:  # an input the encoder cannot take: answer without the echo
            detail = _encodable(
                [
                    {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")),
                     "type": str(e.get("type", ""))}
                    for e in exc.errors()
                ]
            )
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(SecurityProblem)
    async def security_problem(request: Request, exc: SecurityProblem) -> Response:
        if wants_json(request):
            headers = dict(exc.headers)
            if exc.status_code == 401:
                headers.setdefault("WWW-Authenticate", "Bearer")
            return JSONResponse({"detail": exc.message}, exc.status_code, headers=headers)
        if exc.status_code == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        if exc.headers.get("X-Redirect"):
            return RedirectResponse(exc.headers["X-Redirect"], status_code=303)
        response = render(
            request, "problem.html", status_code=exc.status_code, message=exc.message,
            status=exc.status_code,
        )
        for key, value in exc.headers.items():
            response.headers[key] = value
        return response
