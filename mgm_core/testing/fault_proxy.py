"""A TCP proxy that can refuse or cut connections: database outages on demand for tests.

Point the EBS at :attr:`FaultProxy.port` instead of PostgreSQL's. ``refuse()``
stops listening and drops every open connection (the server looks gone:
"connection refused"); ``cut()`` drops the open connections but keeps
accepting (backends dying mid-request); ``restore()`` listens again on the
same port. It runs on its own event loop thread, so synchronous tests and the
EBS's own thread can both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

T = TypeVar("T")


def postgres_target(dsn: str) -> tuple[str, int] | str:
    """Where a ``postgresql://`` DSN connects: ``(host, port)`` or a unix socket path."""
    parts = urlsplit(dsn)
    query = dict(parse_qsl(parts.query))
    host = query.get("host") or parts.hostname or "127.0.0.1"
    port = int(query.get("port") or parts.port or 5432)
    return f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port)


def proxied_dsn(dsn: str, proxy: FaultProxy) -> str:
    """``dsn`` (same user and database) through ``proxy``."""
    parts = urlsplit(dsn)
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(("postgresql", f"{user}{proxy.host}:{proxy.port}", parts.path, "", ""))


class FaultProxy:
    def __init__(self, target: tuple[str, int] | str, host: str = "127.0.0.1") -> None:
        self.target = target  # (host, port), or a unix socket path
        self.host = host
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.accepted = 0

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self._run(self._listen())
        return self

    def __exit__(self, *exc: object) -> None:
        self._run(self._stop_listening())
        self._run(self._drop_all())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def refuse(self) -> None:
        """Stop listening and drop every open connection."""
        self._run(self._stop_listening())
        self._run(self._drop_all())

    def cut(self) -> None:
        """Drop every open connection; new ones are still accepted."""
        self._run(self._drop_all())

    def restore(self) -> None:
        """Listen again (same port)."""
        if self._server is None:
            self._run(self._listen())

    # -- internals ---------------------------------------------------------------------
    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            if isinstance(self.target, str):
                server_reader, server_writer = await asyncio.open_unix_connection(self.target)
            else:
                server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.update({client_writer, server_writer})
        try:
            await asyncio.gather(
                self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer)
            )
        finally:
            for writer in (client_writer, server_writer):
                self._writers.discard(writer)
                writer.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
