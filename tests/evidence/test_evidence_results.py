"""The evidence plugin, end to end: a few scenarios run with pytester, their Allure JSON read back.

The scenarios use the project's real step library against a real EBS (on the outer
session's PostgreSQL server). The checks read the raw result files with plain ``json``
and ``re``: no code of the plugin is used to judge the plugin.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = (
    "test-desktop-api-key",
    "test-eventsub-secret",
    "helix-scenario-token",
    "opaque-unregistered-token-42",
)
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.")
SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")

EVIDENCE_FEATURE = """\
@tier_a
Feature: Sign-off evidence

  @SC-001 @blocker
  Scenario: A chat entry reaches the pool and the Desktop reads payouts
    Given the EBS is running
    And viewer "1" wrote "!twgold Norinn" in chat with a subscriber badge
    And the Extension calls its pool with an opaque bearer token
    When the Desktop calls "GET /api/payouts/pending" with the API key
    Then the response status is 200

  @tier_b @TC-029
  Scenario: Sent is announced through Helix
    Given the EBS announces rewards through the Helix mock
    And the EBS is running
    And viewer "90001337" has won a Pending payout for "Norinn"
    And the Desktop moved the payout of "Norinn" to "InProgress"
    When the Desktop moves the payout of "Norinn" to "Sent"
    Then the Helix mock received 1 chat message
"""

FAILURES_FEATURE = """\
@tier_a
Feature: Sign-off failures

  @TC-004
  Scenario: A Then assertion fails
    Given the EBS is running
    When the Desktop calls "GET /api/payouts/pending" with the API key
    Then the response status is 418

  Scenario: A step raises
    Given the EBS is running
    When a step raises an error

  Scenario: A backend is unreachable
    When the platform calls a backend that is down

  Scenario: The backend cannot offer the capability
    Given the chosen backend cannot offer real chat
"""

CONFTEST = """
import re

import httpx
import pytest
from pytest_bdd import given, when

from mgm_platform.evidence.exchanges import journaled

@given("the Extension calls its pool with an opaque bearer token")
def opaque(world):
    world.ebs.http.get("/api/pool/me", headers={"Authorization": "Bearer opaque-unregistered-token-42"})


@when("a step raises an error")
def raises():
    raise RuntimeError("the step itself is broken")


@when("the platform calls a backend that is down")
def down():
    with httpx.Client(**journaled()) as client:
        client.get("http://127.0.0.1:9/unreachable")


@given("the chosen backend cannot offer real chat")
def cannot():
    pytest.skip("backend twitch mock does not offer real_chat (a real EventSub delivery)")
"""

INI = """[pytest]
markers =
    tier_a: a
    tier_b: b
    scenario_id(id): catalog id
    server_error_expected: opt out
"""

LINK_PATTERN = "https://catalog.example/scenarios.md#{anchor}"


def run_feature(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, dsn: str, feature: str) -> Path:
    """Run ``feature`` with the real step library in a subprocess; its Allure results folder."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("MGM_TEST_DATABASE_URL", dsn)  # the outer session's server, own databases
    monkeypatch.setenv("MGM_CATALOG_LINK_PATTERN", LINK_PATTERN)
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS", "GITHUB_ACTIONS", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    pytester.makefile(".feature", sign=feature)
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    out = pytester.path / "allure-results"
    pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--strict-markers", f"--alluredir={out}", timeout=240
    )
    return out


@pytest.fixture
def evidence(pytester, monkeypatch, pg_server_dsn) -> Path:
    return run_feature(pytester, monkeypatch, pg_server_dsn, EVIDENCE_FEATURE)


@pytest.fixture
def failures(pytester, monkeypatch, pg_server_dsn) -> Path:
    return run_feature(pytester, monkeypatch, pg_server_dsn, FAILURES_FEATURE)


def _results(folder: Path) -> dict[str, dict]:
    found = {}
    for path in folder.glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["name"]] = data
    return found


