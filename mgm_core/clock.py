"""Time, injected.

Every timing rule (spin grid, grace, expiry, JWT lifetime, rate-limit windows)
asks a :class:`Clock` for ``now()`` instead of reading the system time, so tests
and scenarios move time instead of sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

Listener = Callable[[datetime], None]


class Clock(Protocol):
    """A source of the current UTC instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(new_now)`` whenever time is moved by hand.

        Returns a function that removes the listener. A clock that only moves
        by itself never calls listeners.
        """
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return lambda: None


class VirtualClock:
    """A clock that stands still until it is moved (development and tests only).

    The start is required: a process that wants its virtual time to begin at the
    machine's time says so (``VirtualClock(SystemClock().now())``).

    Thread-safe: a test thread may move it while the EBS reads it on its own loop.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a virtual clock needs a timezone-aware start instant")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> datetime:
        """Jump to ``instant`` (forwards or backwards) and notify listeners."""
        if instant.tzinfo is None:
            raise ValueError("the instant must be timezone-aware")
        with self._lock:
            self._now = instant.astimezone(UTC)
            now, listeners = self._now, list(self._listeners)
        for listener in listeners:
            listener(now)
        return now

    def advance(self, seconds: float) -> datetime:
        """Move forwards by ``seconds`` (which may be fractional) and notify listeners."""
        if seconds < 0:
            raise ValueError("a clock only advances forwards; use set() to go back")
        return self.set(self.now() + timedelta(seconds=seconds))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe


def parse_clock_start(text: str) -> datetime:
    """An ISO-8601 instant with a zone (``Z`` or an offset) as an aware UTC datetime.

    Raises ``ValueError`` with a sentence a user can act on.
    """
    try:
        instant = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise ValueError(
            f"clock start {text!r} is not an ISO-8601 instant (e.g. 2028-02-29T23:59:30Z)"
        ) from None
    if instant.tzinfo is None:
        raise ValueError(f"clock start {text!r} needs a zone: end it with Z or an offset like +00:00")
    return instant.astimezone(UTC)
