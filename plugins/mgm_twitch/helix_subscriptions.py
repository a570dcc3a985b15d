"""Claim enrollment: ask Helix whether the viewer subscribes to the channel.

``GET {MGM_HELIX_BASE_URL}/helix/subscriptions/user?broadcaster_id=&user_id=``:
200 with a non-empty ``data`` → subscriber; 404 → not subscribed (Twitch's
answer). Anything else (not configured, 401, 5xx, timeout) is no opinion and is
logged; with no other opinion the claim is refused as ``not_subscriber``.
"""

from __future__ import annotations

import aiohttp

from mgm_core.plugins import hookimpl
from mgm_core.plugins.context import PluginContext, SubscriberQuery, SubscriberSource, SubscriberVerdict
from mgm_twitch.helix import HelixNotConfigured, helix_headers, helix_url


@hookimpl
async def mgm_check_subscriber(query: SubscriberQuery, context: PluginContext) -> SubscriberVerdict | None:
    if query.source is not SubscriberSource.CLAIM or context.http is None:
        return None
    config = context.config
    fields = {"twitch_user_id": query.twitch_user_id}
    try:
        headers = helix_headers(config)
    except HelixNotConfigured as missing:
        context.log.warning("helix subscriber check not configured", extra={**fields, "reason": str(missing)})
        return None
    params = {
        "broadcaster_id": query.broadcaster_id or config.broadcaster_id,
        "user_id": query.twitch_user_id,
    }
    try:
        async with context.http.get(
            helix_url(config, "subscriptions/user"),
            params=params,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=config.helix_timeout_seconds),
        ) as answer:
            if answer.status == 404:
                return SubscriberVerdict.DENY
            if answer.status == 200:
                body = await answer.json(content_type=None)
                data = body.get("data") if isinstance(body, dict) else None
                return SubscriberVerdict.ALLOW if isinstance(data, list) and data else SubscriberVerdict.DENY
            context.log.warning("helix subscriber check failed", extra={**fields, "status": answer.status})
            return None
    except (TimeoutError, aiohttp.ClientError, ValueError) as error:
        context.log.warning("helix subscriber check failed", extra={**fields, "error": type(error).__name__})
        return None
