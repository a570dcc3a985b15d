""" "Cannot check now" through HTTP: the Helix mock fails or refuses, the claim is 503 with Retry-After.

The EBS and the Helix mock share the test's virtual clock, so a 429's
``Ratelimit-Reset`` turns into a predictable ``Retry-After``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from mgm_core.serving import BackgroundServer
from mgm_mocks import MOCKS
from tests.plugins.conftest import HELIX_SETTINGS, HelixMock

PATH = "/helix/subscriptions"


def _start_mock(clock, **changes) -> tuple[BackgroundServer, HelixMock]:
    service = MOCKS["helix"]
    settings = dataclasses.replace(service.settings_from_env({}), clock=clock, **changes)
    server = BackgroundServer(lambda: service.create_app(settings))
    return server, HelixMock(server.start())


@pytest.fixture
def clocked_mock(mgm_clock) -> Iterator[HelixMock]:
    server, mock = _start_mock(mgm_clock)
    yield mock
    mock.http.close()
    server.stop()


def _claim_ebs(make_ebs, url: str):
    return make_ebs(**HELIX_SETTINGS, helix_base_url=url, dev_skip_subscriber_check=False)


def _assert_unavailable(answer, reason: str, retry_after: str) -> None:
    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert body["code"] == "subscriber_check_unavailable", body
    assert body["details"]["reason"] == reason
    assert answer.headers["Retry-After"] == retry_after
    assert body["details"]["retryAfterSeconds"] == int(retry_after)


def test_helix_503_makes_the_claim_503_and_the_retry_then_succeeds(make_ebs, clocked_mock):
    clocked_mock.subscribers({"broadcasterId": "1000", "userId": "42"})
    clocked_mock.faults({"times": 1, "status": 503, "method": "GET", "path": PATH})
    ebs = _claim_ebs(make_ebs, clocked_mock.url)
    _assert_unavailable(ebs.claim("42", "Norinn", "req-1"), "helix_server_error", "30")
    assert ebs.pool_me("42")["isEnrolled"] is False
    assert ebs.claim("42", "Norinn", "req-1").status_code == 201  # the same request, once Helix is back


def test_helix_429_retry_after_follows_ratelimit_reset(make_ebs, clocked_mock, mgm_clock):
    reset = int(mgm_clock.now().timestamp()) + 7
    clocked_mock.faults({"times": 1, "status": 429, "ratelimitReset": reset, "path": PATH})
    ebs = _claim_ebs(make_ebs, clocked_mock.url)
    _assert_unavailable(ebs.claim("42", "Norinn"), "helix_rate_limited", "7")


def test_helix_refusing_the_token_is_503_not_not_subscriber(make_ebs, mgm_clock):
    server, mock = _start_mock(mgm_clock, expected_token="the-token-twitch-knows")
    try:
        ebs = _claim_ebs(make_ebs, mock.url)
        _assert_unavailable(ebs.claim("42", "Norinn"), "helix_unauthorized", "30")
        ((journal,),) = [[r for r in mock.requests() if r["path"] == PATH]]
        assert journal["status"] == 401
    finally:
        mock.http.close()
        server.stop()


def test_a_non_subscriber_is_still_403(make_ebs, clocked_mock):
    ebs = _claim_ebs(make_ebs, clocked_mock.url)
    answer = ebs.claim("42", "Norinn")
    assert answer.status_code == 403
    assert answer.json()["code"] == "not_subscriber"
    assert "Retry-After" not in answer.headers


def test_chat_enrollment_keeps_the_badge_path(make_ebs, clocked_mock):
    clocked_mock.faults({"times": 5, "status": 503, "path": PATH})
    ebs = _claim_ebs(make_ebs, clocked_mock.url)
    assert ebs.chat_delivery("42", "!twgold Norinn").status_code == 204
    assert ebs.pool_me("42") == {"isEnrolled": True, "characterName": "Norinn"}
    assert [r for r in clocked_mock.requests() if r["path"] == PATH] == []


def test_the_openapi_document_describes_the_claims_503():
    from mgm_core.web.openapi import build
    from mgm_core.web.routes import ROUTES

    claim = build(ROUTES)["paths"]["/api/payouts/claim"]["post"]["responses"]
    assert "subscriber_check_unavailable" in claim["503"]["description"]
    assert "Retry-After" in claim["503"]["headers"]
    codes = build(ROUTES)["components"]["schemas"]["ApiError"]["properties"]["code"]["enum"]
    assert "subscriber_check_unavailable" in codes
