"""Rate limits as route dependencies: each caller is counted under one key.

Who is counted: a signed-in caller by user id (`user:<id>`, whether the request came with
the session cookie or an API token), an anonymous caller by client address (`ip:<addr>`).
Signed-in callers are never also counted by address: a hospital behind one NAT address
would otherwise share one bucket. Tokens count against their user, not per token: anyone
signed in may mint tokens, so a per-token bucket would multiply the limit.

The counting itself is weibao.web.security.limiter, which sits below weibao.web.deps (the
caller's authentication counts failed tokens) while this module sits above it.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from weibao.web.deps import get_caller
from weibao.web.security.limiter import (
    DatabaseRateLimiter,
    Limiter,
    RateLimiter,
    check_rate,
    client_address,
)

__all__ = [
    "DatabaseRateLimiter", "Limiter", "RateLimiter", "check_rate", "client_address",
    "has_query", "principal_key", "rate_limit",
]


def principal_key(request: Request) -> str:
    """`user:<id>` for a signed-in caller (session or token), else `ip:<address>`."""
    caller = get_caller(request)
    if caller.user_id is not None:
        return f"user:{caller.user_id}"
    return f"ip:{client_address(request)}"


def has_query(request: Request) -> bool:
    """True when the request asks something (?q= not blank): the search page's counted hits."""
    return bool(request.query_params.get("q", "").strip())


def rate_limit(
    name: str, *, when: Callable[[Request], bool] | None = None
) -> Callable[[Request], None]:
    """A dependency that applies limit `name` (settings.<name>_rate_per_minute) to the caller.

    `when`, if given, decides which requests count (e.g. only page loads that search).
    """

    def dependency(request: Request) -> None:
        if when is not None and not when(request):
            return
        check_rate(request, name, [principal_key(request)])

    dependency.__name__ = f"rate_limit_{name}"
    return dependency
