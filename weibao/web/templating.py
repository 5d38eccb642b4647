"""The HTML templates and `render`, shared by the pages and the error answers.

Imports nothing that imports it back: the security layer's problem pages render through
here, while the pages depend on the security layer.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from weibao.graph.taxonomy import AUDIENCES, DEPARTMENTS, LANGUAGES, SYMPTOMS, SYSTEMS
from weibao.web.i18n import request_lang, translator
from weibao.web.navigation import nav_for, nav_groups_for
from weibao.web.security.caller import ANONYMOUS
from weibao.web.security.session import csrf_token


def _security_context(request: Request) -> dict[str, object]:
    # csrf_token is a callable so that only pages with a form start a session.
    caller = getattr(request.state, "caller", ANONYMOUS)
    role = "anonymous" if caller.is_anonymous else caller.role
    return {
        "caller": caller,
        "nav_items": nav_for(role),
        "nav_groups": nav_groups_for(role),
        "csrf_token": lambda: csrf_token(request),
    }


templates = Jinja2Templates(
    directory=str(Path(__file__).parent / "templates"), context_processors=[_security_context]
)


def code_spans(text: object) -> Markup:
    """Text with `backtick` spans (commands, parameter names a person types as they are)
    shown as <code translate="no">; everything else escaped."""
    parts = str(text or "").split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: show the text as it is
        return Markup(escape(str(text or "")))
    return Markup("").join(escape(p) if i % 2 == 0 else Markup('<code translate="no">%s</code>') % p
                           for i, p in enumerate(parts))


templates.env.filters["code_spans"] = code_spans


def render(request: Request, name: str, status_code: int = 200, **context: object) -> Response:
    lang = request_lang(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "t": translator(lang),
            "systems": SYSTEMS,
            "symptoms": SYMPTOMS,
            "departments": DEPARTMENTS,
            "audiences": AUDIENCES,
            "languages": LANGUAGES,
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
