"""The JSON log line: its fields, its time text and the secret scrubbing."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

import pytest

from mgm_core.logs import JsonFormatter, SecretScrubber, record_fields


@pytest.mark.parametrize("created", [0.0, 1.9999996, 1767225599.123, 1767225600.0004, 1767225600.9995])
def test_time_is_the_records_instant_in_utc_to_the_millisecond(created):
    record = logging.makeLogRecord({"msg": "m", "levelname": "INFO", "created": created})
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    assert json.loads(JsonFormatter().format(record))["time"] == expected


def test_a_line_has_the_standard_keys_then_the_extra_fields_in_order():
    formatter = JsonFormatter()
    record = logging.makeLogRecord(
        {"msg": "chat enrollment %s", "args": ("enrolled",), "levelname": "INFO", "name": "mgm_core.x"}
    )
    record.__dict__.update(
        {"delivery_id": "d-1", "chatter_id": "42", "when": datetime(2026, 1, 1, tzinfo=UTC)}
    )
    line = json.loads(formatter.format(record))
    assert list(line) == ["time", "level", "logger", "message", "delivery_id", "chatter_id", "when"]
    assert line["message"] == "chat enrollment enrolled"
    assert line["when"] == "2026-01-01 00:00:00+00:00"  # not JSON: written with str()


def test_scrubbed_fields_are_what_the_formatter_writes():
    stream = io.StringIO()
    logger = logging.getLogger("mgm_core.test_logs")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(SecretScrubber(["s3cret-value"]))
    logger.addHandler(handler)
    try:
        logger.warning("token %s", "s3cret-value", extra={"url": "x?t=s3cret-value", "n": 3, "_hidden": 1})
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "token ***"
    assert line["url"] == "x?t=***"
    assert line["n"] == 3
    assert "_hidden" not in line and "_mgm_fields" not in line


def test_record_fields_without_a_scrubber_reads_the_record():
    record = logging.makeLogRecord({"msg": "m", "a": 1})
    assert record_fields(record) == {"a": 1}
