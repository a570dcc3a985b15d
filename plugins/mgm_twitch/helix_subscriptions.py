"""Claim enrollment: ask Helix whether the viewer subscribes to the channel.

Get Broadcaster Subscriptions with the broadcaster's token
(:mod:`mgm_twitch.broadcaster_subscriptions`):
``GET {MGM_HELIX_BASE_URL}/helix/subscriptions?broadcaster_id=&user_id=``.
A listed viewer → ``ALLOW``; an empty ``data`` → ``DENY`` (``not_subscriber``).
When Twitch cannot be asked (not configured, 400/401/403/429/5xx, timeout,
unreadable answer) the hook has no opinion (``None``) and logs the stable
reason code; the core then refuses the claim (docs/decisions.md "Helix
subscriber check endpoint"). No retry, no waiting in the request path.
"""

from __future__ import annotations

from mgm_core.plugins import hookimpl
from mgm_core.plugins.context import PluginContext, SubscriberQuery, SubscriberSource, SubscriberVerdict
from mgm_twitch.broadcaster_subscriptions import (
    BroadcasterSubscriptionsRequest,
    SubscriptionStatus,
    UnavailableReason,
    check_broadcaster_subscription,
)
from mgm_twitch.helix import HelixNotConfigured, helix_headers

# A token or configuration problem an operator must fix, as opposed to a passing outage.
_OPERATOR_ERRORS = frozenset(
    {UnavailableReason.BAD_REQUEST, UnavailableReason.UNAUTHORIZED, UnavailableReason.FORBIDDEN}
)


@hookimpl
async def mgm_check_subscriber(query: SubscriberQuery, context: PluginContext) -> SubscriberVerdict | None:
    if query.source is not SubscriberSource.CLAIM or context.http is None:
        return None
    config = context.config
    fields = {"twitch_user_id": query.twitch_user_id}
    try:
        helix_headers(config)  # the same "is Helix configured" rule as the chat channel
    except HelixNotConfigured as missing:
        context.log.warning("helix subscriber check not configured", extra={**fields, "reason": str(missing)})
        return None
    request = BroadcasterSubscriptionsRequest(
        base_url=config.helix_base_url,
        client_id=config.helix_client_id,
        token=config.broadcaster_token,
        broadcaster_id=query.broadcaster_id or config.broadcaster_id,
        user_id=query.twitch_user_id,
        timeout_seconds=config.helix_timeout_seconds,
    )
    check = await check_broadcaster_subscription(context.http, request)
    if check.status is SubscriptionStatus.SUBSCRIBED:
        return SubscriberVerdict.ALLOW
    if check.status is SubscriptionStatus.NOT_SUBSCRIBED:
        return SubscriberVerdict.DENY
    log = context.log.error if check.reason in _OPERATOR_ERRORS else context.log.warning
    log("helix subscriber check unavailable", extra={**fields, **check.log_fields()})
    return None
