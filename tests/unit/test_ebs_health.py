"""The after-scenario check's eyes: 5xx answers and logged exceptions of a test's EBS."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mgm_core.testing.health import EbsHealth


async def _client(health: EbsHealth) -> TestClient:
    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def broken(request: web.Request) -> web.Response:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("mgm_core.web.errors").exception("unhandled error")
        return web.json_response({"code": "internal_error"}, status=500)

    async def unavailable(request: web.Request) -> web.Response:
        return web.json_response({"code": "service_unavailable"}, status=503)

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_get("/broken", broken)
    app.router.add_get("/unavailable", unavailable)
    client = TestClient(TestServer(health.watch(app)))
    await client.start_server()
    return client


def test_a_clean_run_has_no_problems():
    asyncio.run(_clean_run())


async def _clean_run():
    health = EbsHealth()
    health.attach()
    client = await _client(health)
    try:
        assert (await client.get("/ok")).status == 200
        assert (await client.get("/missing")).status == 404
        logging.getLogger("mgm_core.scheduler").warning("a warning is not an unhandled error")
    finally:
        await client.close()
        health.detach()
    assert health.problems() == []


def test_5xx_answers_and_logged_exceptions_are_problems_with_the_log_in_the_report():
    health = EbsHealth()
    health.attach()

    async def run() -> None:
        client = await _client(health)
        try:
            await client.get("/broken")
            await client.get("/unavailable")
        finally:
            await client.close()

    try:
        asyncio.run(run())
    finally:
        health.detach()
    assert health.problems() == [
        "GET /broken answered 500",
        "GET /unavailable answered 503",
        "logged: ERROR mgm_core.web.errors: unhandled error [RuntimeError: boom]",
    ]
    report = health.report()
    assert "the EBS misbehaved during the scenario:" in report
    assert "  ERROR mgm_core.web.errors: unhandled error [RuntimeError: boom]" in report


def test_a_detached_watcher_hears_nothing_more():
    health = EbsHealth()
    health.attach()
    health.detach()
    try:
        raise ValueError("later")
    except ValueError:
        logging.getLogger("mgm_core.notifications").exception("notification channel raised")
    assert health.problems() == []
