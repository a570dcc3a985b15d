"""Desktop key, Extension JWT and rate limits, through HTTP."""

import pytest

from mgm_core.config import RateLimit
from mgm_core.security import extension_jwt

DESKTOP_ROUTES = [
    ("GET", "/api/payouts/pending", None),
    ("GET", "/api/roulette/candidate", None),
    ("POST", "/api/roulette/verify-candidate", {}),
    ("PATCH", "/api/payouts/00000000-0000-0000-0000-000000000001/status", {"status": "Sent"}),
    ("POST", "/api/payouts/00000000-0000-0000-0000-000000000001/confirm-acceptance", {"characterName": "Ab"}),
    ("GET", "/api/payouts/00000000-0000-0000-0000-000000000001", None),
    ("GET", "/api/payouts/00000000-0000-0000-0000-000000000001/events", None),
]
EXTENSION_ROUTES = [
    ("GET", "/api/pool/me", None),
    ("POST", "/api/payouts/claim", {"characterName": "Norinn", "enrollmentRequestId": "r"}),
    ("GET", "/api/payouts/my-last", None),
    ("GET", "/api/roulette/state", None),
]


def test_correct_api_key_is_accepted(ebs):
    answer = ebs.http.get("/api/payouts/pending", headers=ebs.desktop())
    assert answer.status_code == 200
    assert answer.json() == []


@pytest.mark.parametrize(("method", "path", "body"), DESKTOP_ROUTES)
def test_missing_key_is_401_and_wrong_key_is_403(ebs, method, path, body):
    missing = ebs.http.request(method, path, json=body)
    assert missing.status_code == 401
    assert missing.json()["code"] == "unauthorized"
    wrong = ebs.http.request(method, path, json=body, headers={"X-MGM-ApiKey": "wrong-key"})
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "forbidden_apikey"


@pytest.mark.parametrize(("method", "path", "body"), DESKTOP_ROUTES)
def test_desktop_routes_do_not_accept_a_bearer_token(ebs, method, path, body):
    answer = ebs.http.request(method, path, json=body, headers=ebs.bearer("42"))
    assert answer.status_code == 401


def test_api_key_is_case_sensitive(ebs):
    answer = ebs.http.get("/api/payouts/pending", headers={"X-MGM-ApiKey": ebs.config.api_key.upper()})
    assert answer.status_code == 403


def test_an_empty_configured_key_refuses_every_key(make_ebs):
    ebs = make_ebs(api_key="")
    assert ebs.http.get("/api/payouts/pending", headers={"X-MGM-ApiKey": ""}).status_code == 403
    assert ebs.http.get("/api/payouts/pending", headers={"X-MGM-ApiKey": "x"}).status_code == 403
    assert ebs.http.get("/api/payouts/pending").status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), EXTENSION_ROUTES)
def test_extension_routes_need_a_valid_bearer(ebs, method, path, body):
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer not.a.jwt"},
        ebs.desktop(),
    ):
        answer = ebs.http.request(method, path, json=body, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.json()["code"] == "unauthorized"
        assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_expired_and_foreign_tokens_are_refused(ebs):
    now = ebs.clock.now()
    claims = extension_jwt.viewer_claims("42", now)
    claims["exp"] = int(now.timestamp()) - 301
    expired = extension_jwt.mint(claims, ebs.config.extension_key())
    foreign = extension_jwt.mint(extension_jwt.viewer_claims("42", now), b"another-key-" * 4)
    for token in (expired, foreign):
        answer = ebs.http.get("/api/pool/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401


def test_token_lifetime_follows_the_virtual_clock(ebs):
    headers = ebs.bearer("42")
    assert ebs.http.get("/api/pool/me", headers=headers).status_code == 200
    ebs.advance(2 * 3600 + 5 * 60 + 1)
    assert ebs.http.get("/api/pool/me", headers=headers).status_code == 401


def test_token_without_user_id_reads_state_but_not_identity_routes(ebs):
    headers = {"Authorization": f"Bearer {ebs.token(None)}"}
    assert ebs.http.get("/api/roulette/state", headers=headers).status_code == 200
    for path in ("/api/pool/me", "/api/payouts/my-last"):
        answer = ebs.http.get(path, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["code"] == "unauthorized"


def test_audience_and_channel_checked_when_configured(make_ebs):
    ebs = make_ebs(extension_client_id="client-a", broadcaster_id="1000")
    good = ebs.token("42", channel_id="1000")
    assert ebs.http.get("/api/pool/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    other_channel = ebs.token("42", channel_id="2000")
    assert (
        ebs.http.get("/api/pool/me", headers={"Authorization": f"Bearer {other_channel}"}).status_code == 401
    )


def test_five_requests_pass_and_the_sixth_is_429_with_retry_after(ebs):
    headers = ebs.bearer("42")
    statuses = [ebs.http.get("/api/roulette/state", headers=headers).status_code for _ in range(5)]
    assert statuses == [200] * 5
    refused = ebs.http.get("/api/pool/me", headers=headers)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    other = ebs.http.get("/api/pool/me", headers=ebs.bearer("43"))
    assert other.status_code == 200
    ebs.advance(60)
    assert ebs.http.get("/api/pool/me", headers=headers).status_code == 200


def test_auth_failures_are_not_counted(ebs):
    for _ in range(10):
        ebs.http.get("/api/pool/me", headers={"Authorization": "Bearer junk"})
    assert ebs.http.get("/api/pool/me", headers=ebs.bearer("42")).status_code == 200


def test_eventsub_is_exempt_from_the_limit(ebs):
    statuses = {ebs.chat_delivery("42", "hello there").status_code for _ in range(8)}
    assert statuses == {204}


def test_limit_is_configurable(make_ebs):
    ebs = make_ebs(rate_limit=RateLimit(2, 10))
    headers = ebs.bearer("42")
    assert [ebs.http.get("/api/pool/me", headers=headers).status_code for _ in range(3)] == [200, 200, 429]


def test_desktop_has_its_own_larger_budget(ebs):
    statuses = {ebs.http.get("/api/payouts/pending", headers=ebs.desktop()).status_code for _ in range(20)}
    assert statuses == {200}
