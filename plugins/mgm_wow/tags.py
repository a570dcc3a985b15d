"""The addon's log tags: what it prints into ``WoWChatLog.txt`` and how the Desktop reads them.

Patterns and order follow ebs-contract.md §8.2. The Desktop checks a line for
``[MGM_UPDATE_CHECK]``, then ``[MGM_WHO]``, then ``[MGM_ACCEPT:…]``, then
``[MGM_CONFIRM:…]`` (the gift tags of the seed sit between them and are out of
scope); the first tag found decides what the line is. A tag may appear anywhere
in the line, after whatever timestamp the client wrote.

Ids must match the 36-character pattern *and* be a canonical 8-4-4-4-12 UUID;
they are returned lowercase so that keys and EBS calls agree whatever casing the
addon printed.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any, Final

log = logging.getLogger(__name__)

WHO_MARKER: Final = "[MGM_WHO]"
UPDATE_CHECK_MARKER: Final = "[MGM_UPDATE_CHECK]"
ACCEPT_PREFIX: Final = "[MGM_ACCEPT:"
CONFIRM_PREFIX: Final = "[MGM_CONFIRM:"

ACCEPT_PATTERN: Final = re.compile(r"\[MGM_ACCEPT:([0-9a-fA-F-]{36})\]")
CONFIRM_PATTERN: Final = re.compile(r"\[MGM_CONFIRM:([0-9a-fA-F-]{36})\]")
_CANONICAL_UUID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
WHO_SCHEMA_VERSION: Final = 1


@dataclass(frozen=True)
class WhoReport:
    """``[MGM_WHO]{…}``: the addon's ``/who`` answer for a spin cycle's candidate."""

    schema_version: int
    spin_cycle_id: str
    character_name: str
    online: bool
    captured_at: str

    @property
    def key(self) -> str:
        """Identity for de-duplication: the same report printed twice is one report."""
        return "who:" + json.dumps(self.to_payload(), separators=(",", ":"), ensure_ascii=False)

    def to_payload(self) -> dict[str, Any]:
        """The JSON object for ``POST /api/roulette/verify-candidate`` (the printed object)."""
        return {
            "schemaVersion": self.schema_version,
            "spinCycleId": self.spin_cycle_id,
            "characterName": self.character_name,
            "online": self.online,
            "capturedAt": self.captured_at,
        }


@dataclass(frozen=True)
class Accept:
    """``[MGM_ACCEPT:<payoutId>]``: the winner whispered ``!twgold`` back."""

    payout_id: str

    @property
    def key(self) -> str:
        return f"accept:{self.payout_id}"


@dataclass(frozen=True)
class Confirm:
    """``[MGM_CONFIRM:<payoutId>]``: an MGM-armed mail was sent successfully."""

    payout_id: str

    @property
    def key(self) -> str:
        return f"confirm:{self.payout_id}"


@dataclass(frozen=True)
class UpdateCheck:
    """``[MGM_UPDATE_CHECK]``: the streamer typed ``/mgm update`` in game."""

    @property
    def key(self) -> str:
        # Every request is a fresh question; the tail's offset alone keeps it from replaying.
        return "update_check"


Tag = WhoReport | Accept | Confirm | UpdateCheck


@dataclass(frozen=True)
class LineReading:
    """What one log line holds: a tag, nothing, or a malformed tag and why."""

    tag: Tag | None = None
    reason: str | None = None

    @property
    def malformed(self) -> bool:
        return self.tag is None and self.reason is not None


def canonical_uuid(text: str) -> str | None:
    """``text`` as a lowercase 8-4-4-4-12 UUID, or None when it is not one."""
    if not _CANONICAL_UUID.fullmatch(text):
        return None
    return str(uuid.UUID(text))


def read_line(line: str) -> LineReading:
    """Classify one chat-log line in the contract's order (timestamp prefix allowed)."""
    if UPDATE_CHECK_MARKER in line:
        return LineReading(UpdateCheck())
    if WHO_MARKER in line:
        return _read_who(line)
    if ACCEPT_PREFIX in line:
        return _read_id(line, ACCEPT_PATTERN, Accept, "MGM_ACCEPT")
    if CONFIRM_PREFIX in line:
        return _read_id(line, CONFIRM_PATTERN, Confirm, "MGM_CONFIRM")
    return LineReading()


def parse_line(line: str) -> Tag | None:
    """The tag in ``line``, or None; a malformed tag is logged with its reason and skipped."""
    reading = read_line(line)
    if reading.malformed:
        log.warning("skipping malformed tag line (%s): %r", reading.reason, line)
    return reading.tag


def _read_id(
    line: str, pattern: re.Pattern[str], kind: type[Accept] | type[Confirm], name: str
) -> LineReading:
    match = pattern.search(line)
    if match is None:
        return LineReading(reason=f"{name} tag without a 36-character id")
    payout_id = canonical_uuid(match[1])
    if payout_id is None:
        return LineReading(reason=f"{name} id {match[1]!r} is not a UUID")
    return LineReading(kind(payout_id))


def _read_who(line: str) -> LineReading:
    # The seed Desktop takes the first "{" to the last "}" of the whole line, not of
    # the text after the marker; keep that so both read the same lines the same way.
    start, end = line.find("{"), line.rfind("}")
    if start < 0 or end < start:
        return LineReading(reason="MGM_WHO tag without a JSON object")
    try:
        data = json.loads(line[start : end + 1])
    except ValueError as exc:
        return LineReading(reason=f"MGM_WHO JSON does not parse: {exc}")
    if not isinstance(data, dict):
        return LineReading(reason="MGM_WHO JSON is not an object")
    problem = _who_problem(data)
    if problem:
        return LineReading(reason=f"MGM_WHO {problem}")
    return LineReading(
        WhoReport(
            schema_version=data["schemaVersion"],
            spin_cycle_id=canonical_uuid(data["spinCycleId"]) or "",
            character_name=data["characterName"],
            online=data["online"],
            captured_at=data["capturedAt"],
        )
    )


def _who_problem(data: dict[str, Any]) -> str | None:
    version = data.get("schemaVersion")
    if not isinstance(version, int) or isinstance(version, bool):
        return "schemaVersion is not a whole number"
    cycle = data.get("spinCycleId")
    if not isinstance(cycle, str) or canonical_uuid(cycle) is None:
        return "spinCycleId is not a UUID"
    name = data.get("characterName")
    if not isinstance(name, str) or not name.strip():
        return "characterName is missing"
    if not isinstance(data.get("online"), bool):
        return "online is not true or false"
    if not isinstance(data.get("capturedAt"), str):
        return "capturedAt is not a string"
    return None


def format_who(
    spin_cycle_id: str, character_name: str, online: bool, captured_at: str, schema_version: int = 1
) -> str:
    """The addon's ``[MGM_WHO]{…}`` line (compact JSON, the addon's key order)."""
    report = WhoReport(schema_version, spin_cycle_id, character_name, online, captured_at)
    return WHO_MARKER + json.dumps(report.to_payload(), separators=(",", ":"), ensure_ascii=False)


def format_accept(payout_id: str) -> str:
    """The addon's ``[MGM_ACCEPT:<payoutId>]`` line."""
    return f"{ACCEPT_PREFIX}{payout_id}]"


def format_confirm(payout_id: str) -> str:
    """The addon's ``[MGM_CONFIRM:<payoutId>]`` line."""
    return f"{CONFIRM_PREFIX}{payout_id}]"


def format_update_check() -> str:
    """The addon's ``[MGM_UPDATE_CHECK]`` line."""
    return UPDATE_CHECK_MARKER
