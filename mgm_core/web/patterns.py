"""JSON Schema ``pattern``s that say exactly what the handlers accept (for ``/openapi.json``).

The handlers trim with Python's ``str.strip`` and compare statuses with
``str.lower``; these patterns spell the same rules in the regular-expression
subset that ECMA-262 (JSON Schema) and Python's ``re`` read alike: explicit
character classes with ``\\uXXXX`` escapes, no ``\\s``, no inline flags.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from mgm_core.domain import names


def _ranges(points: Iterable[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for point in sorted(points):
        if spans and spans[-1][1] == point - 1:
            spans[-1] = (spans[-1][0], point)
        else:
            spans.append((point, point))
    return spans


def _escape(point: int) -> str:
    return f"\\u{point:04X}"


def char_class(points: Iterable[int], *, negate: bool = False) -> str:
    body = "".join(
        _escape(low) if low == high else f"{_escape(low)}-{_escape(high)}" for low, high in _ranges(points)
    )
    return f"[{'^' if negate else ''}{body}]"


@cache
def whitespace_points() -> frozenset[int]:
    """What ``str.strip()`` removes (all in the Basic Multilingual Plane)."""
    return frozenset(p for p in range(0x10000) if chr(p).isspace())


def _space() -> str:
    return char_class(whitespace_points()) + "*"


# Body.string: not blank, and no NUL. (Unpaired surrogates, refused too, have no portable regex.)
_UNSTORABLE = frozenset({0})
_STORABLE = char_class(_UNSTORABLE, negate=True)
NOT_BLANK = f"^{_STORABLE}*{char_class(whitespace_points() | _UNSTORABLE, negate=True)}{_STORABLE}*$"


@cache
def character_name() -> str:
    """2-12 letters of the Latin or Cyrillic script after trimming (mgm_core.domain.names)."""
    letters = (
        p for low, high in names.SCRIPT_RANGES for p in range(low, high + 1) if names.is_name_letter(chr(p))
    )
    return f"^{_space()}{char_class(letters)}{{{names.MIN_LENGTH},{names.MAX_LENGTH}}}{_space()}$"


def status_name(values: Iterable[str]) -> str:
    """Any letter case of one of ``values``, with underscores anywhere and trimmed (PayoutStatus.parse)."""
    spelled = [
        "_*" + "".join(f"[{c.upper()}{c.lower()}]_*" if c.isalpha() else f"{c}_*" for c in value)
        for value in values
    ]
    return f"^{_space()}(?:{'|'.join(spelled)}){_space()}$"
