"""Find and remove what killed test runs left behind: ``mgm_*`` databases and embedded clusters.

A run killed outright (``kill -9``, an OOM kill, a CI timeout) never drops its databases
on an external server nor removes its embedded cluster from ``/dev/shm``. :func:`clean`
does, at the start of the next test session and from ``mgm clean``, and never touches a
live run's data:

* a database or cluster stamped by a process of this machine (see
  :mod:`mgm_core.testing.owner`) is removed only when that process is gone, judged by pid
  *and* start time, so a reused pid does not keep it (nor a new process lose its own);
* one stamped on another machine (a shared server) cannot be judged by pid: it is removed
  only when older than ``max_age`` (24 hours by default);
* an unstamped cluster (made before stamps existed) is removed only when no process holds
  its lock file and the pid written in it is gone; one with no lock file only when older
  than ``max_age``; an unstamped database named like a test database only when its files
  on the server are older than ``max_age``. Anything else is left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

import asyncpg

from mgm_core.db.embedded import filesystem_now
from mgm_core.testing.owner import Owner, process_start

log = logging.getLogger(__name__)

DEFAULT_MAX_AGE_S = 24 * 3600.0
CLUSTER_DIR_PREFIX = "mgm-pg-"
OWNER_FILE = "owner.json"
# Where the test fixtures put embedded clusters, when set (else /dev/shm or the temp dir).
SCRATCH_DIR_ENV = "MGM_TEST_SCRATCH_DIR"
# Names the test fixtures give (mgm_<worker>_<pid>_<hex>_<n|tmpl|...>); nothing else is ours.
TEST_DATABASE_NAME = re.compile(r"^(mgm_[a-z0-9]{1,8}_\d+_[0-9a-f]{6})_[a-z0-9_]+$")
# Dead runs' registry files are kept this long at most once their databases may be elsewhere.
REGISTRY_MAX_AGE_S = 7 * 24 * 3600.0


def registry_dir() -> Path:
    """Where each live test process registers its database prefix, on this machine."""
    return Path(tempfile.gettempdir()) / "mgm-test-owners"


def register(prefix: str, server: str, owner: Owner) -> Path:
    """Record that ``owner`` makes databases named ``<prefix>_*`` on ``server``, before it makes any.

    A database whose ``CREATE`` completes after its run was killed never gets its comment;
    the registry still names its owner.
    """
    folder = registry_dir()
    folder.mkdir(mode=0o777, exist_ok=True)
    path = folder / f"{prefix}.json"
    record = json.loads(owner.stamp()) | {"server": server}
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(record), encoding="utf-8")
    scratch.replace(path)
    return path


def _registered() -> dict[str, tuple[Owner, str, Path]]:
    """Registered prefixes: their owner, the server they were made on and the registry file."""
    found: dict[str, tuple[Owner, str, Path]] = {}
    with contextlib.suppress(OSError):
        for path in registry_dir().glob("mgm_*.json"):
            with contextlib.suppress(OSError, ValueError):
                text = path.read_text(encoding="utf-8")
                owner = Owner.from_stamp(text)
                if owner is not None:
                    found[path.stem] = (owner, str(json.loads(text).get("server", "")), path)
    return found


@dataclass(frozen=True)
class Leftover:
    """One database or cluster a dead run left, and why we judge it dead."""

    kind: Literal["database", "cluster"]
    name: str
    where: str
    reason: str

    def describe(self) -> str:
        place = f" on {self.where}" if self.where else ""
        return f"{self.kind} {self.name}{place} ({self.reason})"


def server_label(dsn: str) -> str:
    """``host:port`` of a DSN (``socket:port?host=<dir>`` for a unix socket), never user or password."""
    parts = urlsplit(dsn)
    if parts.hostname:
        return f"{parts.hostname}:{parts.port or 5432}"
    query = dict(parse_qsl(parts.query))
    return f"socket:{query.get('port', parts.port or 5432)}?host={query.get('host', '')}"


def _age_text(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h old" if seconds >= 3600 else f"{seconds / 60:.0f} min old"


# --------------------------------------------------------------------------- databases


def _judge_database(name: str, owner: Owner | None, file_age: float | None, max_age: float) -> str | None:
    """Why database ``name`` is a dead run's leftover, or ``None`` to leave it alone."""
    if owner is not None:
        if owner.local:
            return None if owner.alive() else f"its run, {owner.describe()}, has exited"
        # Only the server's own clock dates it: the stamp's time is another machine's, maybe faked.
        if file_age is not None and file_age > max_age:
            return f"made by {owner.describe()}, {_age_text(file_age)}"
        return None
    if TEST_DATABASE_NAME.match(name) and file_age is not None and file_age > max_age:
        return f"unstamped test database, {_age_text(file_age)}"
    return None