def _attachments(item: dict) -> list[dict]:
    found = list(item.get("attachments", []))
    for step in item.get("steps", []):
        found += _attachments(step)
    return found


def _labels(result: dict, name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def check_every_scenario_that_ran_has_an_http_exchange(results):
    for name, result in _results(results).items():
        if result["status"] == "skipped":
            continue
        titles = [a["name"] for a in _attachments(result)]
        assert any(t.startswith("HTTP ") for t in titles), (name, titles)


def check_no_secret_reaches_any_file_of_the_results(results):
    for path in results.iterdir():
        text = path.read_text(encoding="utf-8", errors="replace")
        for secret in SECRETS:
            assert secret not in text, (path.name, secret)
        assert not JWT.search(text), path.name
        assert not SIGNATURE.search(text), path.name


def check_exchanges_show_method_url_status_headers_and_bodies_with_credentials_masked(results):
    result = _results(results)["A chat entry reaches the pool and the Desktop reads payouts"]
    steps = {step["name"]: step for step in result["steps"]}
    desktop = steps['When the Desktop calls "GET /api/payouts/pending" with the API key']
    (attachment,) = desktop["attachments"]
    assert attachment["name"] == "HTTP GET /api/payouts/pending → 200"
    text = (results / attachment["source"]).read_text(encoding="utf-8")
    assert re.match(r"GET http://127\.0\.0\.1:\d+/api/payouts/pending\n", text), text
    assert "> x-mgm-apikey: ***" in text
    assert "< 200 OK" in text and "< content-type: application/json" in text
    enrolment = steps['And viewer "1" wrote "!twgold Norinn" in chat with a subscriber badge']
    sent = (results / enrolment["attachments"][0]["source"]).read_text(encoding="utf-8")
    assert "POST http" in sent and "/api/twitch/eventsub" in sent
    assert "> twitch-eventsub-message-signature: ***" in sent
    assert '"text": "!twgold Norinn"' in sent  # the JSON body, pretty-printed
    extension = steps["And the Extension calls its pool with an opaque bearer token"]
    bearer = (results / extension["attachments"][0]["source"]).read_text(encoding="utf-8")
    assert "> authorization: Bearer ***" in bearer, bearer


def check_step_parameters_are_the_step_arguments_not_fixtures(results):
    result = _results(results)["A chat entry reaches the pool and the Desktop reads payouts"]
    for step in result["steps"]:
        for parameter in step.get("parameters", []):
            assert " object at 0x" not in parameter["value"], (step["name"], parameter)
            assert parameter["name"] not in ("world", "request", "helix"), (step["name"], parameter)
    wrote = next(s for s in result["steps"] if s["name"].startswith("And viewer"))
    assert wrote["parameters"] == [
        {"name": "user", "value": "'1'"},
        {"name": "text", "value": "'!twgold Norinn'"},
    ], wrote["parameters"]


def check_labels_and_links_come_from_the_tags(results):
    result = _results(results)["A chat entry reaches the pool and the Desktop reads payouts"]
    assert _labels(result, "epic") == ["Tier A"]
    assert _labels(result, "severity") == ["blocker"]
    assert _labels(result, "catalog_id") == ["SC-001"]
    assert _labels(result, "profile") == ["local"]
    assert _labels(result, "ebs") == ["local"] and _labels(result, "helix") == ["mock"]
    assert result["links"] == [
        {
            "type": "tms",
            "name": "SC-001",
            "url": "https://catalog.example/scenarios.md#sc-001--a-subscriber-wins-the-roulette-and-receives-gold-full-chain",
        }
    ]
    helix = _results(results)["Sent is announced through Helix"]
    assert _labels(helix, "epic") == ["Tier A"]  # the lowest tier when a scenario carries two
    assert _labels(helix, "severity") == ["normal"]  # untagged


def check_the_scenario_end_attaches_the_ebs_log_and_the_helix_journal(results):
    passed = _results(results)["A chat entry reaches the pool and the Desktop reads payouts"]
    assert "EBS log" in [a["name"] for a in passed["attachments"]]
    helix = _results(results)["Sent is announced through Helix"]
    journal = next(a for a in helix["attachments"] if a["name"].startswith("Helix mock journal"))
    body = json.loads((results / journal["source"]).read_text(encoding="utf-8"))
    assert body[0]["path"] == "/helix/chat/messages"
    assert body[0]["headers"]["Authorization"] == "Bearer ***"


def check_a_failure_carries_the_ebs_log_and_the_last_exchanges(results):
    failed = _results(results)["A Then assertion fails"]
    assert failed["status"] == "failed"
    names = [a["name"] for a in failed["attachments"]]
    assert "EBS log" in names and "Last HTTP exchanges before the failure" in names
    last = next(a for a in failed["attachments"] if a["name"] == "Last HTTP exchanges before the failure")
    assert "GET http" in (results / last["source"]).read_text(encoding="utf-8")


def _category(result: dict, categories: list[dict]) -> str | None:
    """Allure's rule: the first category whose statuses and (full-match) regexes fit."""
    message = (result.get("statusDetails") or {}).get("message") or ""
    trace = (result.get("statusDetails") or {}).get("trace") or ""
    for category in categories:
        if result["status"] not in category.get("matchedStatuses", [result["status"]]):
            continue
        if "messageRegex" in category and not re.fullmatch(category["messageRegex"], message):
            continue
        if "traceRegex" in category and not re.fullmatch(category["traceRegex"], trace):
            continue
        return category["name"]
    return None


def check_categories_separate_product_test_infrastructure_and_capability(results):
    categories = json.loads((results / "categories.json").read_text(encoding="utf-8"))
    found = {name: _category(result, categories) for name, result in _results(results).items()}
    assert found["A Then assertion fails"].startswith("Product defects")
    assert found["A step raises"].startswith("Test defects")
    assert found["A backend is unreachable"].startswith("Infrastructure")
    assert found["The backend cannot offer the capability"].startswith("Capability skips")


def check_the_run_context_is_written(results):
    lines = (results / "environment.properties").read_text(encoding="utf-8").splitlines()
    keys = {line.split("=", 1)[0] for line in lines}
    assert {"mgm.version", "git.commit", "profile", "backend.ebs", "database.kind", "python", "os"} <= keys
    server = next(line for line in lines if line.startswith("database.server_version="))
    assert re.match(r"database\.server_version=\d+", server), server
    assert not (results / "executor.json").exists()  # not in CI


def test_passing_scenarios_carry_exchanges_logs_labels_links_and_the_run_context(evidence):
    assert {r["status"] for r in _results(evidence).values()} == {"passed"}
    check_every_scenario_that_ran_has_an_http_exchange(evidence)
    check_no_secret_reaches_any_file_of_the_results(evidence)
    check_exchanges_show_method_url_status_headers_and_bodies_with_credentials_masked(evidence)
    check_step_parameters_are_the_step_arguments_not_fixtures(evidence)
    check_labels_and_links_come_from_the_tags(evidence)
    check_the_scenario_end_attaches_the_ebs_log_and_the_helix_journal(evidence)
    check_the_run_context_is_written(evidence)


def test_failures_carry_their_evidence_and_fall_into_categories(failures):
    statuses = {name: r["status"] for name, r in _results(failures).items()}
    assert statuses == {
        "A Then assertion fails": "failed",
        "A step raises": "broken",
        "A backend is unreachable": "broken",
        "The backend cannot offer the capability": "skipped",
    }
    check_every_scenario_that_ran_has_an_http_exchange(failures)
    check_no_secret_reaches_any_file_of_the_results(failures)
    check_a_failure_carries_the_ebs_log_and_the_last_exchanges(failures)
    check_categories_separate_product_test_infrastructure_and_capability(failures)
    unreachable = _results(failures)["A backend is unreachable"]
    (exchange,) = unreachable["steps"][0]["attachments"]
    assert exchange["name"].startswith("HTTP GET /unreachable → ConnectError"), exchange
