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

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mgm_core.testing.ebs import RunningEbs, test_config
from mgm_core.testing.postgres import database_url, pg_server_dsn, pg_test_databases

__all__ = ["database_url", "ebs", "ebs_with_plugins", "make_ebs", "pg_server_dsn", "pg_test_databases"]


@pytest.fixture
def make_ebs(database_url: str) -> Iterator[Callable[..., RunningEbs]]:
    """Start an EBS on this test's database: ``make_ebs(rate_limit=..., plugins=[...])``."""
    started: list[RunningEbs] = []

    def make(*, plugins: tuple[object, ...] | list[object] = (), **overrides: Any) -> RunningEbs:
        ebs = RunningEbs(test_config(database_url, **overrides), plugins=plugins)
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
