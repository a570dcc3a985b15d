"""Character names (ebs-contract.md §5.1, decisions.md "Pool").

A name is 2–12 letters of the Latin or Cyrillic script after trimming. WoW
compares names case-insensitively, so the pool compares :func:`name_key`s and
stores the name as typed.
"""

from __future__ import annotations

import unicodedata

from mgm_core.errors import ErrorCode, Refusal

MIN_LENGTH = 2
MAX_LENGTH = 12

_LETTER_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo"})
SCRIPT_RANGES: tuple[tuple[int, int], ...] = (
    # Latin
    (0x0041, 0x005A),
    (0x0061, 0x007A),
    (0x00C0, 0x00D6),
    (0x00D8, 0x00F6),
    (0x00F8, 0x00FF),
    (0x0100, 0x024F),
    (0x1E00, 0x1EFF),
    (0x2C60, 0x2C7F),
    (0xA722, 0xA787),
    # Cyrillic
    (0x0400, 0x04FF),
    (0x0500, 0x052F),
    (0x1C80, 0x1C8F),
    (0x2DE0, 0x2DFF),
    (0xA640, 0xA69F),
)


def is_name_letter(char: str) -> bool:
    point = ord(char)
    return unicodedata.category(char) in _LETTER_CATEGORIES and any(
        low <= point <= high for low, high in SCRIPT_RANGES
    )


def name_problem(raw: object) -> str | None:
    """Why ``raw`` is not a valid character name, or ``None`` when it is."""
    if not isinstance(raw, str):
        return "must be a string"
    name = raw.strip()
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        return f"must be {MIN_LENGTH} to {MAX_LENGTH} letters after trimming"
    if name.isascii() and name.isalpha():  # A-Z and a-z only: all Latin letters (the usual case)
        return None
    for char in name:
        if not is_name_letter(char):
            return f"may contain only Latin or Cyrillic letters; found {char!r}"
    return None


def is_valid_character_name(raw: object) -> bool:
    return name_problem(raw) is None


def character_name(raw: object, field: str = "characterName") -> str:
    """The trimmed name, or raise ``400 invalid_character_name`` naming ``field``."""
    problem = name_problem(raw)
    if problem is not None:
        raise Refusal(
            ErrorCode.INVALID_CHARACTER_NAME,
            f"{field} {problem}",
            {"field": field},
        )
    assert isinstance(raw, str)  # for the type checker: name_problem accepted it
    return raw.strip()


def name_key(name: str) -> str:
    """The form two names are compared in: trimmed and case-folded."""
    return name.strip().casefold()


def same_name(a: str, b: str) -> bool:
    return name_key(a) == name_key(b)
