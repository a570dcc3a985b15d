"""The ``!twgold <CharacterName>`` chat command (ebs-contract.md §3).

The whole trimmed message must be the command: ``!twgold`` in any letter case,
white space, exactly one name token, optional trailing white space.
"""

from __future__ import annotations

import re

_TWGOLD = re.compile(r"!twgold\s+(\S+)\s*", re.IGNORECASE)


def parse_twgold(text: object) -> str | None:
    """The raw name token of a ``!twgold`` message, or ``None`` if it is not one.

    The token is not validated here: name rules belong to :mod:`names`.
    """
    if not isinstance(text, str):
        return None
    match = _TWGOLD.fullmatch(text.strip())
    return match[1] if match else None


def is_acceptance_reply(text: str) -> bool:
    """A winner's whisper consenting to the reward: ``!twgold`` alone, any case."""
    return text.strip().lower() == "!twgold"
