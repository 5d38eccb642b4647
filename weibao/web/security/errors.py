"""401, 403, 413 and 429 answers: JSON with a message for the API, a page for people."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel


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


def install_error_handlers(app: FastAPI) -> None:
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
        from weibao.web.pages import render

        response = render(
            request, "problem.html", status_code=exc.status_code, message=exc.message,
            status=exc.status_code,
        )
        for key, value in exc.headers.items():
            response.headers[key] = value
        return response
