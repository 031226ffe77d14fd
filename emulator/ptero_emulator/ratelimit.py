"""Per-user fixed-window rate limiting, like Laravel's ThrottleRequests middleware."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets (only meaningful when not allowed)
    reset_at: int  # unix timestamp of the reset

    def success_headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}

    def failure_headers(self) -> dict[str, str]:
        return {
            "Retry-After": str(self.retry_after),
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(self.reset_at),
        }


class RateLimiter:
    """Buckets keyed by (limiter name, user uuid). A window opens on the first hit and lasts ``period`` seconds;
    once ``limit`` hits were counted in the window further requests are refused until it expires."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(self, limiter: str, key: str, limit: int, period: float) -> RateDecision:
        now = self._clock()
        started, count = self._windows.get((limiter, key), (now, 0))
        if now - started >= period:
            started, count = now, 0
        reset_in = max(0.0, started + period - now)
        reset_at = math.ceil(now + reset_in)
        if count >= limit:
            self._windows[(limiter, key)] = (started, count)
            return RateDecision(False, limit, 0, max(1, math.ceil(reset_in)), reset_at)
        count += 1
        self._windows[(limiter, key)] = (started, count)
        return RateDecision(True, limit, max(0, limit - count), 0, reset_at)

    def attempts(self, limiter: str, key: str, period: float) -> int:
        started, count = self._windows.get((limiter, key), (0.0, 0))
        return count if self._clock() - started < period else 0

    def clear(self) -> None:
        self._windows.clear()
