"""The claim path's Helix subscriber check against pytest-httpserver.

The check is Get Broadcaster Subscriptions with the broadcaster's token; these
tests pin the exact request and every class of answer.
"""

import logging
import socket

import pytest

from tests.plugins.conftest import HELIX_SETTINGS

PATH = "/helix/subscriptions"
SUBSCRIBED = {
    "data": [
        {
            "broadcaster_id": "1000",
            "broadcaster_login": "channel",
            "broadcaster_name": "Channel",
            "gifter_id": "",
            "gifter_login": "",
            "gifter_name": "",
            "is_gift": False,
            "plan_name": "Channel Subscription (channel)",
            "tier": "1000",
            "user_id": "42",
            "user_name": "Norinn",
            "user_login": "norinn",
        }
    ],
    "pagination": {},
    "total": 1,
    "points": 1,
}
EMPTY = {"data": [], "pagination": {}, "total": 1, "points": 1}


@pytest.fixture
def claim_ebs(make_ebs, httpserver):
    return make_ebs(
        **HELIX_SETTINGS,
        helix_base_url=httpserver.url_for("/").rstrip("/"),
        dev_skip_subscriber_check=False,
        helix_timeout_seconds=0.5,
    )


def test_a_subscriber_may_claim_and_the_request_is_exactly_get_broadcaster_subscriptions(
    claim_ebs, httpserver
):
    httpserver.expect_request(PATH).respond_with_json(SUBSCRIBED)
    assert claim_ebs.claim("42", "Norinn").status_code == 201
    ((request, _),) = httpserver.log
    assert request.method == "GET"
    assert request.path == "/helix/subscriptions"
    assert sorted(request.args.items(multi=True)) == [("broadcaster_id", "1000"), ("user_id", "42")]
    assert request.headers["Authorization"] == "Bearer helix-test-token-0123"
    assert request.headers["Client-Id"] == "helix-test-client"
    assert request.data == b""
    assert "after" not in request.args and "first" not in request.args  # one viewer: never paginated


def test_an_empty_data_is_not_a_subscriber(claim_ebs, httpserver):
    httpserver.expect_request(PATH).respond_with_json(EMPTY)
    answer = claim_ebs.claim("42", "Norinn")
    assert answer.status_code == 403
    assert answer.json()["code"] == "not_subscriber"
    assert claim_ebs.pool_me("42")["isEnrolled"] is False
    assert len(httpserver.log) == 1


def test_an_entry_for_another_viewer_is_no_verdict(claim_ebs, httpserver):
    other = {**SUBSCRIBED, "data": [{**SUBSCRIBED["data"][0], "user_id": "77"}]}
    httpserver.expect_request(PATH).respond_with_json(other)
    answer = claim_ebs.claim("42", "Norinn")
    assert answer.status_code == 503
    assert answer.json()["details"]["reason"] == "helix_unexpected_answer"


@pytest.mark.parametrize(
    ("status", "body", "headers", "reason"),
    [
        (
            400,
            {"error": "Bad Request", "status": 400, "message": "Missing broadcaster_id"},
            {},
            "bad_request",
        ),
        (401, {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, {}, "unauthorized"),
        (403, {"error": "Forbidden", "status": 403, "message": "Forbidden"}, {}, "forbidden"),
        (
            429,
            {"error": "Too Many Requests", "status": 429, "message": "Too Many Requests"},
            {"Ratelimit-Limit": "800", "Ratelimit-Remaining": "0", "Ratelimit-Reset": "4102444800"},
            "rate_limited",
        ),
        (500, {"error": "Internal Server Error", "status": 500, "message": ""}, {}, "server_error"),
        (503, {}, {}, "server_error"),
        (200, {"unexpected": True}, {}, "unexpected_answer"),
    ],
)
def test_when_twitch_cannot_answer_the_claim_is_503_once_and_logged(
    claim_ebs, httpserver, caplog, status, body, headers, reason
):
    httpserver.expect_request(PATH).respond_with_json(body, status=status, headers=headers)
    with caplog.at_level(logging.WARNING, logger="mgm_core.plugins"):
        answer = claim_ebs.claim("42", "Norinn")
    assert answer.status_code == 503
    assert answer.json()["code"] == "subscriber_check_unavailable"
    assert answer.json()["details"]["reason"] == f"helix_{reason}"
    # The reset lies far past the scenario clock: capped at 60 s; otherwise the default 30 s.
    assert answer.headers["Retry-After"] == ("60" if status == 429 else "30")
    assert claim_ebs.pool_me("42")["isEnrolled"] is False
    assert len(httpserver.log) == 1  # no retry in the request path
    records = [r for r in caplog.records if r.getMessage() == "helix subscriber check unavailable"]
    assert [r.reason for r in records] == [f"helix_{reason}"]
    assert records[0].helix_status == status
    if status == 429:
        assert records[0].ratelimit_reset == 4102444800
    assert all("helix-test-token-0123" not in str(r.__dict__) for r in caplog.records)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on exit: connecting is refused


def test_an_unreachable_helix_is_refused_quickly(make_ebs, caplog):
    ebs = make_ebs(
        **HELIX_SETTINGS,
        helix_base_url=f"http://127.0.0.1:{closed_port()}",
        dev_skip_subscriber_check=False,
        helix_timeout_seconds=0.5,
    )
    with caplog.at_level(logging.WARNING, logger="mgm_core.plugins"):
        answer = ebs.claim("42", "Norinn")
    assert answer.status_code == 503
    assert answer.json()["details"] == {"reason": "helix_unreachable", "retryAfterSeconds": 30}
    assert any(getattr(r, "reason", None) == "helix_unreachable" for r in caplog.records)


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
    httpserver.expect_request(PATH).respond_with_json(EMPTY)
    answer = ebs.claim("42", "Norinn")
    assert answer.status_code == 403
    assert len(httpserver.log) == 1


def test_against_the_helix_mock_roster(make_ebs, helix_mock, helix_settings):
    helix_mock.subscribers({"broadcasterId": "1000", "userId": "42"})
    ebs = make_ebs(**helix_settings, dev_skip_subscriber_check=False)
    assert ebs.claim("42", "Norinn").status_code == 201
    assert ebs.claim("43", "Other").status_code == 403
    paths = {r["path"] for r in helix_mock.requests()}
    assert paths == {"/helix/subscriptions"}
