"""How many chat deliveries ended how: one INFO line a minute instead of one per delivery.

Enrolled, replayed and not-a-command deliveries are the hot path (every chat
message of the channel arrives through EventSub); each is logged at DEBUG and
counted here. Refusals and ignored commands keep their own INFO line (why a
viewer was not enrolled). The tally is written when a delivery arrives after
its minute is over, and at shutdown (decisions.md "Performance").
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)


class ChatTally:
    """Counts per outcome since ``since``; one per application (app state, not a global)."""

    def __init__(self, log: logging.Logger, window: timedelta = WINDOW) -> None:
        self._log = log
        self._window = window
        self._since: datetime | None = None
        self._counts: Counter[str] = Counter()

    def count(self, outcome: str, now: datetime) -> None:
        if self._since is None:
            self._since = now
        elif now - self._since >= self._window:
            self.flush(now)
            self._since = now
        self._counts[outcome] += 1

    def flush(self, now: datetime) -> None:
        """Write the counts so far (nothing when there are none) and start again."""
        if self._counts and self._since is not None:
            self._log.info(
                "chat deliveries",
                extra={
                    "counts": dict(sorted(self._counts.items())),
                    "since": self._since.isoformat(),
                    "seconds": round((now - self._since).total_seconds(), 1),
                },
            )
        self._counts.clear()
        self._since = None
