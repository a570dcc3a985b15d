"""Inputs found by a black-box audit: deep nesting, NUL and lone surrogates, odd clock values,
case-insensitive paths, HEAD probes, check order, tie-breaks."""

import json
import uuid

import pytest

from mgm_core.security import extension_jwt

DEEP_LIST = b'{"characterName":' + b"[" * 20000 + b"]" * 20000 + b',"enrollmentRequestId":"d"}'
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT])
def test_deeply_nested_json_is_400_not_500(ebs, body):
    answer = ebs.http.post(
        "/api/payouts/claim", content=body, headers={**ebs.bearer("42"), "Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_payload"


def test_deeply_nested_eventsub_delivery_is_ignored_with_2xx(ebs):
    assert ebs.post_eventsub(DEEP_OBJECT).status_code == 204


@pytest.mark.parametrize("bad", ["e\u0000x", "e\ud800"])
def test_nul_and_lone_surrogates_are_refused_at_the_edge(ebs, bad):
    raw = json.dumps({"characterName": "Norinn", "enrollmentRequestId": bad}).encode()
    answer = ebs.http.post(
        "/api/payouts/claim", content=raw, headers={**ebs.bearer("42"), "Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["details"]["field"] == "enrollmentRequestId"
    harness = ebs.http.post(
        "/api/e2e/prepare-pending-payout",
        content=json.dumps({"twitchUserId": bad}).encode(),
        headers={**ebs.desktop(), "Content-Type": "application/json"},
    )
    assert harness.status_code == 400
    assert ebs.pool_me("42")["isEnrolled"] is False


@pytest.mark.parametrize("bad", ["a\u0000b", "a\ud800b"])
def test_a_token_whose_user_id_cannot_be_stored_has_no_identity(ebs, bad):
    claims = extension_jwt.viewer_claims(bad, ebs.clock.now())
    token = extension_jwt.mint(claims, ebs.config.extension_key())
    answer = ebs.http.get("/api/pool/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    "field", ["chatter_user_id", "chatter_user_login", "chatter_user_name", "message_id"]
)
def test_eventsub_fields_that_cannot_be_stored_are_ignored_not_500(ebs, field):
    event = {
        "message_id": str(uuid.uuid4()),
        "chatter_user_id": "1",
        "chatter_user_login": "one",
        "chatter_user_name": "One",
        "message": {"text": "!twgold Norinn"},
        "badges": [{"set_id": "subscriber"}],
    }
    event[field] = "x\u0000y" if field != "message_id" else "x\ud800"
    raw = json.dumps({"subscription": {"type": "channel.chat.message"}, "event": event}).encode()
    assert ebs.post_eventsub(raw).status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        b'{"setUtc":"0001-01-01T00:00:00Z"}',
        b'{"setUtc":"9999-12-31T23:59:59Z"}',
        b'{"setUtc":"9999-12-31T23:59:59-14:00"}',
        b'{"advanceSeconds":NaN}',
        b'{"advanceSeconds":Infinity}',
    ],
)
def test_clock_values_outside_the_representable_range_are_400(ebs, body):
    answer = ebs.http.post(
        "/api/e2e/clock", content=body, headers={**ebs.desktop(), "Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_payload"
    # and the service keeps answering
    assert ebs.http.get("/api/payouts/pending", headers=ebs.desktop()).status_code == 200
    assert ebs.http.get("/api/roulette/state", headers=ebs.bearer("1")).status_code == 200


def test_confirm_acceptance_checks_the_id_before_the_name(ebs):
    answer = ebs.http.post(
        f"/api/payouts/{uuid.uuid4()}/confirm-acceptance",
        json={"characterName": "Bad1"},
        headers=ebs.desktop(),
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


@pytest.mark.parametrize("path", ["/API/VERSION", "/Api/Version", "/HEALTH"])
def test_paths_are_case_insensitive(ebs, path):
    assert ebs.http.get(path).status_code == 200


def test_case_insensitive_paths_keep_auth_and_parameters(ebs):
    payout = ebs.win("1", "Norinn")
    upper = f"/API/PAYOUTS/{payout['id'].upper()}"
    assert ebs.http.get(upper).status_code == 401
    assert ebs.http.get(upper, headers=ebs.desktop()).json()["id"] == payout["id"]


@pytest.mark.parametrize("path", ["/", "/health", "/health/ready", "/api/version"])
def test_head_probes_are_answered(ebs, path):
    answer = ebs.http.head(path)
    assert answer.status_code == 200
    assert answer.content == b""


def test_my_last_breaks_created_at_ties_by_insertion_order(ebs):
    first = ebs.win("1", "Norinn")
    ebs.patch_status(first["id"], "Cancelled")
    harness = ebs.http.post(
        "/api/e2e/prepare-pending-payout", json={"twitchUserId": "1"}, headers=ebs.desktop()
    )
    assert harness.status_code == 200
    second = harness.json()["payoutId"]
    ebs.fetchval("UPDATE payouts SET created_at = (SELECT min(created_at) FROM payouts) RETURNING 1")
    mine = ebs.http.get("/api/payouts/my-last", headers=ebs.bearer("1")).json()
    assert mine["id"] == second
