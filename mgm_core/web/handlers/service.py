"""Service information and probes: ``/``, ``/health``, ``/health/ready``, ``/api/version``."""

from __future__ import annotations

from aiohttp import web

from mgm_core import SERVICE_NAME, __version__
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.store.outage import RETRY_AFTER_SECONDS
from mgm_core.web import keys
from mgm_core.web.access import Access, access
from mgm_core.web.wire import json_response


@access(Access.PUBLIC)
async def root(request: web.Request) -> web.Response:
    return json_response({"service": SERVICE_NAME, "version": __version__, "status": "ok"})


@access(Access.PUBLIC)
async def health(request: web.Request) -> web.Response:
    return json_response({"status": "healthy", "component": SERVICE_NAME})


@access(Access.PUBLIC)
async def ready(request: web.Request) -> web.Response:
    if not await request.app[keys.DATABASE].ping():
        raise Refusal(
            ErrorCode.SERVICE_UNAVAILABLE,
            "the database does not answer",
            {"database": "down"},
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return json_response({"status": "ready", "component": SERVICE_NAME, "database": "ok"})


@access(Access.PUBLIC)
async def version(request: web.Request) -> web.Response:
    config = keys.config(request.app)
    return json_response(
        {
            "version": config.version or __version__,
            "releaseNotesUrl": config.release_notes_url,
            "minimumDesktopVersion": config.minimum_desktop_version,
            "minimumAddonVersion": config.minimum_addon_version,
            "minimumExtensionVersion": config.minimum_extension_version,
        }
    )


@access(Access.PUBLIC)
async def openapi(request: web.Request) -> web.Response:
    return json_response(request.app[keys.OPENAPI])
