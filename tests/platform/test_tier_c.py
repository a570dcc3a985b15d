"""Tier C scenarios without credentials: skipped naming every missing variable, never failed.

The inner runs (``pytester``) use the repository's own ``features/tier_c`` files
unchanged; the expected variable names are written out here, not imported.
"""

from pathlib import Path

import pytest

from tests.platform.test_plugin import CHOICE_VARIABLES, REAL_CREDENTIALS

FEATURES = Path(__file__).resolve().parents[2] / "features" / "tier_c"
TWITCH = (
    "MGM_TIER_C_TWITCH_CLIENT_ID",
    "MGM_TIER_C_TWITCH_CLIENT_SECRET",
    "MGM_TIER_C_BROADCASTER_ID",
    "MGM_TIER_C_BOT_USER_ID",
    "MGM_TIER_C_BOT_TOKEN",
    "MGM_TIER_C_EVENTSUB_CALLBACK_URL",
    "MGM_TIER_C_EVENTSUB_SECRET",
)
EBS_AND_GAME = ("MGM_STAGING_EBS_URL", "MGM_DESKTOP_WOW_DIR", "MGM_DESKTOP_EBS_URL", "MGM_DESKTOP_API_KEY")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in (*REAL_CREDENTIALS, *TWITCH, *EBS_AND_GAME, *CHOICE_VARIABLES):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def tier_c_features(pytester):
    for feature in sorted(FEATURES.glob("*.feature")):
        pytester.makefile(".feature", **{feature.stem: feature.read_text(encoding="utf-8")})
    return sorted(f.stem for f in FEATURES.glob("*.feature"))


def skip_lines(result) -> list[str]:
    return [line for line in result.outlines if line.startswith("SKIPPED")]


def test_the_staging_profile_without_credentials_skips_every_tier_c_scenario_naming_the_variables(
    pytester, tier_c_features
):
    assert len(tier_c_features) == 3
    result = pytester.runpytest("-rs", "--mgm-profile", "staging", "-m", "tier_c", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(skipped=4)
    reasons = "\n".join(skip_lines(result))
    for name in TWITCH:
        assert name in reasons
    # The SC-001 chain also names the deployed EBS and the game (and why the game cannot run here).
    chain = [line for line in skip_lines(result) if "wow.client" in line]
    assert chain, reasons
    for name in EBS_AND_GAME:
        assert name in chain[0]
    assert "needs Windows" in chain[0]


def test_a_plain_run_skips_tier_c_scenarios_with_reasons(pytester, tier_c_features):
    result = pytester.runpytest("-rs", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(skipped=4)
    for line in skip_lines(result):
        assert "provided by --mgm-" in line and "MGM_TIER_C_BOT_TOKEN" in line, line


def test_the_lifecycle_scenario_runs_the_real_backend_once_its_variables_are_set(
    pytester, tier_c_features, monkeypatch
):
    """With the variables declared the scenario is no longer skipped: it runs ``mgm twitch``
    against the configured Twitch (here an unreachable address) and fails honestly."""
    for name in TWITCH:
        monkeypatch.setenv(name, "https://127.0.0.1:9/x" if name.endswith("URL") else "x" * 12)
    monkeypatch.setenv("MGM_TIER_C_HELIX_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("MGM_TIER_C_TWITCH_AUTH_BASE_URL", "http://127.0.0.1:9")
    result = pytester.runpytest("-rs", "--mgm-twitch", "real", "-k", "lifecycle", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*mgm twitch subscribe failed: mgm twitch subscribe: Twitch unreachable*"])
    assert "x" * 12 not in result.stdout.str()
