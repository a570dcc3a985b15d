"""pytest fixtures for testing the EBS and plugins for it (loaded automatically: ``pytest11``).

* ``database_url`` — a fresh migrated PostgreSQL database per test (embedded
  server, or ``MGM_TEST_DATABASE_URL``'s server);
* ``make_ebs(**config_overrides, plugins=[...])`` — start an EBS on it;
* ``ebs`` — one EBS with the test defaults;
* ``ebs_with_plugins(*plugins, **config_overrides)`` — an EBS with inline
  plugins registered after the installed ones: the ten-line plugin test::

      from mgm_core.plugins import hookimpl

      class Spy:
          seen = []

          @hookimpl
          def mgm_payout_transition(self, transition, context):
              self.seen.append(transition.new_status)

      def test_my_observer(ebs_with_plugins):
          ebs = ebs_with_plugins(Spy())
          ...
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from mgm_core.clock import VirtualClock, parse_clock_start
from mgm_core.testing.ebs import DEFAULT_START, RunningEbs, test_config
from mgm_core.testing.postgres import database_url, pg_server_dsn, pg_test_databases

__all__ = [
    "database_url",
    "ebs",
    "ebs_with_plugins",
    "make_ebs",
    "mgm_clock",
    "mgm_clock_start",
    "pg_server_dsn",
    "pg_test_databases",
]

CLOCK_START_ENV = "MGM_CLOCK_START"

# Another plugin (the platform's evidence) may put here a function that returns extra
# ``httpx.Client`` options for every test EBS's client, e.g. hooks that journal exchanges.
EBS_HTTP_OPTIONS = pytest.StashKey[Callable[[], dict[str, Any]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mgm", "MimironsGoldOMatic")
    group.addoption(
        "--mgm-clock-start",
        dest="mgm_clock_start",
        default=None,
        metavar="ISO-8601",
        help=f"where every scenario's virtual clock starts (env {CLOCK_START_ENV}, ini mgm_clock_start;"
        f" default {DEFAULT_START.isoformat().replace('+00:00', 'Z')})",
    )
    parser.addini("mgm_clock_start", "where every scenario's virtual clock starts (ISO-8601 with a zone)")


def clock_start_from(config: pytest.Config) -> datetime:
    """The configured start: command line, then ``MGM_CLOCK_START``, then the ini key, then the default."""
    for source, text in (
        ("--mgm-clock-start", config.getoption("mgm_clock_start", None)),
        (CLOCK_START_ENV, os.environ.get(CLOCK_START_ENV)),
        ("mgm_clock_start", config.getini("mgm_clock_start")),
    ):
        if text:
            try:
                return parse_clock_start(str(text))
            except ValueError as exc:
                raise pytest.UsageError(f"{source}: {exc}") from None
    return DEFAULT_START


def pytest_configure(config: pytest.Config) -> None:
    clock_start_from(config)  # a bad value is a usage error before anything runs


@pytest.fixture
def mgm_clock_start(request: pytest.FixtureRequest) -> datetime:
    """The instant the test's virtual clock starts at (``--mgm-clock-start``)."""
    return clock_start_from(request.config)


@pytest.fixture
def mgm_clock(mgm_clock_start: datetime) -> VirtualClock:
    """The test's one clock: every EBS, bridge, simulator and mock the test starts reads it."""
    return VirtualClock(mgm_clock_start)


@pytest.fixture
def make_ebs(
    database_url: str, mgm_clock: VirtualClock, request: pytest.FixtureRequest
) -> Iterator[Callable[..., RunningEbs]]:
    """Start an EBS on this test's database and clock: ``make_ebs(rate_limit=..., plugins=[...])``."""
    started: list[RunningEbs] = []
    http_options = request.config.stash.get(EBS_HTTP_OPTIONS, None)

    def make(*, plugins: tuple[object, ...] | list[object] = (), **overrides: Any) -> RunningEbs:
        config = test_config(database_url, **overrides)
        ebs = RunningEbs(config, clock=mgm_clock, plugins=plugins, http_options=http_options)
        started.append(ebs)
        return ebs

    yield make
    for ebs in reversed(started):
        ebs.stop()


@pytest.fixture
def ebs(make_ebs: Callable[..., RunningEbs]) -> RunningEbs:
    """An EBS in development mode with a virtual clock, the harness and the subscriber bypass on."""
    return make_ebs()


@pytest.fixture
def ebs_with_plugins(make_ebs: Callable[..., RunningEbs]) -> Callable[..., RunningEbs]:
    """Start an EBS with inline plugins registered (after the installed ones)."""

    def start(*plugins: object, **overrides: Any) -> RunningEbs:
        return make_ebs(plugins=plugins, **overrides)

    return start
