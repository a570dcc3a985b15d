"""Root conftest: database fixtures, a running EBS per test, and the Gherkin step library."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mgm_core.testing.ebs import RunningEbs, test_config

pytest_plugins = [
    "mgm_core.testing.postgres",
    "steps.world",
    "steps.common",
    "steps.enrollment",
    "steps.roulette",
]


SCENARIO_ID = re.compile(r"^(SC|TC)-\d{3}$")


def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> bool | None:
    """Catalog ids (``@SC-005``, ``@TC-013``) become ``scenario_id`` marks, not markers of their own."""
    if SCENARIO_ID.match(tag):
        pytest.mark.scenario_id(tag)(function)
        return True
    return None


@pytest.fixture
def make_ebs(database_url: str) -> Iterator[Callable[..., RunningEbs]]:
    """Start an EBS on a fresh database with config overrides: ``make_ebs(rate_limit=...)``."""
    started: list[RunningEbs] = []

    def make(**overrides: Any) -> RunningEbs:
        ebs = RunningEbs(test_config(database_url, **overrides))
        started.append(ebs)
        return ebs

    yield make
    for ebs in reversed(started):
        ebs.stop()


@pytest.fixture
def ebs(make_ebs: Callable[..., RunningEbs]) -> RunningEbs:
    """An EBS in development mode with a virtual clock, the harness and the subscriber bypass on."""
    return make_ebs()
