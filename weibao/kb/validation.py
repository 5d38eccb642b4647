"""Checks on search input shared by the API and the CLI; errors name the parameter."""

from __future__ import annotations

from weibao.graph.taxonomy import AUDIENCES, LANGUAGES, SYMPTOMS, SYSTEMS
from weibao.kb.index import Filters

MAX_QUERY_CHARS = 1000
MAX_TOP_K = 100
DOCUMENT_KINDS = ("article", "ticket")


class InvalidParameter(ValueError):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


def check_query(q: str | None, param: str = "q", max_chars: int = MAX_QUERY_CHARS) -> str:
    text = (q or "").strip()
    if not text:
        raise InvalidParameter(param, "must not be empty")
    if len(text) > max_chars:
        raise InvalidParameter(param, f"must be at most {max_chars} characters (got {len(text)})")
    return text


def check_top_k(top_k: int, param: str = "top_k") -> int:
    if not 1 <= top_k <= MAX_TOP_K:
        raise InvalidParameter(param, f"must be between 1 and {MAX_TOP_K} (got {top_k})")
    return top_k


def check_choice(value: str | None, valid: dict | tuple, param: str) -> str | None:
    if value is None or value == "":
        return None
    if value not in valid:
        raise InvalidParameter(param, f"unknown value {value!r}; valid: {', '.join(sorted(valid))}")
    return value


def make_filters(
    system: str | None = None,
    symptom: str | None = None,
    audience: str | None = None,
    lang: str | None = None,
    kind: str | None = None,
    readable: tuple[str, ...] = (),
) -> Filters:
    """The search filters from request parameters; `readable` is who the reader is (the
    audiences weibao.kb.audience lets them see), never a parameter they choose."""
    system = check_choice(system, SYSTEMS, "system")
    kind = check_choice(kind, DOCUMENT_KINDS, "kind")
    symptom = check_choice(symptom, SYMPTOMS, "symptom")
    audience = check_choice(audience, AUDIENCES, "audience")
    lang = check_choice(lang, LANGUAGES, "lang")
    return Filters(
        systems=(system,) if system else (),
        symptoms=(symptom,) if symptom else (),
        audience=audience,
        language=lang,
        kinds=(kind,) if kind else (),
        readable=readable,
    )
