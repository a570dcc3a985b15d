"""Real PostgreSQL databases for tests: one migrated template per worker, a clone per test.

As a pytest plugin (list ``mgm_core.testing.postgres`` in ``pytest_plugins``) it provides:

* ``pg_server_dsn`` (session): the server. ``MGM_TEST_DATABASE_URL`` names an existing
  one (its database is used only for administration); otherwise each pytest-xdist
  worker starts its own :class:`~mgm_core.db.embedded.EmbeddedPostgres`, on
  ``/dev/shm`` when it has room, with durability off.
* ``pg_test_databases`` (session): the :class:`TestDatabases` of this worker, its
  template already migrated.
* ``database_url`` (function): the DSN of a database in the template's state, of this
  test's own. Either a fresh clone, dropped (with any connections left open) after the
  test, or, where cloning is slow, one of the worker's databases reset to the template's
  state (:mod:`mgm_core.testing.reset`); see :class:`TestDatabases` for the choice. Both
  happen ahead of need on a background thread (:meth:`TestDatabases.start_ahead`), so a
  test waits for neither unless it outpaces the server.

Every database made here carries an owner stamp as its comment, and every embedded
cluster an ``owner.json`` (see :mod:`mgm_core.testing.owner`), so what a killed run left
behind can be told from what a live run uses: :mod:`mgm_core.testing.leftovers` removes
the former at the start of the next session and from ``mgm clean``.

Names carry the worker id, the pid and a random suffix, so parallel workers and
concurrent runs against one shared server never collide. :class:`TestDatabases`
holds the logic and works without pytest (see ``bench/db_isolation.py``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import queue
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import unquote, urlsplit

import asyncpg
import pytest

from mgm_core.db.embedded import EmbeddedPostgres, dsn_with_database
from mgm_core.db.migrate import migrate
from mgm_core.testing.leftovers import (
    CLUSTER_DIR_PREFIX,
    OWNER_FILE,
    SCRATCH_DIR_ENV,
    clean,
    register,
    server_label,
)
from mgm_core.testing.owner import Owner
from mgm_core.testing.reset import ResetPlan, plan_reset, reset, schema_changed

log = logging.getLogger(__name__)

EXTERNAL_DSN_ENV = "MGM_TEST_DATABASE_URL"
# A cluster is ~39 MB plus ~8 MB per database; containers often give /dev/shm only 64 MB.
SHM_MIN_FREE_BYTES = 256 * 1024 * 1024

T = TypeVar("T")
# Clones kept ready per worker: two cover a test that finishes while one is still being made.
DEFAULT_AHEAD = 2
# Used clones awaiting their drop, at most; past it a drop goes before the next clone.
MAX_PENDING_DROPS = 2
# How long a test may wait for its database before we call the server stuck.
ACQUIRE_TIMEOUT_S = 120.0

# "default" (what "auto" becomes before PostgreSQL 15) leaves the STRATEGY clause out.
Strategy = Literal["auto", "WAL_LOG", "FILE_COPY", "default"]
# How a test gets its database: a fresh clone, or a reused one reset to the template's state.
Isolation = Literal["auto", "clone", "reset"]
ISOLATION_ENV = "MGM_TEST_DB_ISOLATION"


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even if this thread has a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def worker_id() -> str:
    """The pytest-xdist worker id (``gw0``…), or ``main`` when not under xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "") or "main"


def default_prefix() -> str:
    """A database-name prefix unique to this worker, process and run."""
    worker = re.sub(r"[^a-z0-9]", "", worker_id().lower())[:8] or "main"
    return f"mgm_{worker}_{os.getpid()}_{secrets.token_hex(3)}"


