"""The roulette clock: a 300 s UTC grid and the phases of one cycle (decisions.md).

A cycle starts at a grid instant T0 (:00, :05, … UTC):
``collecting`` [T0, T0+240), the draw at T0+240, ``spinning`` [T0+240, T0+270),
``verification`` [T0+270, T0+300); the cycle's ``/who`` report is accepted until
T0+330, 30 s into the next cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

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
