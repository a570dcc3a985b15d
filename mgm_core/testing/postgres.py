"""Real PostgreSQL databases for tests: one migrated template per worker, a clone per test.

As a pytest plugin (list ``mgm_core.testing.postgres`` in ``pytest_plugins``) it provides:

* ``pg_server_dsn`` (session): the server. ``MGM_TEST_DATABASE_URL`` names an existing
  one (its database is used only for administration); otherwise each pytest-xdist
  worker starts its own :class:`~mgm_core.db.embedded.EmbeddedPostgres`, on
  ``/dev/shm`` when it has room, with durability off.
* ``pg_test_databases`` (session): the :class:`TestDatabases` of this worker, its
  template already migrated.
* ``database_url`` (function): the DSN of a fresh database cloned from the template,
  dropped (with any connections left open) after the test.

Names carry the worker id, the pid and a random suffix, so parallel workers and
concurrent runs against one shared server never collide. :class:`TestDatabases`
holds the logic and works without pytest (see ``bench/db_isolation.py``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import secrets
import shutil
import tempfile
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

log = logging.getLogger(__name__)

EXTERNAL_DSN_ENV = "MGM_TEST_DATABASE_URL"
# A cluster is ~39 MB plus ~8 MB per database; containers often give /dev/shm only 64 MB.
SHM_MIN_FREE_BYTES = 256 * 1024 * 1024

T = TypeVar("T")
# "default" (what "auto" becomes before PostgreSQL 15) leaves the STRATEGY clause out.
Strategy = Literal["auto", "WAL_LOG", "FILE_COPY", "default"]


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
    """

    __test__ = False  # not a test class, despite the name

    def __init__(self, server_dsn: str, *, prefix: str | None = None, strategy: Strategy = "auto") -> None:
        if strategy not in ("auto", "WAL_LOG", "FILE_COPY", "default"):
            raise ValueError(f"strategy must be auto, WAL_LOG, FILE_COPY or default; got {strategy!r}")
        self.server_dsn = server_dsn
        self.strategy: Strategy = strategy
        self.prefix = prefix or default_prefix()
        if len(self.prefix) > 48:  # leaves room for "_tmpl" / "_<n>" in PostgreSQL's 63 bytes
            raise ValueError(f"prefix {self.prefix!r} is too long for a database name")
        self.template: str | None = None
        self._counter = itertools.count(1)
        self._clones: set[str] = set()

    def dsn_for(self, database: str) -> str:
        """The server DSN pointed at ``database``."""
        return dsn_with_database(self.server_dsn, database)

    async def _pick_strategy(self) -> None:
        if self.strategy != "auto":
            return
        conn = await asyncpg.connect(self.server_dsn)
        try:
            row = await conn.fetchrow(
                "SELECT current_setting('server_version_num')::int AS version,"
                " current_setting('fsync') AS fsync"
            )
        finally:
            await conn.close()
        # The STRATEGY clause needs PostgreSQL 15; before it every clone was a file copy anyway.
        if row is None or row["version"] < 150000:
            self.strategy = "default"
        else:
            self.strategy = "FILE_COPY" if row["fsync"] == "off" else "WAL_LOG"

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

        async def build() -> list[int]:
            await self._pick_strategy()
            await self._admin(f"CREATE DATABASE {_quote_ident(name)}")
            try:
                conn = await asyncpg.connect(self.dsn_for(name))
                try:
                    applied = await migrate(conn)
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
        log.info("test template database ready", extra={"database": name, "migrations": applied})
        return name

    def clone(self) -> str:
        """Create a fresh database from the template; returns its DSN."""
        template = self.create_template()
        name = f"{self.prefix}_{next(self._counter)}"
        statement = f"CREATE DATABASE {_quote_ident(name)} TEMPLATE {_quote_ident(template)}"
        if self.strategy in ("WAL_LOG", "FILE_COPY"):
            statement += f" STRATEGY {self.strategy}"
        _run(lambda: self._admin(statement))
        self._clones.add(name)
        return self.dsn_for(name)

    def drop(self, name: str) -> None:
        """Drop database ``name``, ending any connection still open on it."""
        _run(lambda: self._admin(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)"))
        self._clones.discard(name)

    def close(self) -> None:
        """Drop every clone still present and the template."""
        names = sorted(self._clones)
        if self.template is not None:
            names.append(self.template)
        if names:
            _run(
                lambda: self._admin(
                    *(f"DROP DATABASE IF EXISTS {_quote_ident(n)} WITH (FORCE)" for n in names)
                )
            )
        self._clones.clear()
        self.template = None


def _scratch_parent() -> str:
    shm = Path("/dev/shm")
    try:
        if shm.is_dir() and shutil.disk_usage(shm).free >= SHM_MIN_FREE_BYTES:
            return str(shm)
    except OSError:
        pass
    return tempfile.gettempdir()


@contextmanager
def embedded_test_server() -> Iterator[EmbeddedPostgres]:
    """A throw-away, non-durable embedded server in a scratch directory removed afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix="mgm-pg-", dir=_scratch_parent()))
    # mkdtemp makes it 0700; as root the server runs as nobody, who must traverse it.
    data_dir.chmod(0o755)
    server = EmbeddedPostgres(data_dir, durable=False)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server_dsn() -> Iterator[str]:
    """The PostgreSQL server for this test session (``MGM_TEST_DATABASE_URL`` or embedded)."""
    external = os.environ.get(EXTERNAL_DSN_ENV, "").strip()
    if external:
        yield external
        return
    with embedded_test_server() as server:
        yield server.dsn


@pytest.fixture(scope="session")
def pg_test_databases(pg_server_dsn: str) -> Iterator[TestDatabases]:
    """This worker's :class:`TestDatabases`, its template migrated; all dropped at the end."""
    databases = TestDatabases(pg_server_dsn)
    databases.create_template()
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture
def database_url(pg_test_databases: TestDatabases) -> Iterator[str]:
    """The DSN of a migrated database of this test's own, dropped afterwards."""
    dsn = pg_test_databases.clone()
    try:
        yield dsn
    finally:
        pg_test_databases.drop(database_of(dsn))
