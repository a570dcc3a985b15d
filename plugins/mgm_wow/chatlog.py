"""``WoWChatLog.txt`` lines: writing them like the client does, and reading past the timestamp.

WoW 3.3.5a writes ``M/D HH:MM:SS.mmm  <text>`` (month and day without leading
zeros, two spaces), e.g. ``11/24 03:41:07.123  [MGM_CONFIRM:…]``. The seed's
WoWMock wrote ``yyyy-MM-dd HH:mm:ss.fff <content>`` instead. Tags may sit anywhere
in a line, so readers accept both and anything else unchanged.

:class:`ChatLogWriter` opens, appends, flushes and closes for every line, as the
client's log does, so a tailer in another process sees each line at once.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Final

_WOW_PREFIX: Final = re.compile(r"\d{1,2}/\d{1,2} \d{2}:\d{2}:\d{2}\.\d{3}  ")
_SEED_PREFIX: Final = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} ")


def format_wow_line(text: str, when: datetime) -> str:
    """``text`` with the WoW client's timestamp (``when`` in the machine's local time)."""
    local = when.astimezone() if when.tzinfo else when
    return f"{local.month}/{local.day} {local:%H:%M:%S}.{local.microsecond // 1000:03d}  {text}"


def format_seed_line(text: str, when: datetime) -> str:
    """``text`` with the seed WoWMock's ``yyyy-MM-dd HH:mm:ss.fff`` local timestamp."""
    local = when.astimezone() if when.tzinfo else when
    return f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d} {text}"


def strip_timestamp(line: str) -> str:
    """The text of a log line without a leading WoW or seed timestamp."""
    for prefix in (_WOW_PREFIX, _SEED_PREFIX):
        match = prefix.match(line)
        if match:
            return line[match.end() :]
    return line


class ChatLogWriter:
    """Appends whole lines to a chat-log file (directories created on demand).

    Thread-safe: lines from concurrent writers never interleave.
    """

    def __init__(self, path: Path) -> None:
        self.path = path.absolute()
        self._lock = threading.Lock()

    def ensure_exists(self) -> None:
        """Create the file (and its folders) if missing, without touching its contents."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch(exist_ok=True)

    def append_line(self, line: str) -> None:
        """Append ``line`` plus a newline; open, write, flush and close so other readers see it."""
        if "\n" in line or "\r" in line:
            raise ValueError("a chat-log line cannot contain a line break")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8", newline="") as handle:
                handle.write(line + "\n")
                handle.flush()

    def truncate(self) -> None:
        """Empty the file in place (same file, length 0), as WoW does on a fresh session."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("w", encoding="utf-8"):
                pass

    def rotate(self) -> Path:
        """Move the current file aside and start a new one; returns where the old one went."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            aside = self.path.with_name(self.path.name + ".1")
            if self.path.exists():
                os.replace(self.path, aside)
            self.path.touch()
            return aside

    def read_lines(self) -> list[str]:
        """Every line currently in the file (for inspection; not an incremental tail)."""
        with self._lock:
            if not self.path.exists():
                return []
            return self.path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
