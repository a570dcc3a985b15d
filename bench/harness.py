"""What the throughput benchmarks share: servers, EBS processes, a lean HTTP client, figures.

The EBS runs as ``mgm serve`` in its own process (as deployed), on the
embedded PostgreSQL or an external server. The load comes from this process
through :class:`HttpConnection`, a minimal keep-alive HTTP/1.1 client, so the
client's own cost stays small next to the server's on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from mgm_core.db.embedded import EmbeddedPostgres
from mgm_core.testing.postgres import TestDatabases

EXTERNAL_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def machine_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f} (1/5 min) on {os.cpu_count()} cores"


@contextlib.contextmanager
def database_on(backend: str, external_dsn: str) -> Iterator[str]:
    """A fresh migrated database on ``embedded`` (started here) or ``external`` PostgreSQL."""
    server = None
    if backend == "embedded":
        server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="mgm-bench-")), durable=False)
        server_dsn = server.start()
    else:
        server_dsn = external_dsn
    databases = TestDatabases(server_dsn, prefix=f"mgm_bench_{os.getpid()}")
    try:
        databases.create_template()
        yield databases.clone()
    finally:
        databases.close()
        if server is not None:
            server.stop()


def _mgm() -> str:
    return str(Path(sys.executable).parent / "mgm")


@contextlib.contextmanager
def processes(commands: list[tuple[list[str], dict[str, str], int]]) -> Iterator[list[int]]:
    """Start each ``(argv, extra env, port)``; wait until each answers ``GET /health``; stop them after.

    Yields the processes' pids (for :class:`CpuMeter`). Several commands may name one
    port (``mgm serve --reuse-port``).
    """
    started = []
    try:
        for argv, env, _port in commands:
            started.append(
                subprocess.Popen(
                    argv,
                    env={**os.environ, **env},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for (_, _, port), process in zip(commands, started, strict=True):
            _wait_ready(port, process)
        yield [process.pid for process in started]
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def ebs_command(
    dsn: str, port: int, *, reuse_port: bool = False, **env: str
) -> tuple[list[str], dict[str, str], int]:
    """``mgm serve`` on ``dsn`` with the bench's secrets; INFO logs (to /dev/null), as deployed."""
    base = {
        "MGM_DATABASE_URL": dsn,
        "MGM_API_KEY": "bench-api-key",
        "MGM_EVENTSUB_SECRET": EVENTSUB_SECRET,
    }
    argv = [_mgm(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return argv + (["--reuse-port"] if reuse_port else []), {**base, **env}, port


EVENTSUB_SECRET = "bench-eventsub-secret"


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    """Until ``process`` listens on ``port`` and the port answers ``GET /health``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as answer,
        ):
            # On a shared (reuse-port) port another process may answer: check this one listens.
            if answer.status == 200 and _listens(process.pid, port):
                return
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not become ready")


def _listens(pid: int, port: int) -> bool:
    """Whether ``pid`` holds a TCP socket listening on ``port`` (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port and fields[9] in inodes:
                    return True
    return False


class HttpConnection:
    """One keep-alive HTTP/1.1 connection sending prepared requests, one at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> int:
        """Send one request; returns the status after reading the whole answer."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


def request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds spent during a phase by this process (the load generator), the EBS
    processes and the PostgreSQL backends connected to the bench's database.

    On a shared, loaded machine the rates swing; CPU per operation does much less,
    and says which side a cost is on.
    """

    def __init__(self, dsn: str, ebs_pids: list[int]) -> None:
        self.dsn, self.ebs_pids = dsn, ebs_pids

    async def _backends(self) -> list[int]:
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()
        return [row["pid"] for row in rows]

    async def snapshot(self) -> dict[str, dict[int, float]]:
        backends = await self._backends()
        return {
            "client": {os.getpid(): sum(os.times()[:2])},
            "ebs": {pid: _cpu_seconds(pid) for pid in self.ebs_pids},
            "postgres": {pid: _cpu_seconds(pid) for pid in backends},
        }

    @staticmethod
    def spent(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
        return {
            party: sum(cpu - before[party].get(pid, 0.0) for pid, cpu in pids.items())
            for party, pids in after.items()
        }


@dataclass
class Run:
    """One timed phase: operations done, wall time, per-operation latency (ms), errors, CPU seconds."""

    ops: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # party -> CPU seconds during the phase

    def cpu_per_op(self, party: str) -> float:
        """Microseconds of ``party``'s CPU per operation."""
        return self.cpu.get(party, 0.0) / self.ops * 1e6 if self.ops else float("nan")

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def drive(
    clients: int, seconds: float, one: Callable[[int], Awaitable[bool]], meter: CpuMeter | None = None
) -> Run:
    """``clients`` loops each calling ``one(client)`` until time is up; ``one`` says success."""
    run = Run()
    before = await meter.snapshot() if meter else None
    deadline = time.perf_counter() + seconds

    async def loop(client: int) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            ok = await one(client)
            run.latencies.append((time.perf_counter() - started) * 1000)
            run.ops += ok
            run.errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(clients)))
    run.seconds = time.perf_counter() - started
    if meter and before:
        run.cpu = CpuMeter.spent(before, await meter.snapshot())
    return run


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
