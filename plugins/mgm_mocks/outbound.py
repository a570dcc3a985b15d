"""The one outbound HTTP session a mock app owns, opened and closed with the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

SessionContext = Callable[[web.Application], AsyncIterator[None]]


def client_session_context(key: web.AppKey[aiohttp.ClientSession], timeout_seconds: float) -> SessionContext:
    """A ``cleanup_ctx`` entry that stores a :class:`aiohttp.ClientSession` under ``key``."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout, auto_decompress=True) as session:
            app[key] = session
            yield

    return context
