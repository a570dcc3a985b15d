"""Chat enrollment: a channel subscriber carries a ``subscriber`` or ``founder`` badge.

The counted set is ``MGM_SUBSCRIBER_BADGES``. ``premium`` is Prime Gaming, not
a channel subscription, and does not count unless configured.
"""

from __future__ import annotations

from mgm_core.domain.pool import has_subscriber_badge
from mgm_core.plugins import hookimpl
from mgm_core.plugins.context import PluginContext, SubscriberQuery, SubscriberSource, SubscriberVerdict


@hookimpl
def mgm_check_subscriber(query: SubscriberQuery, context: PluginContext) -> SubscriberVerdict | None:
    if query.source is not SubscriberSource.CHAT:
        return None
    counted = context.config.subscriber_badges
    return SubscriberVerdict.ALLOW if has_subscriber_badge(query.badges, counted) else SubscriberVerdict.DENY
