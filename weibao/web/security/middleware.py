"""Security headers on every answer and a cap on request bodies."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator, Sequence
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import parse_qsl, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from weibao.web.i18n import LANGS, translator

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
# The API docs run their vendored scripts (/static/vendor) from an inline start-up script,
# with inline styles and ReDoc's blob: worker; nothing from another origin.
DOCS_PATHS = ("/docs", "/redoc")
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = scope["path"].startswith(DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    if is_docs and key == "Content-Security-Policy":
                        value = DOCS_CSP
                    headers.setdefault(key, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooLarge(Exception):
    pass


def _is_api(path: str) -> bool:
    return path.startswith("/api") or path == "/healthz"


def _too_large_page(request: Request, limit: int) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    lang = lang if lang in LANGS else "zh"
    t = translator(lang)
    size = f"{limit / 1_000_000:.1f} MB" if limit >= 100_000 else f"{limit} bytes"
    title = html.escape(t("body_too_large_title"))
    text = html.escape(t("body_too_large_text").format(limit=size))
    back = html.escape(t("body_too_large_back"))
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="stylesheet" href="/static/style.css"></head>'
        f'<body><main><h1>{title}</h1><p class="error" role="alert">{text}</p>'
        f'<p><a href="{html.escape(_back_link(request))}">{back}</a></p></main></body></html>'
    )


def _back_link(request: Request) -> str:
    """The page the form was on (same site only), else the home page."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.headers.get("host", ""):
        return "/"
    path = referer.path if referer.path.startswith("/") and not referer.path.startswith("//") else "/"
    return path + (f"?{referer.query}" if referer.query and path != "/" else "")


class BodySizeLimitMiddleware:
    """413 when Content-Length, or the bytes actually received, exceed the limit."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, overrides: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # (path regex, limit): routes that take larger bodies (attachment uploads).
        self.overrides = [(re.compile(pattern), limit) for pattern, limit in overrides]

    def _limit(self, path: str) -> int:
        return next((limit for pattern, limit in self.overrides if pattern.fullmatch(path)),
                    self.max_bytes)

    async def _reject(self, scope: Scope, send: Send, limit: int) -> None:
        if _is_api(scope["path"]):
            body = json.dumps(
                {"detail": f"request body too large (limit {limit} bytes)"}
            ).encode()
            content_type = b"application/json"
        else:
            # A person sent a form (a file far above the limit, without the page's script
            # to stop it): a page in the UI language, not a bare JSON answer.
            body = _too_large_page(Request(scope), limit).encode()
            content_type = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    too_large = int(value) > limit
                except ValueError:
                    too_large = True
                if too_large:
                    await self._reject(scope, send, limit)
                    return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(scope, send, limit)


# Characters no stored text may hold: PostgreSQL text cannot take NUL, and a lone
# surrogate (only reachable through a JSON "\ud800" escape) cannot be encoded as UTF-8.
def bad_character(text: str) -> str | None:
    """"nul" or "surrogate" when the text holds such a character, else None."""
    if "\x00" in text:
        return "nul"
    if any("\ud800" <= c <= "\udfff" for c in text):
        return "surrogate"
    return None


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Loc = tuple[str | int, ...]
# Builds the refusal: (request, loc, kind) -> a response; kind is "nul" or "surrogate".
Refusal = Callable[[Request, Loc, str], Response]


def _walk(value: object, loc: Loc) -> tuple[Loc, str] | None:
    """The location and kind of the first bad string in a parsed JSON value, if any."""
    if isinstance(value, str):
        kind = bad_character(value)
        return (loc, kind) if kind else None
    if isinstance(value, dict):
        for key, item in value.items():
            kind = bad_character(key)
            if kind:
                return (*loc, _printable(key)), kind
            found = _walk(item, (*loc, key))
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _walk(item, (*loc, index))
            if found:
                return found
    return None


def _printable(name: str) -> str:
    """A field name safe to echo: the bad characters shown as escapes."""
    return "".join(
        c if c.isprintable() and not "\ud800" <= c <= "\udfff" else f"\\u{ord(c):04x}"
        for c in name
    )


def _body_params(dependant: Any) -> Iterator[Any]:
    """The body parameters of a route, its sub-dependencies' included."""
    yield from dependant.body_params
    for sub in dependant.dependencies:
        yield from _body_params(sub)


