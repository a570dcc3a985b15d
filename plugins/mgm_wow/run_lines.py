"""The ``/run`` lines the Desktop types into WoW, built and parsed (ebs-contract.md §8.1, §8.3).

Builders produce exactly what the Desktop injects: Lua string literals in double
quotes with ``\\`` and ``"`` escaped, GUIDs lowercase 8-4-4-4-12. Every line must
fit WoW's chat edit box, which holds 255 bytes including the terminator, so a
line is at most :data:`MAX_LINE_BYTES` bytes **in UTF-8**: the seed counted UTF-16
characters, which lets a Cyrillic name overflow the box (gap §11.18).

Parsers read such lines back the way the addon's Lua would, so the simulator can
act on what was injected. They are lenient about ids (the seed's tests inject
``'abc'``) and accept single- or double-quoted literals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from mgm_wow.tags import canonical_uuid

MAX_LINE_BYTES: Final = 254
RECEIVE_GOLD_PREFIX: Final = '/run ReceiveGold("'
RECEIVE_GOLD_SUFFIX: Final = '")'
# The addon's Lua pattern ^([%w%-]+):([^:]+):(%d+)$ — %w is ASCII alphanumerics in WoW's C locale.
RECEIVE_GOLD_ENTRY: Final = re.compile(r"([A-Za-z0-9-]+):([^:]+):([0-9]+)")
COPPER_PER_GOLD: Final = 10_000


class RunLineError(ValueError):
    """A ``/run`` line cannot be built or does not parse."""


class EntryTooLong(RunLineError):
    """One ``ReceiveGold`` entry is longer than a whole line can carry."""


# --------------------------------------------------------------------------- building


def lua_string(text: str) -> str:
    """``text`` as a double-quoted Lua string literal (``\\`` and ``"`` escaped).

    A chat line cannot carry line breaks or other control characters, so those
    are refused rather than escaped.
    """
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise RunLineError(f"control characters cannot be typed into a chat line: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def line_bytes(line: str) -> int:
    """How many bytes ``line`` takes in WoW's edit box (UTF-8)."""
    return len(line.encode("utf-8"))


def _guid(value: object) -> str:
    text = str(value)
    guid = canonical_uuid(text)
    if guid is None:
        raise RunLineError(f"not a GUID: {text!r}")
    return guid


def _checked(line: str) -> str:
    if line_bytes(line) > MAX_LINE_BYTES:
        raise RunLineError(f"line is {line_bytes(line)} bytes; WoW's edit box takes {MAX_LINE_BYTES}")
    return line


def run_who_for_spin(spin_cycle_id: object, character_name: str) -> str:
    """``/run MGM_RunWhoForSpin("<spinCycleId>","<name>")``: ask the addon to ``/who`` the candidate."""
    return _checked(
        f"/run MGM_RunWhoForSpin({lua_string(_guid(spin_cycle_id))},{lua_string(character_name)})"
    )


def notify_winner_whisper(payout_id: object, character_name: str) -> str:
    """``/run NotifyWinnerWhisper("<payoutId>","<name>")``: have the addon whisper the winner."""
    return _checked(f"/run NotifyWinnerWhisper({lua_string(_guid(payout_id))},{lua_string(character_name)})")


def chat_frame_message(text: str) -> str:
    """``/run DEFAULT_CHAT_FRAME:AddMessage("<text>")``: show ``text`` in the chat frame."""
    return _checked(f"/run DEFAULT_CHAT_FRAME:AddMessage({lua_string(text)})")


@dataclass(frozen=True)
class GoldEntry:
    """One payout in a ``ReceiveGold`` payload: ``<payoutId>:<CharacterName>:<copper>;``."""

    payout_id: str
    character_name: str
    copper: int

    @classmethod
    def for_payout(cls, payout_id: object, character_name: str, gold: int) -> GoldEntry:
        """An entry for ``gold`` whole gold (1 gold = 10 000 copper)."""
        return cls(str(payout_id), character_name, gold * COPPER_PER_GOLD)

    def format(self) -> str:
        """The entry as the addon expects it, GUID lowercased, with its ``;``."""
        guid = _guid(self.payout_id)
        name = self.character_name
        if not name or any(ch in name for ch in ":;") or name != name.strip():
            raise RunLineError(f"character name cannot go into a ReceiveGold entry: {name!r}")
        if isinstance(self.copper, bool) or not isinstance(self.copper, int) or self.copper < 0:
            raise RunLineError(f"copper must be a whole number of at least 0: {self.copper!r}")
        return f"{guid}:{name}:{self.copper};"


def receive_gold_lines(entries: Iterable[GoldEntry]) -> list[str]:
    """Pack entries into ``/run ReceiveGold("…")`` lines (ebs-contract.md §8.3, counted in bytes).

    Whole entries, in order, greedily: a new line starts when the next entry does
    not fit. An entry that cannot fit on a line of its own raises :class:`EntryTooLong`.
    """
    budget = MAX_LINE_BYTES - line_bytes(RECEIVE_GOLD_PREFIX) - line_bytes(RECEIVE_GOLD_SUFFIX)
    lines: list[str] = []
    current: list[str] = []
    used = 0
    for entry in entries:
        # Escaping happens per entry so that each piece's cost is known before packing.
        piece = lua_string(entry.format())[1:-1]
        size = line_bytes(piece)
        if size > budget:
            raise EntryTooLong(f"entry for {entry.payout_id} is {size} bytes; a line carries {budget}")
        if used + size > budget:
            lines.append(RECEIVE_GOLD_PREFIX + "".join(current) + RECEIVE_GOLD_SUFFIX)
            current, used = [], 0
        current.append(piece)
        used += size
    if current:
        lines.append(RECEIVE_GOLD_PREFIX + "".join(current) + RECEIVE_GOLD_SUFFIX)
    return lines


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class RunCall:
    """A parsed ``/run Function(args)`` line; args are Lua strings or numbers."""

    function: str
    args: tuple[str | float, ...]
    line: str

    def strings(self, count: int) -> tuple[str, ...]:
        """The first ``count`` arguments, which must all be strings."""
        if len(self.args) < count or not all(isinstance(a, str) for a in self.args[:count]):
            raise RunLineError(f"{self.function} needs {count} string argument(s): {self.line!r}")
        return tuple(str(a) for a in self.args[:count])


@dataclass(frozen=True)
class RunWhoForSpin:
    """``MGM_RunWhoForSpin(spinCycleId, name)``."""

    spin_cycle_id: str
    character_name: str


@dataclass(frozen=True)
class NotifyWinnerWhisper:
    """``NotifyWinnerWhisper(payoutId, name)``."""

    payout_id: str
    character_name: str


@dataclass(frozen=True)
class ReceiveGold:
    """``ReceiveGold(payload)``; the payload is validated by :func:`parse_receive_gold_payload`."""

    payload: str


@dataclass(frozen=True)
class ChatFrameMessage:
    """``DEFAULT_CHAT_FRAME:AddMessage(text, …)``."""

    text: str


RunCommand = RunWhoForSpin | NotifyWinnerWhisper | ReceiveGold | ChatFrameMessage | RunCall

_RUN_PREFIX = re.compile(r"/(?:run|script)\s+(.*)", re.IGNORECASE | re.DOTALL)
_CALL = re.compile(
    r"\s*([A-Za-z_][A-Za-z0-9_]*(?:[.:][A-Za-z_][A-Za-z0-9_]*)?)\s*\((.*)\)\s*;?\s*", re.DOTALL
)
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_LUA_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def is_run_line(line: str) -> bool:
    """True when ``line`` is a ``/run`` (or ``/script``) chat command."""
    return _RUN_PREFIX.match(line.strip()) is not None


def parse_run_line(line: str) -> RunCommand | None:
    """Read an injected line the way the addon would run it.

    Returns None when the line is not ``/run``/``/script``; a typed command for the
    addon's functions; a :class:`RunCall` for any other single call. Raises
    :class:`RunLineError` when the Lua does not parse as one call with literal args.
    """
    prefix = _RUN_PREFIX.match(line.strip())
    if prefix is None:
        return None
    call = _CALL.fullmatch(prefix[1])
    if call is None:
        raise RunLineError(f"not a single function call: {line!r}")
    parsed = RunCall(call[1], tuple(_lua_args(call[2], line)), line)
    match parsed.function:
        case "MGM_RunWhoForSpin":
            return RunWhoForSpin(*parsed.strings(2))
        case "NotifyWinnerWhisper":
            return NotifyWinnerWhisper(*parsed.strings(2))
        case "ReceiveGold":
            return ReceiveGold(*parsed.strings(1))
        case "DEFAULT_CHAT_FRAME:AddMessage":
            return ChatFrameMessage(*parsed.strings(1))
    return parsed


def _lua_args(text: str, line: str) -> list[str | float]:
    args: list[str | float] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos == end:
            if args:
                raise RunLineError(f"trailing comma in {line!r}")
            return args
        if text[pos] in "\"'":
            value, pos = _lua_literal(text, pos, line)
            args.append(value)
        else:
            number = _NUMBER.match(text, pos)
            if number is None:
                raise RunLineError(f"only string and number arguments are understood: {line!r}")
            args.append(float(number[0]))
            pos = number.end()
        while pos < end and text[pos].isspace():
            pos += 1
        if pos == end:
            return args
        if text[pos] != ",":
            raise RunLineError(f"expected ',' at column {pos} of the arguments in {line!r}")
        pos += 1


def _lua_literal(text: str, pos: int, line: str) -> tuple[str, int]:
    quote = text[pos]
    out: list[str] = []
    pos += 1
    while pos < len(text):
        ch = text[pos]
        if ch == quote:
            return "".join(out), pos + 1
        if ch == "\\":
            pos += 1
            if pos >= len(text):
                break
            esc = text[pos]
            if esc.isdigit():
                digits = re.match(r"\d{1,3}", text[pos:])
                assert digits is not None
                out.append(chr(int(digits[0])))
                pos += len(digits[0])
                continue
            out.append(_LUA_ESCAPES.get(esc, esc))
        else:
            out.append(ch)
        pos += 1
    raise RunLineError(f"unfinished string literal in {line!r}")


def parse_receive_gold_payload(payload: str) -> list[GoldEntry]:
    """Split a ``ReceiveGold`` payload as the addon does; any bad piece rejects the whole payload.

    Pieces are the non-empty runs between ``;`` and must each match the addon's
    pattern ``^([%w%-]+):([^:]+):(%d+)$``.
    """
    entries: list[GoldEntry] = []
    for piece in (p for p in payload.split(";") if p):
        match = RECEIVE_GOLD_ENTRY.fullmatch(piece)
        if match is None:
            raise RunLineError(f"ReceiveGold entry does not match the addon's pattern: {piece!r}")
        entries.append(GoldEntry(match[1], match[2], int(match[3])))
    if not entries:
        raise RunLineError("ReceiveGold payload has no entries")
    return entries
