""" "Did you mean …": the documented phrases closest to a step that matched none."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_QUOTED = re.compile(r'"[^"]*"')
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
_NUMBER = re.compile(r"\b\d+\b")


def shape(text: str) -> str:
    """A phrase or a step with its values blanked, so ``"Norinn"`` and ``"{name}"`` compare equal."""
    text = _QUOTED.sub('"…"', text)
    text = _PLACEHOLDER.sub("…", text)
    return _NUMBER.sub("…", text).casefold()


def closest(step: str, phrases: Iterable[str], *, count: int = 3) -> list[str]:
    """Up to ``count`` phrases closest to ``step``, best first (none when nothing is similar)."""
    by_shape: dict[str, list[str]] = {}
    for phrase in phrases:
        by_shape.setdefault(shape(phrase), []).append(phrase)
    best = difflib.get_close_matches(shape(step), list(by_shape), n=count, cutoff=0.55)
    found: list[str] = []
    for key in best:
        found.extend(p for p in by_shape[key] if p not in found)
    return found[:count]
