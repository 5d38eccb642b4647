"""Who is calling: the value every route's access check and every page's header reads.

Kept apart from `weibao.web.deps`, which finds the caller of a request, so that the page
templating (and through it the error pages) can name the anonymous caller without
importing the dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling. Every route names CallerDep, so access policy has one entry point."""

    role: str = "anonymous"
    user_id: int | None = None
    username: str | None = None
    hospital_id: str | None = None
    via: str = ""  # "session", "token" or "" for anonymous
    must_change_password: bool = False
    token_id: int | None = None  # the token a "token" caller authenticated with

    @property
    def is_anonymous(self) -> bool:
        return self.role == "anonymous"


ANONYMOUS = Caller()
