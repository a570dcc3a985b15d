"""``--mgm-steps``: every Gherkin step with its status, in one process and under xdist."""

from __future__ import annotations

import pytest

FEATURE = """\
Feature: Console
  Scenario: Green
    Given a step that passes
    Then another step passes

  Scenario: Red
    Given a step that passes
    Then a step that fails
    And a step that is never reached
"""

CONFTEST = """
from pytest_bdd import given, then


@given("a step that passes")
@then("another step passes")
@then("a step that is never reached")
def ok():
    pass


@then("a step that fails")
def bad():
    assert 1 == 2, "one is not two"
"""


@pytest.fixture
def run(pytester: pytest.Pytester):
    pytester.makefile(".feature", console=FEATURE)
    pytester.makeconftest(CONFTEST)

    def go(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mgm-steps", "-q", *args)

    return go


EXPECTED = [
    "  Scenario: Green",
    "    ✔ Given a step that passes",
    "    ✔ Then another step passes",
    "    → PASSED",
]
EXPECTED_RED = [
    "  Scenario: Red",
    "    ✔ Given a step that passes",
    "    ✘ Then a step that fails  — failed: AssertionError: one is not two",
    "    - And a step that is never reached  (not run)",
    "    → FAILED",
]


@pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_each_step_is_printed_with_its_status(run, extra):
    result = run(*extra)
    result.assert_outcomes(passed=1, failed=1)
    lines = result.stdout.lines
    for block in (EXPECTED, EXPECTED_RED):
        start = lines.index(block[0])
        assert lines[start : start + len(block)] == block, lines
