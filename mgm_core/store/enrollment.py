"""Enrollment: chat (`!twgold`) and Extension claim.

Neither takes the pool lock. The chat path is one statement (dedupe ids,
facts, conditional upsert); the claim path one short transaction. The
database's keys keep the rules under concurrency: the dedupe ids' primary
key, one row per viewer (primary key, upsert), and the character name's
unique index (a lost race is retried and then refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from mgm_core.domain.economics import GOLD_PER_WIN, LIFETIME_CAP_GOLD
from mgm_core.domain.names import name_key
from mgm_core.domain.pool import EnrollmentFacts, Viewer, check_enrollment
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.store.database import Database


class ChatOutcome(StrEnum):
    """What became of one chat delivery (logged; EventSub always answers 2xx)."""

    ENROLLED = "enrolled"
    REPLAY = "replay"
    IGNORED = "ignored"
    REFUSED = "refused"


@dataclass(frozen=True)
class ChatDelivery:
    delivery_id: str | None  # Twitch-Eventsub-Message-Id
    message_id: str | None  # event.message_id


@dataclass(frozen=True)
class Claim:
    enrollment_request_id: str
    character_name: str
    created: bool  # False when this was a replay of an earlier claim


# The pool row a passing enrollment writes: a new row has no slot yet; an
# existing row (the viewer renaming) keeps its slot.
_UPSERT = """
    INSERT INTO pool_entries
        (twitch_user_id, twitch_display_name, character_name, character_name_key, source, enrolled_at)
    {values}
    ON CONFLICT (twitch_user_id) DO UPDATE
       SET twitch_display_name = EXCLUDED.twitch_display_name,
           character_name = EXCLUDED.character_name,
           character_name_key = EXCLUDED.character_name_key,
           source = EXCLUDED.source,
           enrolled_at = EXCLUDED.enrolled_at
"""


def _facts(user: str, key: str) -> str:
    """The facts the pool rules need, read in the statement's snapshot (``user``, ``key``: parameters)."""
    return f"""
        EXISTS (SELECT 1 FROM payouts WHERE twitch_user_id = {user} AND status IN ('Pending', 'InProgress'))
            AS has_active_payout,
        (SELECT COALESCE(SUM(gold_amount), 0) FROM payouts WHERE twitch_user_id = {user} AND status = 'Sent')
            AS sent_gold,
        (SELECT twitch_user_id FROM pool_entries WHERE character_name_key = {key}) AS name_holder
    """


# A chat enrollment in one statement and one round trip: record both dedupe
# ids, read the facts, and write the row only when the delivery is fresh and
# the rules pass (the same rules as domain.pool.check_enrollment, which then
# decides the outcome from the facts returned; the two are checked to agree).
_CHAT_GUARD = (
    "SELECT $4, $5, $6, $7, 'chat', $3 FROM facts"
    " WHERE fresh AND NOT has_active_payout AND sent_gold + $8 <= $9"
    " AND (name_holder IS NULL OR name_holder = $4)"
)
_ENROLL_FROM_CHAT = f"""
    WITH seen AS (
        INSERT INTO chat_deliveries_seen (kind, id, seen_at)
        SELECT kind, id, $3 FROM unnest($1::text[], $2::text[]) AS ids (kind, id)
        ON CONFLICT DO NOTHING
        RETURNING 1
    ), facts AS (
        SELECT (SELECT count(*) FROM seen) = cardinality($1::text[]) AS fresh, {_facts("$4", "$7")}
    ), put AS (
        {_UPSERT.format(values=_CHAT_GUARD)}
        RETURNING 1
    )
    SELECT fresh, has_active_payout, sent_gold, name_holder, (SELECT count(*) FROM put) AS written
      FROM facts
"""

_REMEMBER = """
    WITH seen AS (
        INSERT INTO chat_deliveries_seen (kind, id, seen_at)
        SELECT kind, id, $3 FROM unnest($1::text[], $2::text[]) AS ids (kind, id)
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*) = cardinality($1::text[]) FROM seen
"""

# A statement that lost a race for a character name (unique index) or a lock
# order is run again: it then sees the winner's committed row and refuses.
_RACES = (asyncpg.UniqueViolationError, asyncpg.DeadlockDetectedError)
_ATTEMPTS = 5


def _ids(delivery: ChatDelivery) -> tuple[list[str], list[str]]:
    pairs = [(k, v) for k, v in (("delivery", delivery.delivery_id), ("message", delivery.message_id)) if v]
    return [k for k, _ in pairs], [v for _, v in pairs]


