"""The claim path's Helix subscriber check against pytest-httpserver."""

import pytest

from tests.plugins.conftest import HELIX_SETTINGS


@pytest.fixture
def claim_ebs(make_ebs, httpserver):
    return make_ebs(
        **HELIX_SETTINGS,
        helix_base_url=httpserver.url_for("/").rstrip("/"),
        dev_skip_subscriber_check=False,
        helix_timeout_seconds=0.5,
    )


def test_a_subscriber_may_claim_and_the_request_is_exact(claim_ebs, httpserver):
    httpserver.expect_oneshot_request(
        "/helix/subscriptions/user", method="GET", query_string={"broadcaster_id": "1000", "user_id": "42"}
    ).respond_with_json({"data": [{"broadcaster_id": "1000", "tier": "1000", "is_gift": False}]})
    assert claim_ebs.claim("42", "Norinn").status_code == 201
    httpserver.check_assertions()
    ((request, _),) = httpserver.log
    assert request.headers["Authorization"] == "Bearer helix-test-token-0123"
    assert request.headers["Client-Id"] == "helix-test-client"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"error": "Not Found", "status": 404, "message": "User has no subscription"}),
        (200, {"data": []}),
        (500, {}),
        (401, {}),
    ],
)
def test_anything_but_a_subscription_is_refused(claim_ebs, httpserver, status, body):
    httpserver.expect_request("/helix/subscriptions/user").respond_with_json(body, status=status)
    answer = claim_ebs.claim("42", "Norinn")
    assert answer.status_code == 403
    assert answer.json()["code"] == "not_subscriber"
    assert claim_ebs.pool_me("42")["isEnrolled"] is False


def test_the_development_bypass_skips_helix(make_ebs, httpserver):
    ebs = make_ebs(**HELIX_SETTINGS, helix_base_url=httpserver.url_for("/").rstrip("/"))
    assert ebs.claim("42", "Norinn").status_code == 201
    assert httpserver.log == []


def test_the_bypass_is_ignored_in_production(make_ebs, httpserver):
    ebs = make_ebs(
        **HELIX_SETTINGS,
        helix_base_url=httpserver.url_for("/").rstrip("/"),
        env="production",
        extension_secret="eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg=",
        clock="system",
    )
    httpserver.expect_request("/helix/subscriptions/user").respond_with_json({}, status=404)
    answer = ebs.claim("42", "Norinn")
    assert answer.status_code == 403


def test_against_the_helix_mock_roster(make_ebs, helix_mock, helix_settings):
    helix_mock.subscribers({"broadcasterId": "1000", "userId": "42"})
    ebs = make_ebs(**helix_settings, dev_skip_subscriber_check=False)
    assert ebs.claim("42", "Norinn").status_code == 201
    assert ebs.claim("43", "Other").status_code == 403
