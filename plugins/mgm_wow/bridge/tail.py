"""Following ``WoWChatLog.txt`` the way the Desktop does (ebs-contract.md §8.6), restart-safe.

The seed read from offset 0 on every launch and kept its "seen" set only in
memory, so each restart replayed the whole log at the EBS (gap §11.17). Here the
read position and the seen tags are saved to a small state file:

* only whole lines are consumed — the offset always sits just after a ``\\n``, so
  a partial last line is simply read again next time;
* the file is considered replaced, and read from 0, when it is shorter than the
  saved offset (truncation), when its identity (device, inode) changed
  (rotation), or when the bytes just before the offset are not the ones seen
  last time (truncated and refilled while nobody was looking);
* UTF-8 with or without a BOM; ``\\r`` stripped;
* a tag already seen (same key) is dropped, so a duplicate print does not reach
  the EBS twice. The set keeps the newest :attr:`seen_limit` keys.

Reading and saving are separate steps: :meth:`ChatLogTail.poll` reads ahead in
memory, :meth:`ChatLogTail.commit` saves. A caller that must not lose a tag
stores it somewhere durable first and commits after.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mgm_wow.bridge.state_file import load_state, save_state
from mgm_wow.chatlog import strip_timestamp
from mgm_wow.tags import Tag, UpdateCheck, read_line

log = logging.getLogger(__name__)

BOM: Final = b"\xef\xbb\xbf"
FINGERPRINT_BYTES: Final = 64
STATE_VERSION: Final = 1


@dataclass(frozen=True)
class TailedTag:
    """A tag read from the log, with the line text it came from (timestamp removed)."""

    tag: Tag
    line: str

    @property
    def key(self) -> str:
        return self.tag.key


class ChatLogTail:
    """Incremental, rotation-safe reader of one chat-log file."""

    def __init__(
        self,
        path: Path,
        state_path: Path | None = None,
        *,
        seen_limit: int = 1500,
        start_at_end: bool = False,
        max_read_bytes: int = 1 << 20,
    ) -> None:
        """Follow ``path``; ``state_path`` (optional) keeps the position across restarts.

        Without saved state the first read starts at the beginning of the file, or
        at its current end when ``start_at_end`` is set.
        """
        self.path = path.absolute()
        self.state_path = state_path
        self.seen_limit = seen_limit
        self.max_read_bytes = max_read_bytes
        self._offset = 0
        self._identity: tuple[int, int] | None = None
        self._fingerprint = ""
        self._seen: dict[str, None] = {}
        self._skip_to_end = start_at_end
        self._dirty = False
        self._restore()

    # ------------------------------------------------------------------ state

    @property
    def offset(self) -> int:
        """Bytes of the current file already consumed (always at a line start)."""
        return self._offset

    def seen(self, key: str) -> bool:
        """True when a tag with ``key`` was already handed out."""
        return key in self._seen

    def forget(self, key: str) -> None:
        """Let a later line with ``key`` through again (its handling was refused and may be retried)."""
        if key in self._seen:
            del self._seen[key]
            self._dirty = True

    def commit(self) -> None:
        """Save the position and the seen keys (no-op without a state path or without changes)."""
        if self.state_path is None or not self._dirty:
            return
        save_state(
            self.state_path,
            {
                "version": STATE_VERSION,
                "path": str(self.path),
                "identity": list(self._identity) if self._identity else None,
                "offset": self._offset,
                "fingerprint": self._fingerprint,
                "seen": list(self._seen),
            },
        )
        self._dirty = False

    def _restore(self) -> None:
        if self.state_path is None:
            return
        data = load_state(self.state_path)
        if data is None or data.get("version") != STATE_VERSION:
            return
        self._seen = dict.fromkeys(str(k) for k in data.get("seen") or [])
        self._skip_to_end = False
        if data.get("path") != str(self.path):
            return  # another file: keep the seen tags, start it from the beginning
        identity = data.get("identity")
        self._identity = (int(identity[0]), int(identity[1])) if identity else None
        self._offset = int(data.get("offset") or 0)
        self._fingerprint = str(data.get("fingerprint") or "")

    def _remember(self, key: str) -> None:
        self._seen[key] = None
        self._dirty = True
        while len(self._seen) > self.seen_limit:
            del self._seen[next(iter(self._seen))]

    # ------------------------------------------------------------------ reading

    def read_lines(self) -> list[str]:
        """Complete lines appended since the last read, as written (timestamps kept)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return []
        identity = (stat.st_dev, stat.st_ino)
        if self._skip_to_end:
            self._skip_to_end = False
            self._dirty = True
            self._identity = identity
            self._offset = self._last_line_end(stat.st_size)
            self._fingerprint = self._fingerprint_at(self._offset)
            return []
        if self._identity is not None and identity != self._identity:
            self._restart_file("replaced")
        elif stat.st_size < self._offset:
            self._restart_file("truncated")
        elif self._offset and self._fingerprint_at(self._offset) != self._fingerprint:
            self._restart_file("rewritten")
        if identity != self._identity:
            self._dirty = True
        self._identity = identity
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read(self.max_read_bytes)
        end = data.rfind(b"\n")
        if end < 0:
            if len(data) >= self.max_read_bytes:
                # A line longer than a whole read cannot be a tag the addon printed; step over it.
                log.warning("skipping %d bytes without a line break in %s", len(data), self.path)
                self._advance(len(data))
            return []
        chunk = data[: end + 1]
        if self._offset == 0 and chunk.startswith(BOM):
            chunk = chunk[len(BOM) :]
        self._advance(end + 1)
        return [line.rstrip("\r") for line in chunk.decode("utf-8", errors="replace").split("\n")[:-1]]

    def poll(self) -> list[TailedTag]:
        """New tags since the last poll, in log order, each key at most once; malformed ones logged."""
        found: list[TailedTag] = []
        for raw in self.read_lines():
            text = strip_timestamp(raw)
            reading = read_line(text)
            if reading.malformed:
                log.warning("skipping malformed tag line (%s): %r", reading.reason, raw)
                continue
            tag = reading.tag
            if tag is None:
                continue
            # An update check is a fresh question every time it is asked.
            if not isinstance(tag, UpdateCheck):
                if tag.key in self._seen:
                    log.debug("dropping repeated tag %s", tag.key)
                    continue
                self._remember(tag.key)
            found.append(TailedTag(tag, text))
        return found

    def _restart_file(self, why: str) -> None:
        log.info("chat log %s was %s; reading it from the start", self.path, why)
        self._offset = 0
        self._fingerprint = ""
        self._dirty = True

    def _advance(self, count: int) -> None:
        self._dirty = True
        self._offset += count
        self._fingerprint = self._fingerprint_at(self._offset)

    def _fingerprint_at(self, offset: int) -> str:
        if offset <= 0:
            return ""
        start = max(0, offset - FINGERPRINT_BYTES)
        try:
            with self.path.open("rb") as handle:
                handle.seek(start)
                data = handle.read(offset - start)
        except FileNotFoundError:
            return ""
        return hashlib.sha256(data).hexdigest()[:32]

    def _last_line_end(self, size: int) -> int:
        if size == 0:
            return 0
        start = max(0, size - self.max_read_bytes)
        with self.path.open("rb") as handle:
            handle.seek(start)
            data = handle.read(size - start)
        end = data.rfind(b"\n")
        return start + end + 1 if end >= 0 else start
