"""The payout transition table as properties, and status parsing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mgm_core.domain.payouts import (
    ACTIVE,
    TERMINAL,
    TRANSITIONS,
    PayoutStatus,
    check_transition,
    spin_enrollment_request_id,
)
from mgm_core.errors import ErrorCode, Refusal

statuses = st.sampled_from(list(PayoutStatus))


@given(statuses, statuses)
def test_every_pair_is_a_noop_an_allowed_move_or_a_stable_refusal(current, target):
    try:
        changed = check_transition(current, target)
    except Refusal as refusal:
        assert current != target
        assert target not in TRANSITIONS.get(current, frozenset())
        expected = (
            ErrorCode.TERMINAL_STATUS_CHANGE_NOT_ALLOWED
            if current in TERMINAL
            else ErrorCode.INVALID_TRANSITION
        )
        assert refusal.code is expected
        assert refusal.status == 409
    else:
        assert changed == (current != target)
        if changed:
            assert target in TRANSITIONS[current]


@given(st.lists(statuses, min_size=1, max_size=12))
def test_no_path_leaves_a_terminal_status_or_reaches_expired(path):
    status = PayoutStatus.PENDING
    for target in path:
        try:
            if check_transition(status, target):
                assert not status.is_terminal
                status = target
        except Refusal:
            pass
    assert status is not PayoutStatus.EXPIRED  # only the sweep expires


def test_the_table_is_the_contracts():
    assert {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets} == {
        ("Pending", "InProgress"),
        ("Pending", "Failed"),
        ("Pending", "Cancelled"),
        ("InProgress", "Sent"),
        ("InProgress", "Failed"),
        ("InProgress", "Cancelled"),
        ("InProgress", "Pending"),
    }
    assert set(PayoutStatus) == ACTIVE | TERMINAL
    assert not ACTIVE & TERMINAL


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        ("sent", "Sent"),
        ("inProgress", "InProgress"),
        ("IN_PROGRESS", "InProgress"),
        (" Failed ", "Failed"),
        (0, "Pending"),
        (5, "Expired"),
        (1.0, "InProgress"),  # JSON Schema counts 1.0 as the integer 1 (found by schemathesis)
    ],
)
def test_status_parsing(given_value, expected):
    assert PayoutStatus.parse(given_value).value == expected


@pytest.mark.parametrize("bad", ["", "Shipped", 6, -1, True, None, 1.5, 6.0, ["Sent"]])
def test_bad_status_values(bad):
    with pytest.raises(Refusal) as caught:
        PayoutStatus.parse(bad)
    assert caught.value.code is ErrorCode.INVALID_PAYLOAD


def test_spin_enrollment_request_id():
    import uuid

    assert spin_enrollment_request_id(uuid.UUID(int=255)) == "spin:" + "0" * 30 + "ff"
