from datetime import UTC, datetime

from mgm_core.clock import VirtualClock
from mgm_core.config import RateLimit
from mgm_core.domain.rate_limit import FixedWindowLimiter

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_five_per_window_then_429_with_retry_after():
    clock = VirtualClock(START)
    limiter = FixedWindowLimiter(RateLimit(5, 60), clock)
    decisions = [limiter.hit("user:a") for _ in range(5)]
    assert all(d.allowed for d in decisions)
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]
    clock.advance(10)
    refused = limiter.hit("user:a")
    assert not refused.allowed
    assert refused.retry_after_seconds == 50


def test_identities_are_independent():
    limiter = FixedWindowLimiter(RateLimit(1, 60), VirtualClock(START))
    assert limiter.hit("user:a").allowed
    assert not limiter.hit("user:a").allowed
    assert limiter.hit("user:b").allowed


def test_window_reopens_after_its_length():
    clock = VirtualClock(START)
    limiter = FixedWindowLimiter(RateLimit(2, 60), clock)
    limiter.hit("k")
    limiter.hit("k")
    assert not limiter.hit("k").allowed
    clock.advance(59.9)
    assert not limiter.hit("k").allowed
    clock.advance(0.1)
    assert limiter.hit("k").allowed


def test_refusals_are_not_counted_against_the_next_window():
    clock = VirtualClock(START)
    limiter = FixedWindowLimiter(RateLimit(1, 60), clock)
    limiter.hit("k")
    for _ in range(10):
        limiter.hit("k")
    clock.advance(60)
    assert limiter.hit("k").allowed


def test_idle_keys_are_pruned():
    clock = VirtualClock(START)
    limiter = FixedWindowLimiter(RateLimit(1, 60), clock, prune_every=10)
    for i in range(10):
        limiter.hit(f"k{i}")
    clock.advance(61)
    for _ in range(10):
        limiter.hit("fresh")
    assert len(limiter) == 1
