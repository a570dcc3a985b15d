"""Reading mock settings from environment variables.

Every setting has an ``MGM_*`` name and, where the seed had one, the seed's
.NET configuration key too, so the seed's CI environment works unchanged. A
key written ``Section:Key`` is looked up both as ``Section__Key`` (the usual
environment form) and verbatim. The first name that is present wins, even when
its value is empty: an explicitly empty secret means "no secret".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from mgm_core.clock import Clock, SystemClock, VirtualClock
from mgm_core.config import ConfigError
from mgm_core.security.eventsub import parse_timestamp

_TRUE = {"1", "true", "yes", "on"}


def _spellings(name: str) -> tuple[str, ...]:
    return (name.replace(":", "__"), name) if ":" in name else (name,)


def lookup(environ: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    """``(name, stripped value)`` of the first of ``names`` that is set, else ``None``."""
    for name in names:
        for spelling in _spellings(name):
            if spelling in environ:
                return spelling, environ[spelling].strip()
    return None


def text(environ: Mapping[str, str], *names: str, default: str = "") -> str:
    """The first set value among ``names``, else ``default``."""
    found = lookup(environ, *names)
    return default if found is None else found[1]


def flag(environ: Mapping[str, str], *names: str, default: bool = False) -> bool:
    """A boolean: ``1``/``true``/``yes``/``on`` in any case is true, anything else false."""
    found = lookup(environ, *names)
    return default if found is None else found[1].lower() in _TRUE


def number(environ: Mapping[str, str], *names: str, default: float) -> float:
    """A non-negative number of seconds or milliseconds."""
    found = lookup(environ, *names)
    if found is None or not found[1]:
        return default
    try:
        value = float(found[1])
    except ValueError as exc:
        raise ConfigError(f"{found[0]} must be a number; got {found[1]!r}") from exc
    if value < 0:
        raise ConfigError(f"{found[0]} must not be negative; got {found[1]!r}")
    return value


def parse_instant(value: str) -> datetime:
    """An RFC3339 / ISO-8601 instant (no zone means UTC) or Unix epoch seconds."""
    try:
        return parse_timestamp(value)
    except (ValueError, OverflowError, OSError):
        parsed = datetime.fromisoformat(value.strip())  # raises ValueError on garbage
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def clock(environ: Mapping[str, str], *names: str) -> Clock:
    """A clock frozen at the instant named by the first set variable, else the system clock.

    A frozen clock lets a standalone mock issue tokens and timestamps that
    match an EBS running a virtual clock.
    """
    found = lookup(environ, *names)
    if found is None or not found[1]:
        return SystemClock()
    try:
        return VirtualClock(parse_instant(found[1]))
    except ValueError as exc:
        raise ConfigError(f"{found[0]} must be an ISO-8601 instant; got {found[1]!r}") from exc


def base_url(value: str) -> str:
    """A service root without a trailing slash, so paths can be appended with ``/``."""
    return value.strip().rstrip("/")
