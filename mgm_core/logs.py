"""Structured logs: one JSON object per line, with secrets scrubbed.

Handlers log with ``extra={...}``; the formatter writes those fields beside the
message. :class:`SecretScrubber` replaces any configured secret value that
reaches a record (message or field) with ``***``, as a last line of defence.

A line costs ~10 µs (it was ~40): the ``extra`` fields are found once per
record, the second's timestamp text is reused, and :func:`configure` turns off
what :class:`logging.LogRecord` gathers but no line shows (caller frame, thread
and process names) — decisions.md "Performance".
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
# Where the scrubber leaves a record's (already scrubbed) extra fields for the formatter.
_FIELDS = "_mgm_fields"


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The ``extra`` fields of a record."""
    cached: dict[str, Any] | None = record.__dict__.get(_FIELDS)
    if cached is not None:
        return cached
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and k[:1] != "_"}


class _Stamp:
    """``2026-01-31T12:00:00.123+00:00`` for a record's time; the text of the second is reused."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def __call__(self, created: float) -> str:
        second = int(created)
        micros = round((created - second) * 1_000_000)  # as datetime.fromtimestamp rounds
        if micros >= 1_000_000:
            second, micros = second + 1, 0
        millis = micros // 1000
        if second != self._second:
            self._second = second
            self._text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._text}.{millis:03d}+00:00"


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._stamp = _Stamp()
        self._encoder = json.JSONEncoder(ensure_ascii=False, default=str)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._stamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(record_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self._encoder.encode(entry)


class SecretScrubber(logging.Filter):
    """Masks the given secret values wherever they appear in a record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Short values would mask innocent text; real secrets are long.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._secrets:
                if secret in value:
                    value = value.replace(secret, "***")
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        record.msg = self._scrub(record.getMessage())
        record.args = None
        fields = record_fields(record)
        scrubbed = {key: self._scrub(value) for key, value in fields.items()}
        for key, value in scrubbed.items():
            if value is not fields[key]:
                setattr(record, key, value)
        record.__dict__[_FIELDS] = scrubbed
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        return True


def configure(level: str = "INFO", *, secrets: Iterable[str] = (), stream: TextIO | None = None) -> None:
    """Send every log record to ``stream`` as JSON lines, scrubbing ``secrets``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(SecretScrubber(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # What LogRecord gathers for every record and no line here shows (the logging
    # HOWTO's "Optimization"): the caller's frame, thread and process names.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
