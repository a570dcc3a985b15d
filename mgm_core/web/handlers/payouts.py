"""Payout routes: the Desktop's queue and transitions, the Extension's last payout."""

from __future__ import annotations

from aiohttp import web

from mgm_core.domain.payouts import PayoutStatus
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.store import outbox, payouts
from mgm_core.web import keys
from mgm_core.web.access import Access, access
from mgm_core.web.dto import delivery_dto, event_dto, payout_detail_dto, payout_dto
from mgm_core.web.handlers.pool import viewer_of
from mgm_core.web.wire import json_response, parse_uuid_path, read_body


def _not_found() -> Refusal:
    return Refusal(ErrorCode.NOT_FOUND, "no payout with this id")


@access(Access.DESKTOP)
async def pending(request: web.Request) -> web.Response:
    async with request.app[keys.DATABASE].connection() as conn:
        waiting = await payouts.pending(conn)
    return json_response([payout_dto(p) for p in waiting])


@access(Access.VIEWER)
async def my_last(request: web.Request) -> web.Response:
    viewer = viewer_of(request)
    async with request.app[keys.DATABASE].connection() as conn:
        payout = await payouts.latest_of(conn, viewer.twitch_user_id)
    if payout is None:
        raise Refusal(ErrorCode.NOT_FOUND, "the viewer has not won a payout")
    return json_response(payout_dto(payout))


@access(Access.DESKTOP)
async def get_payout(request: web.Request) -> web.Response:
    payout_id = parse_uuid_path(request)
    database = request.app[keys.DATABASE]
    async with database.connection() as conn:
        payout = await payouts.get(conn, payout_id)
    if payout is None:
        raise _not_found()
    deliveries = await outbox.deliveries_of(database, payout_id)
    return json_response(
        {**payout_detail_dto(payout), "notifications": [delivery_dto(d) for d in deliveries]}
    )


@access(Access.DESKTOP)
async def events(request: web.Request) -> web.Response:
    payout_id = parse_uuid_path(request)
    async with request.app[keys.DATABASE].connection() as conn:
        if await payouts.get(conn, payout_id) is None:
            raise _not_found()
        history = await payouts.events_of(conn, payout_id)
    return json_response([event_dto(e) for e in history])


@access(Access.DESKTOP)
async def patch_status(request: web.Request) -> web.Response:
    payout_id = parse_uuid_path(request)
    body = await read_body(request)
    if not body.has("status"):
        raise Refusal(ErrorCode.INVALID_PAYLOAD, "status is required", {"field": "status"})
    target = PayoutStatus.parse(body.raw("status"))
    notifier = request.app[keys.NOTIFIER]
    database = request.app[keys.DATABASE]
    payout, transition = await payouts.change_status(
        database, payout_id, target, request.app[keys.CLOCK].now(), notify_channels=list(notifier.channels)
    )
    if transition is not None:
        # After commit: the announcement first (the answer shows its flag), then observers.
        if transition.new_status is PayoutStatus.SENT:
            await notifier.deliver(payout_id)
            async with database.connection() as conn:
                payout = await payouts.get(conn, payout_id) or payout
        await notifier.observe(transition)
    return json_response(payout_dto(payout))


@access(Access.DESKTOP)
async def confirm_acceptance(request: web.Request) -> web.Response:
    payout_id = parse_uuid_path(request)
    body = await read_body(request)
    payout = await payouts.confirm_acceptance(
        request.app[keys.DATABASE],
        payout_id,
        body.text("characterName", max_length=256),
        request.app[keys.CLOCK].now(),
    )
    return json_response(payout_detail_dto(payout))
