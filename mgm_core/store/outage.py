"""Telling a database outage from a bug: which failures mean "the database is not there".

A refused or reset connection (``OSError``), a connect or acquire timeout, a
backend terminated or the server shutting down (asyncpg's connection and
operator-intervention errors), and the client-side states a dead connection
leaves behind (``InterfaceError``, ``InternalClientError: cannot switch to
state …``) are outages: the request may succeed later, so callers answer
``503 service_unavailable`` with ``Retry-After``. Anything else is a bug (500).
"""

from __future__ import annotations

from asyncpg import exceptions as pg

RETRY_AFTER_SECONDS = 1

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    pg.PostgresConnectionError,  # ConnectionDoesNotExistError, ConnectionFailureError, …
    pg.OperatorInterventionError,  # AdminShutdownError (pg_terminate_backend), CannotConnectNowError
    pg.TooManyConnectionsError,
    pg.InterfaceError,
    pg.InternalClientError,
)


class DatabaseUnavailable(Exception):
    """The database could not be reached or the connection died; try again later."""


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` (or the error it wraps) means the database is unavailable."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, (DatabaseUnavailable, *OUTAGE_ERRORS)):
            return True
        seen.add(id(current))
        current = current.__cause__  # explicit wrapping only: a bug raised while handling one is a bug
    return False


__all__ = ["OUTAGE_ERRORS", "RETRY_AFTER_SECONDS", "DatabaseUnavailable", "is_outage"]