async def _find_databases(
    conn: asyncpg.Connection, where: str, max_age: float, prefix: str
) -> list[Leftover]:
    rows = await conn.fetch(
        "SELECT oid, datname, shobj_description(oid, 'pg_database') AS stamp"
        " FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname",
        prefix,
    )
    registered = _registered()
    # A database without its own stamp takes its run's: from the registry, else a stamped sibling.
    by_group: dict[str, Owner] = {prefix: owner for prefix, (owner, _, _) in registered.items()}
    for row in rows:
        group = TEST_DATABASE_NAME.match(row["datname"])
        owner = Owner.from_stamp(row["stamp"])
        if group and owner is not None:
            by_group.setdefault(group.group(1), owner)
    found = []
    for row in rows:
        owner = Owner.from_stamp(row["stamp"])
        group = TEST_DATABASE_NAME.match(row["datname"])
        if owner is None and group is not None:
            owner = by_group.get(group.group(1))
        try:
            # When its files were made: the server's own clock, whoever created it.
            file_age = await conn.fetchval(
                "SELECT extract(epoch FROM now() - (pg_stat_file($1)).modification)::float8",
                f"base/{row['oid']}/PG_VERSION",
            )
        except asyncpg.PostgresError:  # no privilege, or another tablespace: age unknown
            file_age = None
        reason = _judge_database(row["datname"], owner, file_age, max_age)
        if reason is not None:
            found.append(Leftover("database", row["datname"], where, reason))
    return found


async def _clean_databases(
    server_dsn: str, max_age: float, dry_run: bool, prefix: str
) -> tuple[list[Leftover], list[str]]:
    where = server_label(server_dsn)
    conn = await asyncpg.connect(server_dsn, timeout=10)
    removed, failed = [], []
    try:
        for item in await _find_databases(conn, where, max_age, prefix):
            if not dry_run:
                quoted = '"' + item.name.replace('"', '""') + '"'
                try:
                    await conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
                except asyncpg.PostgresError as exc:
                    failed.append(f"database {item.name} on {where}: {exc}")
                    continue
            removed.append(item)
        if not dry_run:
            await _forget_registered(conn, where)
    finally:
        await conn.close()
    return removed, failed


async def _forget_registered(conn: asyncpg.Connection, where: str) -> None:
    """Remove registry files of dead runs on this server once none of their databases is left."""
    for prefix, (owner, server, path) in _registered().items():
        if not owner.local or owner.alive() or server != where:
            continue
        left = await conn.fetchval(
            "SELECT count(*) FROM pg_database WHERE starts_with(datname, $1)", prefix + "_"
        )
        if left == 0:
            path.unlink(missing_ok=True)


def _forget_stale_registrations() -> None:
    """Remove registry files of dead runs whose server is gone (a dead embedded one) or that are old."""
    now = filesystem_now(registry_dir())
    for _prefix, (owner, server, path) in _registered().items():
        if not owner.local or owner.alive():
            continue
        socket_dir = server.split("?host=", 1)[1] if "?host=" in server else None
        with contextlib.suppress(OSError):
            old = now is not None and now - path.stat().st_mtime > REGISTRY_MAX_AGE_S
            if (socket_dir and not Path(socket_dir).exists()) or old:
                path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- clusters


def default_scratch_dirs() -> list[Path]:
    """Where embedded test clusters are made: ``/dev/shm`` and the temporary directory."""
    chosen = os.environ.get(SCRATCH_DIR_ENV, "").strip()
    dirs = [Path(chosen)] if chosen else []
    dirs += [Path("/dev/shm"), Path(tempfile.gettempdir())]
    return [d for i, d in enumerate(dirs) if d.is_dir() and d not in dirs[:i]]


