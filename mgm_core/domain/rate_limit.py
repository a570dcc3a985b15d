"""Fixed-window rate limiting per caller identity (decisions.md "Rate limiting").

Each key gets ``requests`` per window; the window opens at the key's first
request and closes ``window_seconds`` later. Time comes from the injected clock.
Idle keys are pruned so memory stays bounded by the callers of one window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from mgm_core.clock import Clock
from mgm_core.config import RateLimit


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_seconds: int  # 0 when allowed


@dataclass
class _Window:
    opened: datetime
    count: int


class FixedWindowLimiter:
    """Counts requests per key in fixed windows and refuses those over the budget."""

    def __init__(self, budget: RateLimit, clock: Clock, *, prune_every: int = 1024) -> None:
        self.budget = budget
        self._clock = clock
        self._window = timedelta(seconds=budget.window_seconds)
        self._windows: dict[str, _Window] = {}
        self._prune_every = prune_every
        self._since_prune = 0

    def hit(self, key: str) -> Decision:
        """Count one request for ``key`` and say whether it may proceed."""
        now = self._clock.now()
        self._maybe_prune(now)
        window = self._windows.get(key)
        if window is None or now >= window.opened + self._window or now < window.opened:
            window = self._windows[key] = _Window(opened=now, count=0)
        if window.count >= self.budget.requests:
            wait = (window.opened + self._window - now).total_seconds()
            return Decision(False, self.budget.requests, 0, max(1, math.ceil(wait)))
        window.count += 1
        return Decision(True, self.budget.requests, self.budget.requests - window.count, 0)

    def __len__(self) -> int:
        return len(self._windows)

    def rebudget(self, budget: RateLimit) -> None:
        """Count against ``budget`` from now on; open windows are dropped (a development change)."""
        if budget != self.budget:
            self.budget = budget
            self._window = timedelta(seconds=budget.window_seconds)
            self.forget()

    def forget(self) -> None:
        """Drop every window (the development reset: counts start again from zero)."""
        self._windows.clear()
        self._since_prune = 0

    def _maybe_prune(self, now: datetime) -> None:
        self._since_prune += 1
        if self._since_prune < self._prune_every:
            return
        self._since_prune = 0
        expired = [k for k, w in self._windows.items() if now >= w.opened + self._window]
        for key in expired:
            del self._windows[key]
