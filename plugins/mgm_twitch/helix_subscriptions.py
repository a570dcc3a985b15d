"""Claim enrollment: ask Helix whether the viewer subscribes to the channel.

Get Broadcaster Subscriptions with the broadcaster's token
(:mod:`mgm_twitch.broadcaster_subscriptions`):
``GET {MGM_HELIX_BASE_URL}/helix/subscriptions?broadcaster_id=&user_id=``.
A listed viewer → ``ALLOW``; an empty ``data`` → ``DENY`` (``not_subscriber``).
When Twitch cannot be asked (400/401/403/429/5xx, timeout, unreadable answer)
the hook answers :class:`SubscriberCheckUnavailable` with the stable reason
code, and the core answers the claim ``503 subscriber_check_unavailable`` with
``Retry-After`` (a 429's ``Ratelimit-Reset``, bounded; else 30 s). Without a
broadcaster token or id the hook has no opinion (``None``) and the claim is
refused, as before (docs/decisions.md "Helix subscriber check endpoint").
No retry, no waiting in the request path.
"""

from __future__ import annotations

from mgm_core.plugins import hookimpl
from mgm_core.plugins.context import (
    DEFAULT_RETRY_AFTER_SECONDS,
    PluginContext,
    SubscriberCheckUnavailable,
    SubscriberQuery,
    SubscriberSource,
    SubscriberVerdict,
)
from mgm_twitch.broadcaster_subscriptions import (
    BroadcasterSubscriptionsRequest,
    SubscriptionCheck,
    SubscriptionStatus,
    UnavailableReason,
    check_broadcaster_subscription,
)
from mgm_twitch.helix import HelixNotConfigured, helix_headers

# A token or configuration problem an operator must fix, as opposed to a passing outage.
_OPERATOR_ERRORS = frozenset(
    {UnavailableReason.BAD_REQUEST, UnavailableReason.UNAUTHORIZED, UnavailableReason.FORBIDDEN}
)
MAX_RETRY_AFTER_SECONDS = 60


def retry_after(check: SubscriptionCheck, now_epoch: float) -> int:
    """Seconds until asking again may help: a 429's reset (1..60 s away), else the default."""
    if check.ratelimit_reset is not None:
        return max(1, min(MAX_RETRY_AFTER_SECONDS, int(check.ratelimit_reset - now_epoch + 0.999)))
    return DEFAULT_RETRY_AFTER_SECONDS


@hookimpl
async def mgm_check_subscriber(
    query: SubscriberQuery, context: PluginContext
) -> SubscriberVerdict | SubscriberCheckUnavailable | None:
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
    reason = str(check.reason or UnavailableReason.UNEXPECTED_ANSWER)
    return SubscriberCheckUnavailable(reason, retry_after(check, context.clock.now().timestamp()))
