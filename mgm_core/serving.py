"""Running aiohttp applications: in the foreground for the CLI, or on a thread for tests.

A service under test runs on an event loop of its own (a background thread),
so synchronous test code and pytest-bdd steps talk to it over real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

from aiohttp import web

from mgm_core.port_range import port_for

# Tries of a port from MGM_PORTS when another process takes it between the probe and the bind.
BIND_ATTEMPTS = 5

AppFactory = Callable[[], web.Application | Awaitable[web.Application]]


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it is installed (the ``fast`` extra), else asyncio's default.

    uvloop runs the same aiohttp and asyncpg code with a cheaper event loop and
    transports (decisions.md "Performance"); ``MGM_EVENT_LOOP=asyncio`` opts out.
    """
    if os.environ.get("MGM_EVENT_LOOP", "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


async def start_site(
    app: web.Application, host: str = "127.0.0.1", port: int = 0, *, reuse_port: bool = False
) -> tuple[web.AppRunner, int]:
    """Start ``app`` on ``host:port`` (0 = a free port); returns the runner and the bound port.

    ``reuse_port`` sets ``SO_REUSEPORT``: several ``mgm serve`` processes on one host
    then share one fixed port and the kernel spreads connections over them
    (replicas on one machine, decisions.md "Performance").

    Under ``MGM_PORTS=FROM-TO`` (``mgm e2e --ports``) port 0 means a free port of that
    range (:mod:`mgm_core.port_range`); one taken meanwhile by someone else is skipped.
    """
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    try:
        # setup() enters the app's cleanup_ctx; a failure there (or at bind) must still
        # leave the contexts already entered (an embedded PostgreSQL, say) cleaned up.
        await runner.setup()
        for attempt in range(1, BIND_ATTEMPTS + 1):
            chosen = port_for(port)
            site = web.TCPSite(runner, host, chosen, reuse_address=True, reuse_port=reuse_port or None)
            try:
                await site.start()
                break
            except OSError as exc:
                if chosen == port or exc.errno != errno.EADDRINUSE or attempt == BIND_ATTEMPTS:
                    raise ListenError(host, chosen, exc) from exc
    except BaseException:
        await runner.cleanup()
        raise
    server = site._server
    assert server is not None and server.sockets
    return runner, server.sockets[0].getsockname()[1]


async def serve_until_signalled(
    app: web.Application,
    host: str,
    port: int,
    *,
    on_started: Callable[[int], None] | None = None,
    reuse_port: bool = False,
) -> None:
    """Serve ``app`` until SIGINT or SIGTERM, then shut down cleanly (the CLI's loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    runner, bound = await start_site(app, host, port, reuse_port=reuse_port)
    try:
        if on_started:
            on_started(bound)
        await stop.wait()
    finally:
        await runner.cleanup()


class BackgroundServer:
    """An aiohttp application served on a background thread's own event loop.

    ``start()`` blocks until the app is listening (its ``cleanup_ctx`` ran) and
    returns the base URL; ``stop()`` runs the app's cleanup and joins the thread.
    A start-up failure is raised in the caller's thread.
    """

    def __init__(self, factory: AppFactory, host: str = "127.0.0.1", port: int = 0) -> None:
        self._factory = factory
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.app: web.Application | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("server is not started")
        return f"http://{self._host}:{self.port}"

    def start(self, timeout: float = 30.0) -> str:
        started: Future[int] = Future()
        self._loop = asyncio.new_event_loop()

        async def boot() -> int:
            made = self._factory()
            app = await made if asyncio.iscoroutine(made) else made
            assert isinstance(app, web.Application)
            self.app = app
            self._runner, port = await start_site(app, self._host, self._port)
            return port

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                started.set_result(self._loop.run_until_complete(boot()))
            except BaseException as exc:  # report start-up failure to the caller
                started.set_exception(exc)
                self._loop.close()
                return
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=run, name="mgm-server", daemon=True)
        self._thread.start()
        self.port = started.result(timeout)
        return self.url

    def call(self, coro_factory: Callable[[], Awaitable[object]], timeout: float = 30.0) -> object:
        """Run a coroutine on the server's loop and wait for its result."""
        if self._loop is None:
            raise RuntimeError("server is not started")

        async def wrapped() -> object:
            return await coro_factory()

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        if self._loop is None or self._thread is None:
            return
        if self._runner is not None and self._thread.is_alive():
            runner = self._runner
            asyncio.run_coroutine_threadsafe(runner.cleanup(), self._loop).result(timeout)
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
        self._loop = self._thread = self._runner = None

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EventLoopThread:
    """An event loop on a background thread, for driving async clients from sync tests."""

    def __init__(self, name: str = "mgm-loop") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def call(self, coro_factory: Callable[[], Awaitable[object]], timeout: float = 60.0) -> Any:
        """Run ``coro_factory()`` on the loop and wait for its result."""

        async def wrapped() -> object:
            return await coro_factory()

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()


class ListenError(OSError):
    """The server could not bind ``host:port``; ``str()`` is one line saying why."""

    def __init__(self, host: str, port: int, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.host = host
        self.port = port
        self.reason = _BIND_REASONS.get(cause.errno or 0, cause.strerror or str(cause))

    def __str__(self) -> str:
        return f"cannot listen on {self.host}:{self.port}: {self.reason}"


_BIND_REASONS = {
    errno.EADDRINUSE: "the port is already in use",
    errno.EACCES: "permission denied (ports below 1024 need privileges)",
    errno.EADDRNOTAVAIL: "the address is not available on this machine",
}
