"""The connection pool and transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from mgm_core.db.migrate import migrate
from mgm_core.store.outage import OUTAGE_ERRORS, DatabaseUnavailable

CONNECT_TIMEOUT_SECONDS = 5.0
# What a pooled connection that died while idle raises on its next use.
DEAD_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)
DEAD_CONNECTION_TRIES = 3


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Return a connection to the pool without asyncpg's reset round trip.

    asyncpg still rolls back a transaction left open before calling this. The
    default reset (``RESET ALL``, ``UNLISTEN *``, advisory unlock, ``CLOSE ALL``)
    undoes session state this package never creates on pooled connections (no
    ``SET``, ``LISTEN``, session advisory lock or cursor outside a transaction;
    migrations use their own connection), and costs one round trip per request.
    """


class Database:
    """An asyncpg pool opened on a migrated database."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, dsn: str, *, min_size: int = 1, max_size: int = 10) -> Database:
        """Migrate the database behind ``dsn`` (under the advisory lock), then pool connections."""
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        # A refused or hanging server fails a (re)connect within the timeout instead of
        # holding the request; the pool replaces dead connections on the next acquire.
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            timeout=CONNECT_TIMEOUT_SECONDS,
            reset=_keep_session,
        )
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection inside one READ COMMITTED transaction, committed on success.

        Raises :class:`DatabaseUnavailable` when the database cannot be reached or
        the connection dies (the transaction is then not committed).
        """
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                yield conn
        except OUTAGE_ERRORS as exc:
            raise DatabaseUnavailable(f"{type(exc).__name__}: {exc}") from exc

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            async with self.pool.acquire() as conn:
                yield conn
        except OUTAGE_ERRORS as exc:
            raise DatabaseUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def fetchrow(self, sql: str, *args: object) -> asyncpg.Record | None:
        """One statement in its own implicit transaction: one round trip, no BEGIN/COMMIT.

        Written out rather than through :meth:`connection` (one context manager
        less on every chat enrollment); the same outage translation.
        """
        try:
            async with self.pool.acquire() as conn:
                return await conn.fetchrow(sql, *args)
        except OUTAGE_ERRORS as exc:
            raise DatabaseUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def fetchval(self, sql: str, *args: object) -> Any:
        try:
            async with self.pool.acquire() as conn:
                return await conn.fetchval(sql, *args)
        except OUTAGE_ERRORS as exc:
            raise DatabaseUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def ping(self) -> bool:
        """Whether the database answers now.

        An idle pooled connection whose backend was terminated fails on its first use
        (the pool replaces it on the next acquire), so such a failure is tried again,
        a few times at most; a refused or hanging connect answers ``False`` at once.
        """
        for _ in range(DEAD_CONNECTION_TRIES):
            try:
                async with self.pool.acquire(timeout=2) as conn:
                    return await conn.fetchval("SELECT 1", timeout=2) == 1
            except DEAD_CONNECTION_ERRORS:
                continue
            except (*OUTAGE_ERRORS, asyncpg.PostgresError):
                return False
        return False
