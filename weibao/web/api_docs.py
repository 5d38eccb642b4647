"""The API's documentation pages, offline, and the security schemes in its OpenAPI.

`/docs` (Swagger UI) and `/redoc` load their scripts from `/static/vendor/` (copied from
the npm packages `swagger-ui-dist` and `redoc`, see static/vendor/README.md), never a
CDN. The OpenAPI document declares how callers authenticate — a Bearer token or the
session cookie — and marks every operation that needs either.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

from weibao.web.security.policy import PUBLIC, iter_api_routes, require
from weibao.web.security.session import COOKIE_NAME

VENDOR = "/static/vendor"
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http", "scheme": "bearer", "bearerFormat": "wb_…",
        "description": "A personal API token (`weibao token create`, or POST /api/tokens).",
    },
    "cookieAuth": {
        "type": "apiKey", "in": "cookie", "name": COOKIE_NAME,
        "description": "The browser session after /login; unsafe methods also need the "
                       "X-CSRF-Token header.",
    },
}


def openapi_with_security(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with the schemes and each operation's requirement."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    permissions = {(route.path, method.lower()): route.permission
                   for route in iter_api_routes(app.routes) for method in route.methods}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            permission = permissions.get((path, method))
            if permission is None or permission == PUBLIC:
                continue
            # kb.read is open to anonymous callers while PUBLIC_SEARCH is on: {} = optional.
            optional: list[dict[str, list[str]]] = [{}] if permission == "kb.read" else []
            operation["security"] = [{"bearerAuth": []}, {"cookieAuth": []}, *optional]
            operation.setdefault("description", "")
            operation["description"] = (
                f"{operation['description']}\n\nPermission: `{permission}`".strip()
            )
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    """Adds /docs and /redoc over the vendored assets (create the app with docs_url=None)."""
    from fastapi import Depends

    public = [Depends(require(PUBLIC))]

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse, dependencies=public)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} · API",
            swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False, response_class=HTMLResponse, dependencies=public)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} · API",
            redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png", with_google_fonts=False,
        )

    app.openapi = lambda: openapi_with_security(app)  # type: ignore[method-assign]
