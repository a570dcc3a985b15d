"""The platform plugin as a QA repository sees it: a folder of .feature files, no conftest.

Inner runs use ``pytester`` (in process); the plugin loads through its ``pytest11``
entry point as it does for an installed distribution. Expected texts are literal.
"""

import pytest

REAL_CREDENTIALS = (
    "MGM_TIER_C_TWITCH_CLIENT_ID",
    "MGM_TIER_C_TWITCH_CLIENT_SECRET",
    "MGM_TIER_C_BROADCASTER_ID",
    "MGM_TIER_C_BROADCASTER_TOKEN",
    "MGM_TIER_C_BOT_USER_ID",
    "MGM_TIER_C_BOT_TOKEN",
    "MGM_TIER_C_EVENTSUB_CALLBACK_URL",
    "MGM_TIER_C_EVENTSUB_SECRET",
    "MGM_STAGING_EBS_URL",
    "MGM_DESKTOP_WOW_DIR",
    "MGM_DESKTOP_EBS_URL",
    "MGM_DESKTOP_API_KEY",
)
CHOICE_VARIABLES = ("MGM_PROFILE", "MGM_EBS", "MGM_TWITCH", "MGM_HELIX", "MGM_WOW", "MGM_STACK")

HELIX_FEATURE = """\
@tier_b
Feature: Announcements

  @SC-001
  Scenario: The reward is announced
    Given the EBS announces rewards through the Helix mock
    Then the Helix mock received 0 chat messages
"""

TYPO_FEATURE = """\
@tier_a
Feature: Typos

  Scenario: A misspelt step
    Given the EBS is runing
"""


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in (*REAL_CREDENTIALS, *CHOICE_VARIABLES):
        monkeypatch.delenv(name, raising=False)


def header(result) -> str:
    return next(line for line in result.outlines if line.startswith("mgm: profile"))


def test_markers_and_catalog_tags_are_registered_under_strict_markers(pytester):
    pytester.makefile(".feature", announce=HELIX_FEATURE)
    result = pytester.runpytest("--strict-markers", "--co", "-q", "-m", "tier_b and scenario_id")
    result.assert_outcomes()
    assert result.ret == 0
    result.stdout.fnmatch_lines(["announce.feature::test_the_reward_is_announced", "1 test collected*"])


def test_an_unregistered_tag_fails_under_strict_markers(pytester):
    pytester.makefile(".feature", odd=HELIX_FEATURE.replace("@tier_b", "@tier_z"))
    result = pytester.runpytest("--strict-markers", "--co", "-q")
    result.stdout.fnmatch_lines(["*'tier_z' not found in `markers` configuration option*"])
    assert result.ret != 0


def test_one_feature_file_runs_alone(pytester):
    pytester.makefile(".feature", announce=HELIX_FEATURE, typo=TYPO_FEATURE)
    result = pytester.runpytest("--co", "-q", "typo.feature")
    result.stdout.fnmatch_lines(["typo.feature::test_a_misspelt_step", "1 test collected*"])


def test_a_step_matching_nothing_fails_with_file_line_and_the_closest_phrase(pytester):
    pytester.makefile(".feature", typo=TYPO_FEATURE)
    result = pytester.runpytest("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            '*typo.feature:5: no step matches "Given the EBS is runing" (scenario '
            "'A misspelt step'); did you mean: Given the EBS is running*"
        ]
    )


def test_default_choices_come_from_the_local_profile(pytester):
    result = pytester.runpytest("--co")
    assert header(result) == (
        "mgm: profile local [default]: ebs=local [profile local], twitch=mock [profile local], "
        "helix=mock [profile local], wow=simulator [profile local], stack=.mgm [default]"
    )


def test_precedence_command_line_then_environment_then_profile_then_ini(pytester, monkeypatch):
    pytester.makeini("[pytest]\nmgm_helix = real\nmgm_stack = from-ini\nmgm_wow = real\n")
    monkeypatch.setenv("MGM_HELIX", "mock")
    monkeypatch.setenv("MGM_TWITCH", "real")
    result = pytester.runpytest("--co", "--mgm-twitch", "mock")
    assert header(result) == (
        "mgm: profile local [default]: ebs=local [profile local], twitch=mock [--mgm-twitch], "
        "helix=mock [MGM_HELIX], wow=simulator [profile local], stack=from-ini [mgm_stack]"
    )


def test_a_user_profile_from_pyproject(pytester, monkeypatch):
    pytester.makepyprojecttoml('[tool.mgm.profiles.nightly]\nhelix = "real"\nebs = "$NIGHTLY_EBS"\n')
    monkeypatch.setenv("NIGHTLY_EBS", "https://ebs.example.test")
    result = pytester.runpytest("--co", "--mgm-profile", "nightly")
    assert header(result) == (
        "mgm: profile nightly [--mgm-profile]: ebs=https://ebs.example.test [profile nightly], "
        "twitch=mock [default], helix=real [profile nightly], wow=simulator [default], stack=.mgm [default]"
    )


def test_an_unknown_profile_is_a_usage_error_listing_the_known_ones(pytester):
    pytester.makepyprojecttoml('[tool.mgm.profiles.nightly]\nhelix = "real"\n')
    result = pytester.runpytest("--mgm-profile", "nighty")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: mgm: unknown profile 'nighty' (--mgm-profile); known: local, stack, staging, nightly"]
    )