def database_of(dsn: str) -> str:
    """The database name a ``postgresql://`` DSN points at."""
    return unquote(urlsplit(dsn).path.lstrip("/"))


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class TestDatabases:
    """Create a migrated template on a server, clone it per test, drop the clones.

    ``server_dsn`` must let us ``CREATE DATABASE``; the database it names is only used
    to run administrative statements. Call :meth:`close` to drop everything made here.
    ``strategy`` is ``CREATE DATABASE``'s (PostgreSQL 15+): ``FILE_COPY`` copies files and
    checkpoints, cheap on a server without fsync and ~1.5-2x faster there for a small
    template; ``WAL_LOG`` (the server default) writes the copy through the WAL, gentler on
    a durable shared server. ``auto`` picks ``FILE_COPY`` exactly when fsync is off.

    ``isolation`` is how :meth:`start_ahead`'s pool hands databases out: ``clone`` gives
    each test a fresh clone and drops it afterwards; ``reset`` keeps ``depth`` clones and
    resets a released one to the template's state (one batch, see
    :mod:`mgm_core.testing.reset`) instead, far cheaper where ``CREATE DATABASE`` is slow.
    ``auto`` (the default, or ``MGM_TEST_DB_ISOLATION``) picks ``reset`` exactly when fsync
    is on: a durable server, where a clone costs 200-600 ms and a reset a few ms.
    ``migrator`` builds the template (default: :func:`~mgm_core.db.migrate.migrate`).
    """

    __test__ = False  # not a test class, despite the name

    def __init__(
        self,
        server_dsn: str,
        *,
        prefix: str | None = None,
        strategy: Strategy = "auto",
        isolation: Isolation | None = None,
        migrator: Callable[[asyncpg.Connection], Coroutine[Any, Any, Any]] = migrate,
    ) -> None:
        if strategy not in ("auto", "WAL_LOG", "FILE_COPY", "default"):
            raise ValueError(f"strategy must be auto, WAL_LOG, FILE_COPY or default; got {strategy!r}")
        chosen = isolation or os.environ.get(ISOLATION_ENV, "").strip().lower() or "auto"
        if chosen not in ("auto", "clone", "reset"):
            raise ValueError(f"isolation ({ISOLATION_ENV}) must be auto, clone or reset; got {chosen!r}")
        self.server_dsn = server_dsn
        self.strategy: Strategy = strategy
        self.isolation: Isolation = chosen  # type: ignore[assignment]
        self.reset_plan: ResetPlan | None = None
        self._migrator = migrator
        self.prefix = prefix or default_prefix()
        if len(self.prefix) > 48:  # leaves room for "_tmpl" / "_<n>" in PostgreSQL's 63 bytes
            raise ValueError(f"prefix {self.prefix!r} is too long for a database name")
        self.template: str | None = None
        self._counter = itertools.count(1)
        self._clones: set[str] = set()
        self._clones_lock = threading.Lock()
        self._ahead: _Ahead | None = None
        self._registration: Path | None = None

    def dsn_for(self, database: str) -> str:
        """The server DSN pointed at ``database``."""
        return dsn_with_database(self.server_dsn, database)

    async def _pick_strategy(self) -> None:
        if self.strategy != "auto" and self.isolation != "auto":
            return
        conn = await asyncpg.connect(self.server_dsn)
        try:
            row = await conn.fetchrow(
                "SELECT current_setting('server_version_num')::int AS version,"
                " current_setting('fsync') AS fsync"
            )
        finally:
            await conn.close()
        assert row is not None
        durable = row["fsync"] != "off"
        if self.isolation == "auto":
            self.isolation = "reset" if durable else "clone"
        if self.strategy != "auto":
            return
        # The STRATEGY clause needs PostgreSQL 15; before it every clone was a file copy anyway.
        if row["version"] < 150000:
            self.strategy = "default"
        else:
            self.strategy = "WAL_LOG" if durable else "FILE_COPY"

    def _create_statements(self, name: str, template: str | None) -> list[str]:
        """``CREATE DATABASE`` (a clone when ``template`` is given) and its owner stamp."""
        create = f"CREATE DATABASE {_quote_ident(name)}"
        if template is not None:
            create += f" TEMPLATE {_quote_ident(template)}"
            if self.strategy in ("WAL_LOG", "FILE_COPY"):
                create += f" STRATEGY {self.strategy}"
        stamp = Owner.current().stamp().replace("'", "''")
        return [create, f"COMMENT ON DATABASE {_quote_ident(name)} IS '{stamp}'"]

    def _next_clone_name(self) -> str:
        name = f"{self.prefix}_{next(self._counter)}"
        with self._clones_lock:
            self._clones.add(name)
        return name

    def _forget(self, name: str) -> None:
        with self._clones_lock:
            self._clones.discard(name)

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.server_dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def create_template(self) -> str:
        """Create and migrate the template database (once); returns its name."""
        if self.template is not None:
            return self.template
        name = f"{self.prefix}_tmpl"
        self._registration = register(self.prefix, server_label(self.server_dsn), Owner.current())

        async def build() -> list[int]:
            await self._pick_strategy()
            await self._admin(*self._create_statements(name, None))
            try:
                conn = await asyncpg.connect(self.dsn_for(name))
                try:
                    applied = await self._migrator(conn)
                    # Read from the catalog now, so every table a migration made is covered.
                    self.reset_plan = await plan_reset(conn)
                finally:
                    # Cloning fails while anyone is connected to the template.
                    await conn.close()
                # Refuse stray connections from now on, so a clone can never be blocked by one.
                await self._admin(f"ALTER DATABASE {_quote_ident(name)} WITH ALLOW_CONNECTIONS false")
            except BaseException:
                # A broken migration must not leave a half-made template on a shared server.
                await self._admin(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
                raise
            return applied

        applied = _run(build)
        self.template = name
        log.info(
            "test template database ready",
            extra={"database": name, "migrations": applied, "isolation": self.isolation},
        )
        return name

    def clone(self) -> str:
        """Create a fresh database from the template now; returns its DSN."""
        template = self.create_template()
        name = self._next_clone_name()
        try:
            _run(lambda: self._admin(*self._create_statements(name, template)))
        except BaseException:
            self._forget(name)
            raise
        return self.dsn_for(name)

    def drop(self, name: str) -> None:
        """Drop database ``name`` now, ending any connection still open on it."""
        _run(lambda: self._admin(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)"))
        self._forget(name)

    def reset(self, name: str) -> None:
        """Put database ``name`` (a clone of the template) back to the template's state now.

        Raises :class:`asyncpg.PostgresError` with SQLSTATE ``MGM01`` when its schema no
        longer matches the template's (see :func:`mgm_core.testing.reset.schema_changed`).
        """
        self.create_template()
        plan = self.reset_plan
        assert plan is not None
        _run(lambda: reset(self.dsn_for(name), plan))

    def start_ahead(self, depth: int = DEFAULT_AHEAD) -> None:
        """Keep ``depth`` databases ready on a background thread.

        After this, :meth:`acquire` hands out a ready database and :meth:`release` hands it
        back: with ``isolation`` ``clone`` it is dropped and new clones are made; with
        ``reset`` it is reset and handed out again. Neither waits for the server unless
        tests outpace it.
        """
        if self._ahead is not None:
            return
        template = self.create_template()
        self._ahead = _Ahead(self, template, depth)
        self._ahead.start()

    def acquire(self) -> str:
        """A database in the template's state: a ready one when :meth:`start_ahead` runs, else a clone now."""
        if self._ahead is None:
            return self.clone()
        return self.dsn_for(self._ahead.take())

    def release(self, name: str) -> None:
        """Done with ``name``: queue its drop or reset (without :meth:`start_ahead`, drop it now)."""
        if self._ahead is None:
            self.drop(name)
        else:
            self._ahead.discard(name)

    def close(self) -> None:
        """Stop the background thread; drop every clone still present and the template."""
        if self._ahead is not None:
            self._ahead.stop()
            self._ahead = None
        with self._clones_lock:
            names = sorted(self._clones)
            self._clones.clear()
        if self.template is not None:
            names.append(self.template)
        if names:
            _run(
                lambda: self._admin(
                    *(f"DROP DATABASE IF EXISTS {_quote_ident(n)} WITH (FORCE)" for n in names)
                )
            )
        self.template = None
        if self._registration is not None:
            self._registration.unlink(missing_ok=True)
            self._registration = None


class _Ahead:
    """A thread that keeps databases ready over one admin connection.

    With ``clone`` isolation it makes clones while fewer than ``depth`` are ready and drops
    used ones; drops wait for a lull (they are on nobody's critical path) unless
    ``MAX_PENDING_DROPS`` are waiting. With ``reset`` isolation it makes ``depth`` clones
    (more only while a taker waits and none is ready or being reset) and resets each one
    released, first thing; one whose schema a test changed is dropped and replaced by a
    clone. Whatever is left at :meth:`stop` is dropped by :meth:`TestDatabases.close`.
    """

    def __init__(self, owner: TestDatabases, template: str, depth: int) -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1; got {depth}")
        self._owner = owner
        self._template = template
        self._depth = depth
        self._reuse = owner.isolation == "reset"
        self._ready: queue.Queue[str] = queue.Queue()
        self._drops: list[str] = []
        self._resets: list[str] = []
        self._made = 0  # databases of the reset pool (ready, in use or awaiting their reset)
        self._waiting = 0  # takers blocked in take()
        self._wake = threading.Condition()
        self._stopping = False
        self._error: BaseException | None = None
        self.resets = 0  # done so far (for tests and the bench)
        self.replaced = 0  # reused databases replaced by a clone (their schema changed)
        self._thread = threading.Thread(target=self._main, name=f"mgm-db-ahead-{owner.prefix}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def take(self) -> str:
        try:
            name = self._ready.get_nowait()
        except queue.Empty:
            pass
        else:
            with self._wake:
                self._wake.notify()
            return name
        with self._wake:
            self._waiting += 1
            self._wake.notify()
        try:
            return self._take_waiting()
        finally:
            with self._wake:
                self._waiting -= 1
                self._wake.notify()

    def _take_waiting(self) -> str:
        deadline = time.monotonic() + ACQUIRE_TIMEOUT_S
        while True:
            try:
                return self._ready.get(timeout=0.05)
            except queue.Empty:
                if self._error is not None:
                    raise RuntimeError(
                        f"could not prepare a test database from {self._template}: {self._error}"
                    ) from self._error
                if not self._thread.is_alive():
                    raise RuntimeError("the thread preparing test databases has stopped") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"no test database ready after {ACQUIRE_TIMEOUT_S:g} s; is the server overloaded?"
                    ) from None

    def discard(self, name: str) -> None:
        with self._wake:
            (self._resets if self._reuse else self._drops).append(name)
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(timeout=30)

    def _next(self) -> tuple[str, str] | None:
        with self._wake:
            while True:
                if self._stopping:
                    return None
                if self._reuse:
                    if self._resets:
                        return ("reset", self._resets.pop(0))
                    if self._made < self._depth or self._waiting > self._ready.qsize():
                        self._made += 1
                        return ("clone", self._owner._next_clone_name())
                else:
                    # Drops wait for a lull, but only so long: tests faster than clones must
                    # not pile up used databases (each ~8 MB, on /dev/shm).
                    if len(self._drops) >= MAX_PENDING_DROPS:
                        return ("drop", self._drops.pop(0))
                    if self._ready.qsize() < self._depth:
                        return ("clone", self._owner._next_clone_name())
                if self._drops:
                    return ("drop", self._drops.pop(0))
                self._wake.wait()

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the next take()
            log.warning("preparing test databases failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            self._error = exc

    async def _serve(self) -> None:
        conn = await asyncpg.connect(self._owner.server_dsn)
        plan = self._owner.reset_plan
        try:
            while (job := self._next()) is not None:
                kind, name = job
                if kind == "clone":
                    for statement in self._owner._create_statements(name, self._template):
                        await conn.execute(statement)
                    self._ready.put(name)
                elif kind == "reset":
                    assert plan is not None
                    try:
                        await reset(self._owner.dsn_for(name), plan)
                    except (OSError, asyncpg.PostgresError) as exc:
                        # DDL a reset cannot undo, or a database a test broke: replace it.
                        log.info(
                            "replacing a test database instead of resetting it",
                            extra={
                                "database": name,
                                "reason": "schema changed" if schema_changed(exc) else str(exc),
                            },
                        )
                        await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
                        self._owner._forget(name)
                        with self._wake:
                            self._made -= 1
                        self.replaced += 1
                        continue
                    self.resets += 1
                    self._ready.put(name)
                else:
                    await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
                    self._owner._forget(name)
        finally:
            await conn.close()


def _scratch_parent() -> str:
    """``MGM_TEST_SCRATCH_DIR`` when set, else ``/dev/shm`` when it has room, else the temp dir."""
    chosen = os.environ.get(SCRATCH_DIR_ENV, "").strip()
    if chosen:
        return chosen
    shm = Path("/dev/shm")
    try:
        if shm.is_dir() and shutil.disk_usage(shm).free >= SHM_MIN_FREE_BYTES:
            return str(shm)
    except OSError:
        pass
    return tempfile.gettempdir()


@contextmanager
def embedded_test_server() -> Iterator[EmbeddedPostgres]:
    """A throw-away, non-durable embedded server in a scratch directory removed afterwards.

    The directory gets an ``owner.json`` stamp before anything else, so a cleaner can tell
    it from a cluster whose run was killed.
    """
    data_dir = Path(tempfile.mkdtemp(prefix=CLUSTER_DIR_PREFIX, dir=_scratch_parent()))
    (data_dir / OWNER_FILE).write_text(Owner.current().stamp(), encoding="utf-8")
    # mkdtemp makes it 0700; as root the server runs as nobody, who must traverse it.
    data_dir.chmod(0o755)
    server = EmbeddedPostgres(data_dir, durable=False)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _clean_leftovers(server_dsn: str | None) -> None:
    """Remove what killed runs left (never a live run's); a failure here only warns."""
    try:
        # On a thread of its own: the caller's thread may be running an event loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            removed = pool.submit(clean, server_dsn).result()
    except Exception as exc:
        log.warning(
            "could not clean leftovers of earlier runs", extra={"error": f"{type(exc).__name__}: {exc}"}
        )
        return
    for item in removed:
        log.info("removed a leftover of a killed test run", extra={"item": item.describe()})


@pytest.fixture(scope="session")
def pg_server_dsn() -> Iterator[str]:
    """The PostgreSQL server for this test session (``MGM_TEST_DATABASE_URL`` or embedded)."""
    external = os.environ.get(EXTERNAL_DSN_ENV, "").strip()
    _clean_leftovers(external or None)
    if external:
        yield external
        return
    with embedded_test_server() as server:
        yield server.dsn


@pytest.fixture(scope="session")
def pg_test_databases(pg_server_dsn: str) -> Iterator[TestDatabases]:
    """This worker's :class:`TestDatabases`, making clones ahead; all dropped at the end."""
    databases = TestDatabases(pg_server_dsn)
    try:
        databases.start_ahead()
        yield databases
    finally:
        databases.close()


@pytest.fixture
def database_url(pg_test_databases: TestDatabases) -> Iterator[str]:
    """The DSN of a migrated database of this test's own, dropped afterwards."""
    dsn = pg_test_databases.acquire()
    try:
        yield dsn
    finally:
        pg_test_databases.release(database_of(dsn))
