"""UI strings in Simplified Chinese (default) and English.

The strings live in Babel .po catalogues under weibao/web/locale/ (one domain per feature
area, read at import by weibao.web.catalogues; a broken catalogue stops start-up). The
ticket statuses' names are the exception: they stay generated here from
weibao.routing.models.STATUS_NAMES, their one definition, which notify and chat use too.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from weibao.routing.models import STATUS_NAMES
from weibao.web.catalogues import CatalogueError, load

LANGS = ("zh", "en")


def _messages() -> dict[str, dict[str, str]]:
    messages = load()
    for status, (zh, en) in STATUS_NAMES.items():
        if f"status_{status}" in messages:
            raise CatalogueError(
                f"UI message key 'status_{status}' is generated from STATUS_NAMES; remove it from the catalogues"
            )
        messages[f"status_{status}"] = {"zh": zh, "en": en}
    return messages


# key → {"zh": text, "en": text}
MESSAGES: dict[str, dict[str, str]] = _messages()


def request_lang(request: Request) -> str:
    """?lang= wins, then the lang cookie, then Chinese."""
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in LANGS else "zh"


def translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        entry = MESSAGES.get(key)
        return entry.get(lang, entry["zh"]) if entry else key

    return t
