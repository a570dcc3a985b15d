"""What a test's EBS did wrong on its own: 5xx answers and errors it logged with a traceback.

:class:`EbsHealth` watches one EBS app (through aiohttp's ``on_response_prepare``
signal, so it sees the status a client really received) and the ``mgm_core``
loggers (records at ERROR or above that carry an exception: an unhandled error
in a handler, the scheduler or a notification channel). After a scenario the
platform asks it for :meth:`problems` (seed §6.6: no unhandled error, no 5xx).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from aiohttp import web

WATCHED_LOGGER = "mgm_core"


@dataclass(frozen=True)
class ServerError:
    method: str
    path: str
    status: int

    def __str__(self) -> str:
        return f"{self.method} {self.path} answered {self.status}"


class EbsHealth(logging.Handler):
    """Collects 5xx answers and logged exceptions; thread-safe (the EBS runs on its own thread)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._guard = threading.Lock()
        self.answers: list[ServerError] = []
        self.errors: list[str] = []
        self.lines: list[str] = []  # every record seen, for the failure message

    # -- the app ---------------------------------------------------------------------
    def watch(self, app: web.Application) -> web.Application:
        app.on_response_prepare.append(self._on_response)
        return app

    async def _on_response(self, request: web.Request, response: web.StreamResponse) -> None:
        if response.status >= 500:
            with self._guard:
                self.answers.append(ServerError(request.method, request.path, response.status))

    # -- the logs ----------------------------------------------------------------------
    def attach(self) -> None:
        logging.getLogger(WATCHED_LOGGER).addHandler(self)

    def detach(self) -> None:
        logging.getLogger(WATCHED_LOGGER).removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        line = f"{record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            line += f" [{type(record.exc_info[1]).__name__}: {record.exc_info[1]}]"
        with self._guard:
            self.lines.append(line)
            if record.levelno >= logging.ERROR and record.exc_info:
                self.errors.append(line)

    # -- the verdict -------------------------------------------------------------------
    def problems(self) -> list[str]:
        with self._guard:
            return [str(a) for a in self.answers] + [f"logged: {e}" for e in self.errors]

    def report(self) -> str:
        """The problems and the EBS's log lines, for an assertion message."""
        with self._guard:
            lines = list(self.lines[-40:])
        return "\n".join(
            [
                "the EBS misbehaved during the scenario:",
                *(f"  - {p}" for p in self.problems()),
                "its log (last lines):",
                *(f"  {line}" for line in lines or ["(nothing logged)"]),
            ]
        )
