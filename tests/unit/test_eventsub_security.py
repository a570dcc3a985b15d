import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from mgm_core.errors import ErrorCode, Refusal
from mgm_core.security import eventsub

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_signature_is_twitch_hmac_over_id_timestamp_body():
    body = b'{"a":1}'
    expected = hmac.new(b"s3cret-value", b"id-1" + b"2026-11-24T12:00:00Z" + body, hashlib.sha256).hexdigest()
    assert eventsub.signature("s3cret-value", "id-1", "2026-11-24T12:00:00Z", body) == "sha256=" + expected


def test_verify_accepts_the_right_signature_and_uppercase_hex():
    sig = eventsub.signature("s3cret-value", "id", "ts", b"body")
    eventsub.verify_signature("s3cret-value", "id", "ts", b"body", sig)
    eventsub.verify_signature("s3cret-value", "id", "ts", b"body", "sha256=" + sig[7:].upper())


@pytest.mark.parametrize(
    ("message_id", "timestamp", "body", "given"),
    [
        ("id", "ts", b"body!", None),  # missing
        ("id", "ts", b"body!", "sha256=00"),  # wrong
        (None, "ts", b"body", "sha256=00"),  # no id
        ("id", None, b"body", "sha256=00"),  # no timestamp
    ],
)
def test_verify_refuses_with_invalid_signature(message_id, timestamp, body, given):
    with pytest.raises(Refusal) as caught:
        eventsub.verify_signature("s3cret-value", message_id, timestamp, body, given)
    assert caught.value.code is ErrorCode.INVALID_SIGNATURE
    assert caught.value.status == 403


def test_a_changed_body_byte_breaks_the_signature():
    sig = eventsub.signature("s3cret-value", "id", "ts", b'{"x": 1}')
    with pytest.raises(Refusal):
        eventsub.verify_signature("s3cret-value", "id", "ts", b'{"x":1}', sig)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24T12:00:00Z", NOW),
        ("2026-11-24T12:00:00.123456789Z", NOW + timedelta(microseconds=123456)),
        ("2026-11-24T12:00:00.1Z", NOW + timedelta(microseconds=100000)),
        ("2026-11-24T14:00:00+02:00", NOW),
        (str(int(NOW.timestamp())), NOW),
    ],
)
def test_parse_timestamp_forms(text, expected):
    assert eventsub.parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text", ["yesterday", "2026-11-24", "2026-11-24T12:00:00", "", "12:00:00Z", "2026-13-45T12:00:00Z"]
)
def test_unreadable_timestamps_are_stale(text):
    with pytest.raises(Refusal) as caught:
        eventsub.check_freshness(text, NOW)
    assert caught.value.code is ErrorCode.STALE_MESSAGE


@pytest.mark.parametrize(
    ("offset", "fresh"),
    [
        (timedelta(0), True),
        (timedelta(minutes=-9, seconds=-59), True),
        (timedelta(minutes=-10, seconds=-1), False),
        (timedelta(hours=-2), False),
        (timedelta(seconds=30), True),
        (timedelta(minutes=1, seconds=1), False),
        (timedelta(hours=1), False),
    ],
)
def test_freshness_window(offset, fresh):
    stamp = eventsub.format_timestamp(NOW + offset)
    if fresh:
        eventsub.check_freshness(stamp, NOW)
    else:
        with pytest.raises(Refusal) as caught:
            eventsub.check_freshness(stamp, NOW)
        assert caught.value.code is ErrorCode.STALE_MESSAGE


def test_format_timestamp_has_nanosecond_digits():
    assert eventsub.format_timestamp(NOW + timedelta(microseconds=5)) == "2026-11-24T12:00:00.000005000Z"
