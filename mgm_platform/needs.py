"""Which capabilities each step of the library needs (so a scenario can be skipped before it runs).

Kept beside the steps rather than in them: a step function needs what its
module's default says unless it is listed under its own name. A step this
table does not know needs the EBS's HTTP routes only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

STEPS_PACKAGE: Final = "mgm_platform.steps"

_MODULE_DEFAULT: Final[dict[str, frozenset[str]]] = {
    "common": frozenset({"ebs.http"}),
    "enrollment": frozenset({"ebs.http", "chat.deliver"}),
    "roulette": frozenset({"ebs.http"}),
    "helix": frozenset({"ebs.http", "helix.observe"}),
    "wow": frozenset({"ebs.http", "wow.game", "desktop.drive"}),
    "seed": frozenset({"ebs.http", "desktop.synthetic"}),
    "tier_c": frozenset({"chat.observe"}),
}

_BY_FUNCTION: Final[dict[str, frozenset[str]]] = {
    # common
    "common.extension_rate_limit": frozenset({"ebs.configure"}),
    "common.subscriber_bypass_off": frozenset({"ebs.configure"}),
    "common.no_eventsub_secret": frozenset({"ebs.configure"}),
    "common.clock_advances": frozenset({"clock.move"}),
    "common.clock_advances_hours": frozenset({"clock.move"}),
    # enrollment
    "enrollment.chat_stale": frozenset({"ebs.http", "chat.deliver", "clock.move"}),
    "enrollment.plain_text_answer": frozenset({"ebs.http"}),
    "enrollment.claim": frozenset({"ebs.http"}),
    "enrollment.claim_with_id": frozenset({"ebs.http"}),
    "enrollment.enrolled_as": frozenset({"ebs.http"}),
    "enrollment.not_enrolled": frozenset({"ebs.http"}),
    "enrollment.last_two_claims": frozenset({"ebs.http"}),
    # the local EBS counts rows in SQL; a shared one answers through HTTP (state, pending, my-last)
    "enrollment.pool_holds": frozenset({"ebs.http"}),
    "enrollment.no_payout": frozenset({"ebs.http"}),
    # roulette
    "roulette.clock_into_cycle": frozenset({"clock.move"}),
    "roulette.next_cycle": frozenset({"clock.move"}),
    "roulette.past_boundary": frozenset({"clock.move"}),
    "roulette.has_won": frozenset({"ebs.http", "chat.deliver", "clock.move"}),
    # helix
    # a shared target is wired to its Helix mock already (stack.json names it)
    "helix.announce_through_mock": frozenset({"helix.observe"}),
    "helix.no_helix_credentials": frozenset({"ebs.configure", "helix.observe"}),
    "helix.helix_fails": frozenset({"helix.faults"}),
    "helix.helix_drops": frozenset({"helix.faults"}),
    "helix.helix_resets": frozenset({"helix.faults"}),
    "helix.concurrent_moves": frozenset({"ebs.http"}),
    "helix.announced": frozenset({"ebs.http"}),
    "helix.not_announced": frozenset({"ebs.http"}),
    # wow
    "wow.ebs_down": frozenset({"ebs.outage"}),
    "wow.ebs_back": frozenset({"ebs.outage"}),
    # seed
    "seed.harness": frozenset({"ebs.harness"}),
    "seed.last_request": frozenset({"helix.observe"}),
    # tier_c
    "tier_c.subscription_enabled": frozenset({"eventsub.manage"}),
    "tier_c.subscribe": frozenset({"eventsub.manage"}),
    "tier_c.listed_enabled": frozenset({"eventsub.manage"}),
    "tier_c.unsubscribe": frozenset({"eventsub.manage"}),
    "tier_c.not_listed": frozenset({"eventsub.manage"}),
    "tier_c.bot_writes": frozenset({"chat.post"}),
    "tier_c.bot_enrolled": frozenset({"ebs.http", "chat.post"}),
    "tier_c.real_who": frozenset({"ebs.http", "wow.client"}),
    "tier_c.real_who_reported": frozenset({"ebs.http", "wow.client"}),
    "tier_c.candidate_within": frozenset({"ebs.http"}),
}


def step_needs(function: Callable[..., object]) -> frozenset[str]:
    """The capabilities a step function needs (empty for steps outside the library)."""
    module = function.__module__
    if not module.startswith(STEPS_PACKAGE + "."):
        return frozenset()
    short = module[len(STEPS_PACKAGE) + 1 :]
    key = f"{short}.{function.__name__}"
    return _BY_FUNCTION.get(key, _MODULE_DEFAULT.get(short, frozenset({"ebs.http"})))