def test_an_unknown_key_in_a_profile_is_a_usage_error_listing_the_known_keys(pytester):
    pytester.makepyprojecttoml('[tool.mgm.profiles.nightly]\nhelics = "real"\n')
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: mgm: *pyproject.toml: [[]tool.mgm.profiles.nightly] has unknown key helics;"
            " known keys: ebs, twitch, helix, wow, stack"
        ]
    )


def test_an_unknown_backend_is_a_usage_error_listing_the_known_ones(pytester):
    result = pytester.runpytest("--mgm-helix", "fake")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: mgm: unknown helix backend 'fake'; known: mock, real"])


def test_real_helix_without_credentials_skips_naming_the_variables(pytester):
    pytester.makefile(".feature", announce=HELIX_FEATURE)
    result = pytester.runpytest("-rs", "--mgm-helix", "real")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] *backend helix=real does not offer helix.observe (observe the chat announcements"
            " the EBS sends through Helix); provided by --mgm-helix mock (helix=real also needs"
            " MGM_TIER_C_TWITCH_CLIENT_ID, MGM_TIER_C_BROADCASTER_ID, MGM_TIER_C_BOT_USER_ID,"
            " MGM_TIER_C_BOT_TOKEN)"
        ]
    )


def test_the_stack_profile_without_a_running_stack_is_a_usage_error(pytester):
    result = pytester.runpytest("--mgm-profile", "stack")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: mgm: no */.mgm/stack.json: start `mgm stack up` first, or pass --mgm-stack PATH"]
    )


def test_the_stack_profile_reads_stack_json(pytester):
    pytester.mkdir("run")
    pytester.path.joinpath("run", "stack.json").write_text(
        '{"format": 1, "urls": {"ebs": "http://127.0.0.1:25080"}, "virtualClock": true, "secrets": {}}'
    )
    pytester.makefile(".feature", announce=HELIX_FEATURE)
    result = pytester.runpytest("-rs", "--mgm-profile", "stack", "--mgm-stack", "run")
    result.stdout.fnmatch_lines(["mgm: stack */run/stack.json: EBS http://127.0.0.1:25080, virtual clock"])
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["SKIPPED [[]1[]] *run/stack.json names no Helix mock (urls.helix)*helix.observe*"]
    )


CLOCK_FEATURE = """\
@tier_a
Feature: Time

  Scenario: The clock moves
    Given the EBS is running
    When the clock advances 60 seconds
    Then the response status is 200
"""


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (
            '"virtualClock": false',
            "*runs on the system clock, so it does not offer clock.move*--virtual-clock*",
        ),
        (
            '"virtualClock": true, "desktopBridge": {"injector": "simulator"}',
            "*answers every drawn candidate itself*MGM_DESKTOP_INJECTOR=record*",
        ),
    ],
)
def test_a_stack_that_cannot_give_a_scenario_the_clock_skips_it_saying_why(pytester, extra, reason):
    pytester.mkdir("run")
    pytester.path.joinpath("run", "stack.json").write_text(
        '{"format": 1, "urls": {"ebs": "http://127.0.0.1:25080"}, "secrets": {}, ' + extra + "}"
    )
    pytester.makefile(".feature", clock=CLOCK_FEATURE)
    result = pytester.runpytest("-rs", "--mgm-profile", "stack", "--mgm-stack", "run")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED*{reason}"])


QA_FEATURE = """\
@tier_a
Feature: A QA repository's own scenario

  Scenario: The Desktop reads the empty pending queue
    Given the EBS is running
    When the Desktop calls "GET /api/payouts/pending" with the API key
    Then the response status is 200
    And the response field "code" is "nope"
"""


def test_a_folder_of_feature_files_runs_documented_steps_against_a_real_ebs(pytester):
    pytester.mkdir("qa")
    pytester.path.joinpath("qa", "pending.feature").write_text(
        QA_FEATURE.replace('    And the response field "code" is "nope"\n', "")
    )
    pytester.path.joinpath("qa", "failing.feature").write_text(
        QA_FEATURE.replace("The Desktop reads", "A wrong expectation about")
    )
    result = pytester.runpytest_subprocess("--strict-markers", "-p", "no:cacheprovider", "qa")
    # The oracle of the run: one scenario passes, the one asserting a field a list lacks fails.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["FAILED qa/failing.feature::test_a_wrong_expectation_about_the_empty_pending_queue*"]
    )


def test_a_url_target_without_its_secrets_skips_naming_the_variables(pytester, monkeypatch):
    monkeypatch.delenv("MGM_TARGET_API_KEY", raising=False)
    monkeypatch.delenv("MGM_TARGET_EVENTSUB_SECRET", raising=False)
    pytester.makefile(".feature", clock=CLOCK_FEATURE)
    result = pytester.runpytest("-rs", "--mgm-ebs", "http://127.0.0.1:25999")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["SKIPPED*ebs=url*credentials not set: MGM_TARGET_API_KEY, MGM_TARGET_EVENTSUB_SECRET*"]
    )
