"""Text every layer may store: PostgreSQL ``text`` refuses NUL and unpaired surrogates."""

from __future__ import annotations


def storable(text: str) -> bool:
    """Whether ``text`` can be stored: no NUL character and no unpaired surrogate.

    JSON may carry both (``"\\u0000"``, ``"\\ud800"``), and header bytes decoded
    with surrogate escapes produce the latter; they are refused at the edge
    rather than failing in the database.
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