async def remember_chat_delivery(db: Database, delivery: ChatDelivery, now: datetime) -> bool:
    """Record a delivery that enrolls nobody; False when either id was seen before (a replay)."""
    kinds, ids = _ids(delivery)
    fresh: bool = await db.fetchval(_REMEMBER, kinds, ids, now)
    return fresh


async def enroll_from_chat(
    db: Database, delivery: ChatDelivery, viewer: Viewer, character_name: str, now: datetime
) -> tuple[ChatOutcome, str]:
    """Enroll from a chat command that passed parsing, badge and name checks.

    Returns the outcome and a reason for the log. Refusals are silent by design:
    the chat sender gets no answer and Twitch must see a 2xx. One statement,
    no pool lock (decisions.md "Performance").
    """
    kinds, ids = _ids(delivery)
    for attempt in range(_ATTEMPTS):
        try:
            row = await db.fetchrow(
                _ENROLL_FROM_CHAT,
                kinds,
                ids,
                now,
                viewer.twitch_user_id,
                viewer.display_name,
                character_name,
                name_key(character_name),
                GOLD_PER_WIN,
                LIFETIME_CAP_GOLD,
            )
            break
        except _RACES:
            if attempt == _ATTEMPTS - 1:
                raise
    assert row is not None
    if not row["fresh"]:
        return ChatOutcome.REPLAY, "delivery or message id seen before"
    facts = EnrollmentFacts(row["has_active_payout"], int(row["sent_gold"]), row["name_holder"])
    try:
        check_enrollment(viewer, facts)
    except Refusal as refusal:
        _agree(written=row["written"], passed=False)
        return ChatOutcome.REFUSED, refusal.code.value
    _agree(written=row["written"], passed=True)
    return ChatOutcome.ENROLLED, "enrolled"


def _agree(*, written: int, passed: bool) -> None:
    """The SQL guard and the domain rules must reach the same verdict."""
    if bool(written) != passed:
        raise RuntimeError(f"enrollment rules disagree: SQL wrote {written} row(s), rules passed={passed}")


async def claim(
    db: Database, viewer: Viewer, character_name: str, enrollment_request_id: str, now: datetime
) -> Claim:
    """Enroll through the Extension; idempotent per ``enrollment_request_id``.

    The request id is inserted first, so two claims with one id serialise on
    its primary key; a refusal rolls the id back with everything else.
    """
    for attempt in range(_ATTEMPTS):
        try:
            return await _claim_once(db, viewer, character_name, enrollment_request_id, now)
        except _RACES:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def _claim_once(
    db: Database, viewer: Viewer, character_name: str, enrollment_request_id: str, now: datetime
) -> Claim:
    async with db.transaction() as conn:
        inserted = await conn.fetchval(
            """
            INSERT INTO enrollment_requests
                (enrollment_request_id, twitch_user_id, twitch_display_name, character_name, created_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING
            RETURNING true
            """,
            enrollment_request_id,
            viewer.twitch_user_id,
            viewer.display_name,
            character_name,
            now,
        )
        if not inserted:
            earlier = await conn.fetchrow(
                "SELECT twitch_user_id, character_name FROM enrollment_requests"
                " WHERE enrollment_request_id = $1",
                enrollment_request_id,
            )
            assert earlier is not None
            if earlier["twitch_user_id"] != viewer.twitch_user_id:
                raise Refusal(
                    ErrorCode.DUPLICATE_ENROLLMENT,
                    "this enrollmentRequestId was already used by another viewer",
                    {"field": "enrollmentRequestId"},
                )
            return Claim(enrollment_request_id, earlier["character_name"], created=False)
        row = await conn.fetchrow(
            f"SELECT {_facts('$1', '$2')}",
            viewer.twitch_user_id,
            name_key(character_name),
        )
        check_enrollment(
            viewer, EnrollmentFacts(row["has_active_payout"], int(row["sent_gold"]), row["name_holder"])
        )
        await conn.execute(
            _UPSERT.format(values="VALUES ($1, $2, $3, $4, 'claim', $5)"),
            viewer.twitch_user_id,
            viewer.display_name,
            character_name,
            name_key(character_name),
            now,
        )
        return Claim(enrollment_request_id, character_name, created=True)


async def record_revocation(
    db: Database, subscription_id: str | None, type_: str | None, status: str | None, now: datetime
) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO eventsub_revocations (subscription_id, type, status, received_at)"
            " VALUES ($1, $2, $3, $4)",
            subscription_id,
            type_,
            status,
            now,
        )
