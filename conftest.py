"""Root conftest: the Gherkin step library and tag handling.

The ``database_url``, ``make_ebs``, ``ebs`` and ``ebs_with_plugins`` fixtures come from
:mod:`mgm_core.testing.pytest_plugin`, which pytest loads through its ``pytest11`` entry point.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

pytest_plugins = [
    "pytester",
    "steps.world",
    "steps.common",
    "steps.enrollment",
    "steps.roulette",
    "steps.helix",
    "steps.wow",
    "steps.seed",
]


SCENARIO_ID = re.compile(r"^(SC|TC)-\d{3}$")


def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> bool | None:
    """Catalog ids (``@SC-005``, ``@TC-013``) become ``scenario_id`` marks, not markers of their own."""
    if SCENARIO_ID.match(tag):
        pytest.mark.scenario_id(tag)(function)
        return True
    return None
