"""In-memory sliding-window rate limits, per user and per client address."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from fastapi import Request

from weibao.web.security.errors import SecurityProblem

WINDOW_SECONDS = 60.0


class RateLimiter:
    """Counts hits per key in the last `window` seconds. One per app; not shared by workers."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, window: float = WINDOW_SECONDS) -> float | None:
        """Records a hit; returns seconds to wait when the key is over its limit, else None."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                return max(hits[0] + window - now, 0.001)
            hits.append(now)
            if len(self._hits) > 50_000:
                self._prune(now, window)
            return None

    def _prune(self, now: float, window: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - window]:
            del self._hits[key]


def client_address(request: Request) -> str:
    # The direct peer; behind a proxy run uvicorn with --proxy-headers so this is the client.
    return request.client.host if request.client else "unknown"


def check_rate(request: Request, name: str, keys: Iterable[str]) -> None:
    """Counts one hit on each key of the named limit; 429 with Retry-After when one is over."""
    limiter: RateLimiter = request.app.state.rate_limiter
    limit = getattr(request.app.state.settings, f"{name}_rate_per_minute")
    waits = [w for key in keys if (w := limiter.hit(f"{name}:{key}", limit)) is not None]
    if waits:
        retry = math.ceil(max(waits))
        raise SecurityProblem(
            429, f"too many requests; try again in {retry} s", {"Retry-After": str(retry)}
        )


def rate_limit(name: str) -> Callable[[Request], None]:
    """A dependency that applies limit `name` (settings.<name>_rate_per_minute) to the caller."""

    def dependency(request: Request) -> None:
        from weibao.web.deps import get_caller

        caller = get_caller(request)
        keys = [f"ip:{client_address(request)}"]
        if caller.user_id is not None:
            keys.append(f"user:{caller.user_id}")
        check_rate(request, name, keys)

    dependency.__name__ = f"rate_limit_{name}"
    return dependency
