"""The verify-candidate transaction: a ``/who`` report closes a cycle or creates a payout."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from mgm_core.domain.economics import GOLD_PER_WIN, reaches_lifetime_cap
from mgm_core.domain.payouts import Payout, PayoutStatus, spin_enrollment_request_id
from mgm_core.domain.roulette import Verdict, WhoReport, judge_report
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.store import payouts, roulette, viewers
from mgm_core.store.database import Database


@dataclass(frozen=True)
class VerifyResult:
    verdict: Verdict
    payout: Payout | None


async def verify_candidate(db: Database, report: WhoReport, now: datetime) -> VerifyResult:
    async with db.transaction() as conn:
        cycle = await roulette.cycle_by_id(conn, report.spin_cycle_id, for_update=True)
        verdict = judge_report(cycle, report, now)
        assert cycle is not None  # judge_report refuses an unknown cycle
        if verdict is Verdict.ALREADY_CLOSED:
            existing = await payouts.get(conn, cycle.payout_id) if cycle.payout_id else None
            return VerifyResult(verdict, existing)
        if verdict is Verdict.OFFLINE:
            await roulette.close(conn, cycle.id, "offline", now)
            return VerifyResult(verdict, None)
        user_id = cycle.candidate_twitch_user_id
        assert user_id is not None and cycle.candidate_character_name is not None
        if await viewers.has_active_payout(conn, user_id):
            raise Refusal(
                ErrorCode.ACTIVE_PAYOUT_EXISTS,
                "the candidate already has a payout waiting to be delivered",
                {"twitchUserId": user_id},
            )
        if reaches_lifetime_cap(await viewers.sent_gold(conn, user_id)):
            raise Refusal(
                ErrorCode.LIFETIME_CAP_REACHED,
                "the candidate has reached the lifetime gold cap",
                {"twitchUserId": user_id},
            )
        payout = Payout(
            id=uuid.uuid4(),
            twitch_user_id=user_id,
            twitch_display_name=cycle.candidate_display_name or "",
            character_name=cycle.candidate_character_name,
            gold_amount=GOLD_PER_WIN,
            enrollment_request_id=spin_enrollment_request_id(cycle.id),
            status=PayoutStatus.PENDING,
            spin_cycle_id=cycle.id,
            created_at=now,
            updated_at=now,
            winner_accepted_at=None,
            is_reward_sent_announced_to_chat=False,
        )
        await payouts.insert(conn, payout)
        await roulette.close(conn, cycle.id, "payout_created", now, payout.id)
        return VerifyResult(verdict, payout)