def _is_sequence(annotation: Any) -> bool:
    """list[str], list[str] | None, Optional[list[str]], ... (str and bytes are not)."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(_is_sequence(arg) for arg in get_args(annotation) if arg is not type(None))
    if origin is Annotated:
        return _is_sequence(get_args(annotation)[0])
    target = origin or annotation
    return isinstance(target, type) and issubclass(target, (list, tuple, set, frozenset))


def _content_type(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


class InputCharacterMiddleware:
    """422 naming the field for NUL or lone surrogates, before any handler runs.

    Looks at the path parameters, the query string and JSON or form bodies. The body
    is read whole (the body-size limit, outside this middleware, bounds it) and then
    replayed to the app. The refusal itself comes from `refuse(request, loc, kind)`:
    JSON for the API, a page for people.
    """

    def __init__(self, app: ASGIApp, *, routes: Sequence[Any], refuse: Refusal) -> None:
        self.app = app
        self.routes = routes  # the app's own list: routes added later are seen too
        self.refuse = refuse
        self._patterns: list[re.Pattern[str]] | None = None
        # (path pattern, methods, list-valued form fields) of each route that has such fields
        self._list_fields: list[tuple[re.Pattern[str], frozenset[str], frozenset[str]]] | None = None

    def _path_patterns(self) -> list[re.Pattern[str]]:
        if self._patterns is None:
            from weibao.web.security.policy import iter_api_routes

            self._patterns = [compile_path(r.path)[0] for r in iter_api_routes(self.routes)]
        return self._patterns

    def _path_problem(self, scope: Scope) -> tuple[Loc, str] | None:
        path = scope.get("path", "")
        kind = bad_character(path)
        if kind is None:
            return None
        # Name the path parameter that holds it, when a route's template matches.
        for pattern in self._path_patterns():
            match = pattern.match(path)
            if match is None:
                continue
            for name, value in match.groupdict().items():
                if bad_character(value):
                    return ("path", name), kind
        return ("path",), kind

    def _query_problem(self, scope: Scope) -> tuple[Loc, str] | None:
        query = scope.get("query_string", b"").decode("latin-1")
        for key, value in parse_qsl(query, keep_blank_values=True):
            kind = bad_character(key)
            if kind:
                return ("query", _printable(key)), kind
            kind = bad_character(value)
            if kind:
                return ("query", key), kind
        return None

    async def _body_problem(
        self, scope: Scope, body: bytes, content_type: str
    ) -> tuple[Loc, str] | None:
        if content_type in _FORM_TYPES:
            return await self._form_problem(scope, body)
        if content_type and not (
            content_type == "application/json"
            or (content_type.startswith("application/") and content_type.endswith("+json"))
        ):
            return None
        try:
            value = json.loads(body)
        except ValueError:
            return None  # the app answers malformed JSON itself
        return _walk(value, ("body",))

    def _list_form_fields(self, scope: Scope) -> frozenset[str]:
        """The form fields the matching route declares as lists (a list[str] Form)."""
        if self._list_fields is None:
            import fastapi.routing

            # Newer FastAPI keeps included routers as lazy branches; flatten them as the
            # policy does (weibao.web.security.policy.iter_api_routes).
            flatten = getattr(fastapi.routing, "iter_route_contexts", None)
            self._list_fields = []
            for item in flatten(self.routes) if flatten else self.routes:
                dependant = getattr(item, "dependant", None)
                if dependant is None or not hasattr(item, "path"):
                    continue
                names = frozenset(
                    field.alias for field in _body_params(dependant)
                    if _is_sequence(field.field_info.annotation)
                )
                if names:
                    self._list_fields.append(
                        (compile_path(item.path)[0], frozenset(item.methods or ()), names)
                    )
        path, method = scope.get("path", ""), scope.get("method", "")
        for pattern, methods, names in self._list_fields:
            if method in methods and pattern.match(path):
                return names
        return frozenset()

    async def _form_problem(self, scope: Scope, body: bytes) -> tuple[Loc, str] | None:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(scope, replay).form()
        except Exception:  # malformed forms are the app's to answer
            return None
        try:
            lists = self._list_form_fields(scope)
            seen: dict[str, int] = {}
            for key, value in form.multi_items():
                kind = bad_character(key)
                if kind:
                    return ("body", _printable(key)), kind
                index = seen.get(key, 0)
                seen[key] = index + 1
                text = value if isinstance(value, str) else (value.filename or "")
                kind = bad_character(text)
                if kind:
                    # A list-valued field is named down to the item, as FastAPI names its
                    # own errors there and as a JSON body's list is named.
                    return (("body", key, index) if key in lists else ("body", key)), kind
        finally:
            await form.close()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._path_problem(scope) or self._query_problem(scope)
        if problem is None and scope.get("method") in _BODY_METHODS:
            content_type = _content_type(scope)
            if not content_type or content_type in _FORM_TYPES or "json" in content_type:
                chunks = []
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        break  # the client went away
                    chunks.append(message.get("body", b""))
                    if not message.get("more_body", False):
                        break
                body = b"".join(chunks)
                problem = await self._body_problem(scope, body, content_type)
                receive = _replaying(body, receive)
        if problem is not None:
            loc, kind = problem
            response = self.refuse(Request(scope, receive), loc, kind)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the already-read body over once, then defers to the client."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
