"""Who made a test database or cluster, and whether that process still runs.

A test run stamps what it makes with an :class:`Owner`: its pid, the process's start time
(so a reused pid is not mistaken for the owner) and the machine it runs on (boot id plus
pid namespace, so a pid is only ever judged where it means something). Stamps are JSON:
a database carries one as its comment, an embedded test cluster as ``owner.json``.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

# Marks a stamp as ours; anything else in a comment is never read as an owner.
STAMP_KIND = "mgm-test"


@cache
def machine_id() -> str:
    """This machine and pid namespace: pids compare only between processes sharing it."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = "no-boot-id"
    try:
        namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        namespace = "no-pidns"
    return f"{boot}:{namespace}"


def process_start(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), or ``None`` when it is gone (or a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except (OSError, ValueError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = raw[raw.rfind(b")") + 2 :].split()
    if fields[:1] in ([b"Z"], [b"X"]):  # exited, not yet reaped: as good as gone
        return None
    try:
        return int(fields[19])  # field 22 of the whole line
    except (IndexError, ValueError):
        return None


@dataclass(frozen=True)
class Owner:
    """The process that made something: enough to tell later whether it still runs."""

    pid: int
    start: int | None
    machine: str
    host: str
    created: float

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(
            pid=pid,
            start=process_start(pid),
            machine=machine_id(),
            host=socket.gethostname(),
            created=time.time(),
        )

    @property
    def local(self) -> bool:
        """Whether the owner ran on this machine, in this pid namespace (so its pid can be checked)."""
        return self.machine == machine_id()

    def alive(self) -> bool:
        """Whether the owner still runs; only meaningful when :attr:`local`.

        A process with the same pid but another start time is someone else: the owner died.
        A stamp without a start time cannot tell, so it counts as alive while the pid exists.
        """
        started = process_start(self.pid)
        if started is None:
            return False
        return self.start is None or started == self.start

    def stamp(self) -> str:
        return json.dumps({"kind": STAMP_KIND, **asdict(self)}, separators=(",", ":"))

    @classmethod
    def from_stamp(cls, text: str | None) -> Owner | None:
        """The owner a stamp names, or ``None`` when ``text`` is not one of our stamps."""
        if not text:
            return None
        try:
            data: Any = json.loads(text)
            if not isinstance(data, dict) or data.get("kind") != STAMP_KIND:
                return None
            return cls(
                pid=int(data["pid"]),
                start=None if data.get("start") is None else int(data["start"]),
                machine=str(data["machine"]),
                host=str(data.get("host", "?")),
                created=float(data["created"]),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}"
