"""The roulette clock: a 300 s UTC grid and the phases of one cycle (decisions.md).

A cycle starts at a grid instant T0 (:00, :05, … UTC):
``collecting`` [T0, T0+240), the draw at T0+240, ``spinning`` [T0+240, T0+270),
``verification`` [T0+270, T0+300); the cycle's ``/who`` report is accepted until
T0+330, 30 s into the next cycle.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from mgm_core.domain.names import same_name
from mgm_core.errors import ErrorCode, Refusal

SPIN_INTERVAL = timedelta(seconds=300)
COLLECTING = timedelta(seconds=240)
SPINNING = timedelta(seconds=30)
VERIFICATION = timedelta(seconds=30)
GRACE = timedelta(seconds=30)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SpinPhase(StrEnum):
    IDLE = "idle"
    COLLECTING = "collecting"
    SPINNING = "spinning"
    VERIFICATION = "verification"
    COMPLETED = "completed"


def cycle_start(instant: datetime) -> datetime:
    """T0 of the cycle ``instant`` falls in: the grid instant at or before it."""
    elapsed = instant.astimezone(UTC) - _EPOCH
    return _EPOCH + (elapsed // SPIN_INTERVAL) * SPIN_INTERVAL


def next_boundary(instant: datetime) -> datetime:
    """The first grid instant strictly after ``instant``."""
    return cycle_start(instant) + SPIN_INTERVAL


def draw_at(start: datetime) -> datetime:
    return start + COLLECTING


def verification_opens(start: datetime) -> datetime:
    return start + COLLECTING + SPINNING


def verification_deadline(start: datetime) -> datetime:
    """The last instant a cycle's ``/who`` report is accepted (T0+330)."""
    return start + SPIN_INTERVAL + GRACE


@dataclass(frozen=True)
class CycleView:
    """What the phase depends on, for the cycle the instant falls in."""

    start: datetime
    pool_size: int
    has_candidate: bool
    drawn: bool  # the draw ran (with or without an eligible row)
    consumed: bool  # a report closed the cycle (payout created, or offline)


def phase_of(now: datetime, cycle: CycleView) -> SpinPhase:
    """The phase the Extension shows at ``now`` (``now`` lies in ``cycle``)."""
    offset = now - cycle.start
    if offset < COLLECTING:
        return SpinPhase.COLLECTING if cycle.pool_size > 0 else SpinPhase.IDLE
    if not cycle.has_candidate:
        # No candidate after the draw instant: nobody was eligible, or the draw is a tick late.
        return SpinPhase.SPINNING if not cycle.drawn and cycle.pool_size > 0 else SpinPhase.IDLE
    if cycle.consumed:
        return SpinPhase.COMPLETED
    if offset < COLLECTING + SPINNING:
        return SpinPhase.SPINNING
    return SpinPhase.VERIFICATION


@dataclass(frozen=True)
class SpinCycle:
    id: uuid.UUID
    cycle_start: datetime
    verification_deadline: datetime
    drawn_at: datetime | None
    drawn_by: str | None
    candidate_twitch_user_id: str | None
    candidate_display_name: str | None
    candidate_character_name: str | None
    outcome: str | None
    payout_id: uuid.UUID | None
    closed_at: datetime | None
    forced_by_harness: bool

    @property
    def has_candidate(self) -> bool:
        return self.candidate_twitch_user_id is not None

    @property
    def consumed(self) -> bool:
        return self.outcome is not None


@dataclass(frozen=True)
class WhoReport:
    """The addon's ``[MGM_WHO]`` report, as the Desktop posts it to verify-candidate."""

    schema_version: int
    spin_cycle_id: uuid.UUID
    character_name: str
    online: bool


class Verdict(StrEnum):
    ALREADY_CLOSED = "already_closed"  # a repeated report: answered idempotently, nothing changes
    OFFLINE = "offline"  # closes the cycle with no winner
    WINNER = "winner"  # create the Pending payout


def judge_report(cycle: SpinCycle | None, report: WhoReport, now: datetime) -> Verdict:
    """Decide what a ``/who`` report does, or raise ``400 out_of_sequence``.

    The report must name a known cycle, arrive by its deadline (T0+330), and
    name the drawn candidate (letter case ignored), whether online or not.
    """

    def out_of_sequence(message: str) -> Refusal:
        return Refusal(ErrorCode.OUT_OF_SEQUENCE, message, {"spinCycleId": str(report.spin_cycle_id)})

    if cycle is None:
        raise out_of_sequence("no spin cycle has this id")
    if now > cycle.verification_deadline:
        raise out_of_sequence("the report arrived after the cycle's verification deadline")
    if cycle.consumed:
        return Verdict.ALREADY_CLOSED
    if not cycle.has_candidate or cycle.candidate_character_name is None:
        raise out_of_sequence("no candidate has been drawn in this cycle yet")
    if not same_name(report.character_name, cycle.candidate_character_name):
        raise out_of_sequence("the report names someone other than the drawn candidate")
    return Verdict.WINNER if report.online else Verdict.OFFLINE
