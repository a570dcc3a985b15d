"""Ports from an operator's range instead of ephemeral ones (``mgm e2e --ports FROM-TO``).

``mgm e2e --ports 24000-24999`` puts ``MGM_PORTS=24000-24999`` in the environment of
the scenarios it runs; from then on every service started on port 0 through
:func:`mgm_core.serving.start_site` (EBS instances, mocks, the WoW simulator)
listens on a port of that range instead of one the kernel picks.

Parallel-safe: each pytest-xdist worker takes its own slice of the range
(``PYTEST_XDIST_WORKER`` / ``PYTEST_XDIST_WORKER_COUNT``), so two workers never
hand out the same port; inside a process a lock and a cursor hand out the ports
of the slice in turn, and each one is bind-probed first, so a port something
else holds is skipped.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

PORTS_ENV = "MGM_PORTS"
_RANGE = re.compile(r"^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$")


@dataclass(frozen=True)
class PortRange:
    """The ports ``first``..``last``, both included."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if not 1 <= self.first <= self.last <= 65535:
            raise ValueError(f"port range {self.first}-{self.last}: need 1 <= FROM <= TO <= 65535")

    @classmethod
    def parse(cls, text: str) -> PortRange:
        """``"24000-24999"`` → ``PortRange(24000, 24999)``; a ValueError says what is wrong."""
        match = _RANGE.match(text)
        if match is None:
            raise ValueError(f"port range {text!r}: expected FROM-TO, e.g. 24000-24999")
        return cls(int(match[1]), int(match[2]))

    def __len__(self) -> int:
        return self.last - self.first + 1

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"

    def slice(self, index: int, count: int) -> PortRange:
        """Part ``index`` of ``count`` equal, disjoint parts (the last one takes the remainder)."""
        if not 0 <= index < count:
            raise ValueError(f"slice {index} of {count}")
        size = len(self) // count
        if size == 0:
            raise ValueError(f"port range {self} has fewer ports than the {count} workers sharing it")
        first = self.first + index * size
        last = self.last if index == count - 1 else first + size - 1
        return PortRange(first, last)


class PortRangeExhausted(OSError):
    """No port of the range could be bound."""

    def __init__(self, ports: PortRange) -> None:
        super().__init__(errno.EADDRINUSE, f"no free port left in {PORTS_ENV}={ports}")


class PortAllocator:
    """Hands out the ports of one range in turn, skipping those that cannot be bound."""

    def __init__(self, ports: PortRange, host: str = "127.0.0.1") -> None:
        self.ports = ports
        self.host = host
        self._lock = threading.Lock()
        self._next = 0

    def take(self) -> int:
        with self._lock:
            for _ in range(len(self.ports)):
                port = self.ports.first + self._next
                self._next = (self._next + 1) % len(self.ports)
                if _bindable(self.host, port):
                    return port
        raise PortRangeExhausted(self.ports)


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # The option the servers set, so a port in TIME_WAIT counts as free, as it is for them.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def worker_range(ports: PortRange, environ: Mapping[str, str]) -> PortRange:
    """This process's share of ``ports``: a pytest-xdist worker ``gwN`` of ``W`` gets slice N of W."""
    worker = re.fullmatch(r"gw(\d+)", environ.get("PYTEST_XDIST_WORKER", ""))
    count = environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    if worker is None or not count.isdigit() or int(count) < 1:
        return ports
    return ports.slice(int(worker[1]) % int(count), int(count))


@lru_cache(maxsize=8)
def _allocator(text: str, worker: str, count: str) -> PortAllocator:
    environ = {"PYTEST_XDIST_WORKER": worker, "PYTEST_XDIST_WORKER_COUNT": count}
    return PortAllocator(worker_range(PortRange.parse(text), environ))


def allocator_from_env(environ: Mapping[str, str] | None = None) -> PortAllocator | None:
    """The process's allocator for ``MGM_PORTS`` (one per range and worker), or None when unset."""
    env = os.environ if environ is None else environ
    text = env.get(PORTS_ENV, "").strip()
    if not text:
        return None
    try:
        return _allocator(text, env.get("PYTEST_XDIST_WORKER", ""), env.get("PYTEST_XDIST_WORKER_COUNT", ""))
    except ValueError as exc:
        raise ValueError(f"{PORTS_ENV}: {exc}") from None


def port_for(port: int, environ: Mapping[str, str] | None = None) -> int:
    """``port`` itself, except 0 under ``MGM_PORTS``: then a free port of this process's share."""
    if port != 0:
        return port
    allocator = allocator_from_env(environ)
    return 0 if allocator is None else allocator.take()
