from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mgm_core.clock import VirtualClock
from mgm_core.domain import roulette
from mgm_core.domain.roulette import CycleView, SpinPhase

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_virtual_clock_moves_only_when_told_and_notifies():
    clock = VirtualClock(T0)
    seen = []
    unsubscribe = clock.subscribe(seen.append)
    assert clock.now() == T0
    clock.advance(1.5)
    clock.set(T0 + timedelta(hours=1))
    unsubscribe()
    clock.advance(1)
    assert seen == [T0 + timedelta(seconds=1.5), T0 + timedelta(hours=1)]


def test_virtual_clock_refuses_naive_and_backwards_advance():
    with pytest.raises(ValueError):
        VirtualClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        VirtualClock(T0).advance(-1)


def test_grid():
    assert roulette.cycle_start(T0 + timedelta(seconds=299.999)) == T0
    assert roulette.cycle_start(T0) == T0
    assert roulette.next_boundary(T0) == T0 + timedelta(minutes=5)
    assert roulette.next_boundary(T0 - timedelta(microseconds=1)) == T0
    assert roulette.verification_deadline(T0) == T0 + timedelta(seconds=330)


instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(instants)
def test_cycle_start_is_a_grid_instant_at_or_before(instant):
    start = roulette.cycle_start(instant)
    assert start <= instant < start + roulette.SPIN_INTERVAL
    assert start.second == 0 and start.microsecond == 0 and start.minute % 5 == 0
    assert roulette.next_boundary(instant) > instant


@given(instants, st.integers(0, 3), st.booleans(), st.booleans(), st.booleans())
def test_phase_function_over_arbitrary_instants(instant, pool_size, has_candidate, drawn, consumed):
    start = roulette.cycle_start(instant)
    view = CycleView(start, pool_size, has_candidate, drawn or has_candidate, consumed and has_candidate)
    phase = roulette.phase_of(instant, view)
    offset = (instant - start).total_seconds()
    if offset < 240:
        assert phase is (SpinPhase.COLLECTING if pool_size else SpinPhase.IDLE)
    elif has_candidate and consumed:
        assert phase is SpinPhase.COMPLETED
    elif has_candidate:
        assert phase is (SpinPhase.SPINNING if offset < 270 else SpinPhase.VERIFICATION)
    else:
        assert phase in (SpinPhase.IDLE, SpinPhase.SPINNING)