def _lock_is_held(path: Path) -> bool:
    """Whether some process holds ``path`` locked (as a live launcher holds its cluster's)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _lock_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _judge_cluster(folder: Path, max_age: float, now: float | None) -> str | None:
    """Why cluster directory ``folder`` is a dead run's leftover, or ``None`` to leave it alone."""
    locks = sorted(folder.glob("pg*.lock"))
    try:
        stamp = (folder / OWNER_FILE).read_text(encoding="utf-8")
    except OSError:
        stamp = None
    owner = Owner.from_stamp(stamp)
    if owner is not None and owner.local:
        if owner.alive() or any(_lock_is_held(lock) for lock in locks):
            return None
        return f"its run, {owner.describe()}, has exited"
    # Age on the file system's clock; unknown (None) never counts as old.
    age = now - folder.stat().st_mtime if now is not None else -1.0
    if owner is not None:  # another machine's, seen through a shared folder
        return f"made by {owner.describe()}, {_age_text(age)}" if age > max_age else None
    if locks:
        # Unstamped: a live launcher holds the lock; check the pid written in it first, so a
        # probe never races a launcher taking its own lock.
        if any(process_start(pid) is not None for pid in map(_lock_pid, locks) if pid is not None):
            return None
        if any(_lock_is_held(lock) for lock in locks):
            return None
        return "unstamped; no process holds its lock"
    return f"unstamped and never started, {_age_text(age)}" if age > max_age else None


def _processes_in(folder: Path) -> list[int]:
    """Pids working inside ``folder`` (a server chdirs to its data directory)."""
    inside = str(folder.resolve())
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                cwd = os.readlink(entry / "cwd")
                if cwd == inside or cwd.startswith(inside + "/"):
                    found.append(int(entry.name))
    return found


def _remove_cluster(folder: Path) -> None:
    # A dead run's server normally stops by itself (parent-death signal); end any straggler.
    pids = _processes_in(folder)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if process_start(pid) is not None]
        time.sleep(0.02)
    shutil.rmtree(folder)


def _clean_clusters(
    scratch_dirs: Iterable[Path], max_age: float, dry_run: bool
) -> tuple[list[Leftover], list[str]]:
    removed, failed = [], []
    for parent in scratch_dirs:
        try:
            entries = sorted(parent.iterdir())
        except OSError:
            continue
        now = filesystem_now(parent) if any(e.name.startswith(CLUSTER_DIR_PREFIX) for e in entries) else None
        for folder in entries:
            if not folder.name.startswith(CLUSTER_DIR_PREFIX) or folder.is_symlink() or not folder.is_dir():
                continue
            try:
                reason = _judge_cluster(folder, max_age, now)
            except OSError:  # vanished while we looked: its owner removed it
                continue
            if reason is None:
                continue
            if not dry_run:
                try:
                    _remove_cluster(folder)
                except FileNotFoundError:
                    pass  # another cleaner got there first
                except OSError as exc:
                    failed.append(f"cluster {folder}: {exc}")
                    continue
            removed.append(Leftover("cluster", str(folder), "", reason))
    return removed, failed


# --------------------------------------------------------------------------- entry points


@dataclass
class CleanResult:
    removed: list[Leftover]
    failed: list[str]


def clean_all(
    server_dsns: Sequence[str] = (),
    *,
    scratch_dirs: Sequence[Path] | None = None,
    clusters: bool = True,
    max_age: float = DEFAULT_MAX_AGE_S,
    dry_run: bool = False,
    prefix: str = "mgm_",
) -> CleanResult:
    """Remove (or with ``dry_run`` only list) dead runs' databases on ``server_dsns`` and clusters.

    Only databases whose names start with ``prefix`` (which must start with ``mgm_``) are
    considered; clusters are looked for in ``scratch_dirs`` (default: :func:`default_scratch_dirs`).
    """
    if not prefix.startswith("mgm_"):
        raise ValueError(f"prefix must start with mgm_; got {prefix!r}")
    result = CleanResult([], [])
    for dsn in dict.fromkeys(server_dsns):
        try:
            removed, failed = asyncio.run(_clean_databases(dsn, max_age, dry_run, prefix))
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            result.failed.append(f"server {server_label(dsn)}: {type(exc).__name__}: {exc}")
            continue
        result.removed += removed
        result.failed += failed
    if not dry_run:
        _forget_stale_registrations()
    if clusters:
        dirs = default_scratch_dirs() if scratch_dirs is None else list(scratch_dirs)
        removed, failed = _clean_clusters(dirs, max_age, dry_run)
        result.removed += removed
        result.failed += failed
    for line in result.failed:
        log.warning("could not remove a leftover", extra={"item": line})
    return result


def clean(server_dsn: str | None, *, scratch_dirs: Sequence[Path] | None = None) -> list[Leftover]:
    """What the test fixtures run at session start: clean ``server_dsn`` (if any) and local clusters."""
    return clean_all([server_dsn] if server_dsn else [], scratch_dirs=scratch_dirs).removed
