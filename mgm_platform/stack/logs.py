"""The stack's compact log: one human-readable line per record, secrets masked.

::

    14:02:11.512 ebs      INFO    POST /api/twitch/eventsub 204  ms=12
    14:02:11.530 bridge   WARNING poll_pending: EBS unreachable  error="…"

Columns: local time, service, level, message, then the record's ``extra``
fields as ``key=value``. The service comes from the record's ``mgm_service``
field when set (the stack's access log sets it), else from the logger's name.
Secret values are masked twice: by value (:class:`mgm_core.logs.SecretScrubber`)
and by field name (``*secret*``, ``*token*``, ``*api_key*``…).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, TextIO

from mgm_core.logs import SecretScrubber, record_fields

SERVICE_FIELD: Final = "mgm_service"
MAX_VALUE_CHARS: Final = 160

# Longest prefix first: the first match names the service.
_SERVICE_BY_LOGGER: Final[tuple[tuple[str, str], ...]] = (
    ("mgm_platform.stack.bridge", "bridge"),
    ("mgm_platform.stack", "stack"),
    ("mgm_core.cli", "stack"),
    ("mgm_mocks.eventsub", "eventsub"),
    ("mgm_mocks.extension_jwt", "jwt"),
    ("mgm_mocks.helix", "helix"),
    ("mgm_mocks.synthetic_desktop", "desktop"),
    ("mgm_wow.bridge", "bridge"),
    ("mgm_wow.tags", "bridge"),  # tags are parsed by the bridge's tail
    ("mgm_wow", "wow"),
    ("mgm_core", "ebs"),
    ("mgm_twitch", "ebs"),
    ("asyncpg", "ebs"),
)
_SECRET_NAME: Final = re.compile(r"secret|token|password|api_?key|authorization|dsn|database_url", re.I)
_PLAIN: Final = re.compile(r"[^\s=\"]+")


def service_of(logger_name: str) -> str:
    """The stack service a logger speaks for (its first name component when unknown)."""
    for prefix, service in _SERVICE_BY_LOGGER:
        if logger_name == prefix or logger_name.startswith(prefix + "."):
            return service
    return logger_name.split(".", 1)[0] or "root"


def _one_line(text: str) -> str:
    return " | ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def _value(name: str, value: Any) -> str:
    # Settings summaries report secrets as "set"/"unset"; anything else under a secret's name is hidden.
    if _SECRET_NAME.search(name) and value not in (None, "", "set", "unset", True, False):
        return "***"
    if isinstance(value, str):
        text = _one_line(value)
        shown = text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)
    else:
        shown = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return shown if len(shown) <= MAX_VALUE_CHARS else shown[: MAX_VALUE_CHARS - 1] + "…"


class CompactFormatter(logging.Formatter):
    """``time service level message key=value…`` on one line.

    With ``tracebacks=True`` an exception's traceback follows on indented
    lines; otherwise only its last line is kept, as ``error=…``.
    """

    def __init__(self, *, tracebacks: bool = False) -> None:
        super().__init__()
        self._tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        service = getattr(record, SERVICE_FIELD, None) or service_of(record.name)
        head = f"{when} {service:<8} {record.levelname:<7} {_one_line(record.getMessage())}"
        fields = [f"{k}={_value(k, v)}" for k, v in record_fields(record).items() if k != SERVICE_FIELD]
        trace = ""
        if record.exc_info or record.exc_text:
            # exc_text is what the scrubber cleaned; formatting exc_info afresh could reveal a secret.
            trace = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else "")
            lines = trace.strip().splitlines()
            if lines:
                fields.append(f"error={_value('error', lines[-1])}")
        line = f"{head}  {' '.join(fields)}" if fields else head
        if self._tracebacks and trace:
            line += "\n" + "\n".join("    " + t for t in trace.strip().splitlines())
        return line


def configure(level: str = "INFO", *, secrets: Iterable[str] = (), stream: TextIO | None = None) -> None:
    """Send every record to ``stream`` (stdout by default) as compact lines, masking ``secrets``."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(CompactFormatter(tracebacks=level.upper() == "DEBUG"))
    handler.addFilter(SecretScrubber(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The stack writes its own access lines; aiohttp's would repeat them.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
