"""Which failures are database outages, and the once-only retry of idempotent reads."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from asyncpg import exceptions as pg

from mgm_core.store.outage import DatabaseUnavailable, is_outage
from mgm_core.web.errors import error_middleware
from mgm_core.web.outage import read_retry_middleware


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "refused"),
        TimeoutError(),
        pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        pg.AdminShutdownError("terminating connection due to administrator command"),
        pg.CannotConnectNowError("the database system is starting up"),
        pg.InterfaceError("connection is closed"),
        pg.InternalClientError("cannot switch to state 11; another operation (2) is in progress"),
        DatabaseUnavailable("x"),
    ],
)
def test_outages(error):
    assert is_outage(error)


@pytest.mark.parametrize(
    "error", [ValueError("bug"), KeyError("k"), pg.UniqueViolationError("dup"), pg.SyntaxOrAccessError("x")]
)
def test_bugs_and_query_errors_are_not_outages(error):
    assert not is_outage(error)


def test_a_bug_raised_while_handling_an_outage_stays_a_bug():
    try:
        try:
            raise ConnectionResetError()
        except ConnectionResetError:
            raise ValueError("bug in the handler") from None
    except ValueError as error:
        assert not is_outage(error)


def _serve(failures: int) -> tuple[dict[str, int], web.Application]:
    calls = {"GET": 0, "POST": 0}

    async def handler(request: web.Request) -> web.Response:
        calls[request.method] += 1
        if calls[request.method] <= failures:
            raise pg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[error_middleware, read_retry_middleware])
    app.router.add_route("*", "/x", handler)
    return calls, app


async def _call(app: web.Application, method: str) -> tuple[int, dict, str | None]:
    async with TestClient(TestServer(app)) as client:
        response = await client.request(method, "/x")
        return response.status, await response.json(), response.headers.get("Retry-After")


def test_a_read_on_a_dead_connection_runs_once_more():
    calls, app = _serve(failures=1)
    assert asyncio.run(_call(app, "GET"))[:2] == (200, {"ok": True})
    assert calls["GET"] == 2


def test_a_read_failing_twice_is_503_with_retry_after():
    calls, app = _serve(failures=2)
    status, body, retry_after = asyncio.run(_call(app, "GET"))
    assert (status, body["code"], calls["GET"]) == (503, "service_unavailable", 2)
    assert retry_after == "1"


def test_a_write_is_never_replayed():
    calls, app = _serve(failures=1)
    status, body, retry_after = asyncio.run(_call(app, "POST"))
    assert (status, body["code"], calls["POST"], retry_after) == (503, "service_unavailable", 1, "1")
