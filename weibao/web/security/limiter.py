"""Abuse limits per key, counted in the database so that every worker shares them.

The route dependency that picks the key from the caller is weibao.web.security.ratelimit.

How: sliding-window approximation over fixed 60 s windows in table rate_counters. The
estimate is this window's count plus the previous window's count weighted by how much of
it still lies inside the last 60 s; a hit is admitted while the estimate stays within the
limit. That avoids the 2x burst a plain fixed window allows at the boundary, for one more
small read per key and minute (each worker caches the finished window's count). Counters
hold admitted hits only (the upsert refuses to go past the cap), so a client that keeps
knocking while blocked is refused cheaply without extending its block.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from fastapi import Request
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from weibao.core import rate_counters
from weibao.web.security.errors import SecurityProblem

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
PRUNE_PROBABILITY = 0.01  # one hit in a hundred deletes windows nobody reads any more
KEEP_WINDOWS = 2  # the current and previous window are read; one more for clock skew


class Limiter(Protocol):
    def hit(self, key: str, limit: int) -> float | None:
        """Counts a hit; returns seconds to wait when the key is over its limit, else None."""


class RateLimiter:
    """Counts hits per key in the last `window` seconds, in this process only.

    The fallback of DatabaseRateLimiter when the database cannot count (error, or a SQLite
    older than 3.35); not shared between workers.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, window: float = WINDOW_SECONDS) -> float | None:
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


class DatabaseRateLimiter:
    """Sliding-window limits over table rate_counters, shared by every worker and app."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], float] = time.time,
        window: float = WINDOW_SECONDS,
        prune_probability: float = PRUNE_PROBABILITY,
    ) -> None:
        self.engine = rate_counters.counter_engine(engine)
        self.clock = clock  # epoch seconds: every worker must agree on the window number
        self.window = window
        self.prune_probability = prune_probability
        self.fallback = RateLimiter()
        self.fallbacks = 0  # hits the database could not count (tests assert none)
        self._lock = threading.Lock()
        self._cached_window = -1
        self._previous_counts: dict[str, int] = {}
        self._shared = rate_counters.supports_upsert(engine)
        if not self._shared:
            log.warning(
                "rate limits are per process: %s cannot upsert with RETURNING",
                engine.dialect.name,
            )

    def hit(self, key: str, limit: int) -> float | None:
        if not self._shared:
            return self.fallback.hit(key, limit, self.window)
        key = key[: rate_counters.KEY_CHARS]
        now = self.clock()
        current = int(now // self.window)
        elapsed = (now - current * self.window) / self.window  # fraction of it gone by
        try:
            with self.engine.connect() as connection:
                # Capped at the limit so that a lowered limit does not block for long.
                previous = min(self._previous(connection, key, current), limit)
                cap = math.floor(limit - previous * (1.0 - elapsed) + 1e-6)
                counted = None
                if cap >= 1:
                    rate_counters.relax_durability(connection)
                    counted = rate_counters.count_hit(connection, key, current, cap)
                if random.random() < self.prune_probability:
                    rate_counters.prune(connection, current - KEEP_WINDOWS)
                connection.commit()
        except SQLAlchemyError as exc:
            self.fallbacks += 1
            if self.fallbacks == 1 or self.fallbacks % 1000 == 0:
                log.warning(
                    "rate counters unavailable (%s); limiting in this process only",
                    type(exc).__name__,
                )
            return self.fallback.hit(key, limit, self.window)
        if counted is not None:
            return None
        # The cap only grows during a window, so a refused key's count stands at the cap.
        return self._wait(limit, previous, max(cap, 0), elapsed)

    def _previous(self, connection: Connection, key: str, current: int) -> int:
        """The key's count in the previous window, read once per key and window.

        A finished window no longer changes (bar hits in flight at the boundary, or a
        worker whose clock lags by a second or two), so one read per minute is enough.
        """
        with self._lock:
            if self._cached_window != current or len(self._previous_counts) > 100_000:
                self._previous_counts.clear()
                self._cached_window = current
            cached = self._previous_counts.get(key)
        if cached is not None:
            return cached
        counts = rate_counters.read_windows(connection, key, (current - 1,))
        value = counts.get(current - 1, 0)
        with self._lock:
            if self._cached_window == current:
                self._previous_counts[key] = value
        return value

    def _wait(self, limit: int, previous: int, in_window: int, elapsed: float) -> float:
        """Seconds until one more hit fits, if nobody else hits the key meanwhile."""
        if in_window + 1 <= limit and previous > 0:
            # Later in this window, once enough of the previous one has slid out.
            at = 1.0 - (limit - 1 - in_window) / previous
            return max(at - elapsed, 0.0) * self.window
        # In the next window, where this window's hits become the weighted previous ones.
        carried = min(in_window, limit)
        at_next = max(1.0 - (limit - 1) / carried, 0.0) if carried > 0 else 0.0
        return (1.0 - elapsed + at_next) * self.window


def client_address(request: Request) -> str:
    # The direct peer; behind a proxy run uvicorn with --proxy-headers so this is the client.
    return request.client.host if request.client else "unknown"


# What the JSON answer calls the hits of each limit.
_NOUNS = {
    "search": "searches",
    "chat": "chat messages",
    "login": "sign-in attempts",
    "auth_failure": "failed sign-ins",
}


def _message(request: Request, name: str, retry: int) -> str:
    from weibao.web.security.errors import wants_json

    if wants_json(request):
        return f"too many {_NOUNS.get(name, 'requests')}; try again in {retry} s"
    from weibao.web.i18n import MESSAGES, request_lang, translator

    key = f"rate_limited_{name}" if f"rate_limited_{name}" in MESSAGES else "rate_limited"
    return translator(request_lang(request))(key).format(seconds=retry)


def check_rate(request: Request, name: str, keys: Iterable[str]) -> None:
    """Counts one hit on each key of the named limit; 429 with Retry-After when one is over."""
    limiter: Limiter = request.app.state.rate_limiter
    limit = getattr(request.app.state.settings, f"{name}_rate_per_minute")
    waits = [w for key in keys if (w := limiter.hit(f"{name}:{key}", limit)) is not None]
    if waits:
        retry = max(math.ceil(max(waits) - 1e-6), 1)  # 65.00000001 s is 65 s
        raise SecurityProblem(429, _message(request, name, retry), {"Retry-After": str(retry)})
