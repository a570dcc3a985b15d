"""Extension pool routes: ``GET /api/pool/me`` and ``POST /api/payouts/claim``."""

from __future__ import annotations

from aiohttp import web

from mgm_core.domain.names import character_name
from mgm_core.domain.pool import Viewer
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.plugins.context import (
    SubscriberCheckUnavailable,
    SubscriberQuery,
    SubscriberSource,
    SubscriberVerdict,
)
from mgm_core.store import enrollment, pool
from mgm_core.web import keys
from mgm_core.web.access import Access, access
from mgm_core.web.subscribers import check_subscriber
from mgm_core.web.wire import json_response, read_body


def viewer_of(request: web.Request) -> Viewer:
    identity = request[keys.EXTENSION_IDENTITY]
    assert identity.user_id is not None  # Access.VIEWER guarantees it
    return Viewer(identity.user_id, identity.viewer_display_name)


@access(Access.VIEWER)
async def pool_me(request: web.Request) -> web.Response:
    viewer = viewer_of(request)
    async with request.app[keys.DATABASE].connection() as conn:
        entry = await pool.entry_of(conn, viewer.twitch_user_id)
    return json_response(
        {"isEnrolled": entry is not None, "characterName": entry.character_name if entry else None}
    )


@access(Access.VIEWER)
async def claim(request: web.Request) -> web.Response:
    body = await read_body(request)
    name = character_name(body.text("characterName", max_length=256))
    request_id = body.string("enrollmentRequestId", max_length=128)
    viewer = viewer_of(request)
    config = keys.config(request.app)
    if not config.skip_subscriber_check:
        query = SubscriberQuery(
            viewer.twitch_user_id,
            viewer.display_name,
            SubscriberSource.CLAIM,
            broadcaster_id=config.broadcaster_id,
        )
        verdict = await check_subscriber(request.app, query)
        if isinstance(verdict, SubscriberCheckUnavailable):
            raise Refusal(
                ErrorCode.SUBSCRIBER_CHECK_UNAVAILABLE,
                "the subscription cannot be checked right now; try again later",
                {"reason": verdict.reason, "retryAfterSeconds": verdict.retry_after_seconds},
                headers={"Retry-After": str(verdict.retry_after_seconds)},
            )
        if verdict is not SubscriberVerdict.ALLOW:
            raise Refusal(ErrorCode.NOT_SUBSCRIBER, "only channel subscribers may join the roulette")
    result = await enrollment.claim(
        request.app[keys.DATABASE], viewer, name, request_id, request.app[keys.CLOCK].now()
    )
    return json_response(
        {"characterName": result.character_name, "enrollmentRequestId": result.enrollment_request_id},
        status=201 if result.created else 200,
    )
