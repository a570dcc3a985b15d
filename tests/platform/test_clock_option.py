"""Where every test's virtual clock starts: ``--mgm-clock-start``, ``MGM_CLOCK_START``, the ini key."""

from __future__ import annotations

import pytest

CHECK = """
def test_start(mgm_clock, mgm_clock_start):
    assert mgm_clock.now() == mgm_clock_start
    print("START", mgm_clock.now().strftime("%Y-%m-%d %H:%M:%S %z"))
"""


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("MGM_CLOCK_START", raising=False)
    pytester.makepyfile(test_start=CHECK)

    def go(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", *args)

    return go


def test_the_default_start_is_a_fixed_instant(run):
    result = run()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*START 2026-11-24 12:01:00 +0000"])


@pytest.mark.parametrize(
    ("given", "seen"),
    [
        ("2028-02-29T12:01:00Z", "2028-02-29 12:01:00 +0000"),  # a leap day
        ("2030-12-31T23:58:30Z", "2030-12-31 23:58:30 +0000"),  # before midnight and a new year
        ("2027-03-14T09:04:59Z", "2027-03-14 09:04:59 +0000"),  # a second before a cycle boundary
        ("2027-03-14T11:04:59+02:00", "2027-03-14 09:04:59 +0000"),  # an offset, kept as UTC
    ],
)
def test_the_command_line_sets_the_start(run, given, seen):
    result = run("--mgm-clock-start", given)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*START {seen}"])


def test_the_environment_sets_the_start(run, monkeypatch):
    monkeypatch.setenv("MGM_CLOCK_START", "2029-01-01T00:00:00Z")
    result = run()
    result.stdout.fnmatch_lines(["*START 2029-01-01 00:00:00 +0000"])


def test_the_command_line_wins_over_the_environment(run, monkeypatch):
    monkeypatch.setenv("MGM_CLOCK_START", "2029-01-01T00:00:00Z")
    result = run("--mgm-clock-start", "2031-07-04T10:00:00Z")
    result.stdout.fnmatch_lines(["*START 2031-07-04 10:00:00 +0000"])


def test_the_ini_key_sets_the_start(run, pytester):
    pytester.makeini("[pytest]\nmgm_clock_start = 2032-05-05T05:05:05Z\n")
    result = run()
    result.stdout.fnmatch_lines(["*START 2032-05-05 05:05:05 +0000"])


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("yesterday", "*--mgm-clock-start*'yesterday' is not an ISO-8601 instant*"),
        ("2028-02-30T00:00:00Z", "*'2028-02-30T00:00:00Z' is not an ISO-8601 instant*"),
        ("2028-02-29T12:00:00", "*needs a zone*"),
    ],
)
def test_a_bad_start_is_a_usage_error(run, given, says):
    result = run("--mgm-clock-start", given)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([says])
