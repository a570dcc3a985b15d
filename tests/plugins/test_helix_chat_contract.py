"""The Helix chat channel against pytest-httpserver: exact request, retries, failures."""

import json
import time

import pytest

from tests.plugins.conftest import HELIX_SETTINGS

MESSAGE = "Награда отправлена персонажу Norinn на почту, проверяй ящик!"
SENT = {"data": [{"message_id": "m-1", "is_sent": True, "drop_reason": None}]}
DROPPED = {
    "data": [{"message_id": "", "is_sent": False, "drop_reason": {"code": "msg_duplicate", "message": "x"}}]
}


@pytest.fixture
def helix_ebs(make_ebs, httpserver):
    return make_ebs(
        **HELIX_SETTINGS, helix_base_url=httpserver.url_for("/").rstrip("/"), helix_timeout_seconds=0.5
    )


def sent_payout(ebs):
    payout = ebs.win("90001337", "Norinn")
    assert ebs.patch_status(payout["id"], "InProgress").status_code == 200
    answer = ebs.patch_status(payout["id"], "Sent")
    assert answer.status_code == 200, answer.text
    return answer.json()


def events_of(ebs, payout_id):
    return [e["type"] for e in ebs.http.get(f"/api/payouts/{payout_id}/events", headers=ebs.desktop()).json()]


def test_exact_request_and_success(helix_ebs, httpserver):
    httpserver.expect_oneshot_request("/helix/chat/messages", method="POST").respond_with_json(SENT)
    payout = sent_payout(helix_ebs)
    httpserver.check_assertions()
    ((request, _response),) = httpserver.log
    assert request.headers["Authorization"] == "Bearer helix-test-token-0123"
    assert request.headers["Client-Id"] == "helix-test-client"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.data) == {"broadcaster_id": "1000", "sender_id": "1000", "message": MESSAGE}
    assert payout["isRewardSentAnnouncedToChat"] is True
    assert events_of(helix_ebs, payout["id"])[-1] == "HelixRewardSentAnnouncementSucceeded"


def test_seed_style_204_counts_as_sent(helix_ebs, httpserver):
    httpserver.expect_oneshot_request("/helix/chat/messages").respond_with_data("", status=204)
    assert sent_payout(helix_ebs)["isRewardSentAnnouncedToChat"] is True


def test_dropped_message_is_retried_three_times_then_given_up(helix_ebs, httpserver):
    httpserver.expect_request("/helix/chat/messages").respond_with_json(DROPPED)
    payout = sent_payout(helix_ebs)
    assert len(httpserver.log) == 3
    assert payout["status"] == "Sent"
    assert payout["isRewardSentAnnouncedToChat"] is False
    assert "HelixRewardSentAnnouncementSucceeded" not in events_of(helix_ebs, payout["id"])
    assert helix_ebs.pool_me("90001337")["isEnrolled"] is False  # the pool removal stays


def test_401_is_not_retried(helix_ebs, httpserver):
    httpserver.expect_request("/helix/chat/messages").respond_with_json(
        {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, status=401
    )
    payout = sent_payout(helix_ebs)
    assert len(httpserver.log) == 1
    assert payout["isRewardSentAnnouncedToChat"] is False


def test_500_twice_then_success(helix_ebs, httpserver):
    httpserver.expect_ordered_request("/helix/chat/messages").respond_with_data("oops", status=500)
    httpserver.expect_ordered_request("/helix/chat/messages").respond_with_data("oops", status=503)
    httpserver.expect_ordered_request("/helix/chat/messages").respond_with_json(SENT)
    payout = sent_payout(helix_ebs)
    httpserver.check_assertions()
    assert payout["isRewardSentAnnouncedToChat"] is True


def test_429_waits_for_a_short_ratelimit_reset(helix_ebs, httpserver):
    reset = str(int(time.time()))
    headers = {"Ratelimit-Limit": "800", "Ratelimit-Remaining": "0", "Ratelimit-Reset": reset}
    httpserver.expect_ordered_request("/helix/chat/messages").respond_with_json(
        {"error": "Too Many Requests", "status": 429, "message": ""}, status=429, headers=headers
    )
    httpserver.expect_ordered_request("/helix/chat/messages").respond_with_json(SENT)
    payout = sent_payout(helix_ebs)
    httpserver.check_assertions()
    assert payout["isRewardSentAnnouncedToChat"] is True


def test_429_with_a_distant_reset_gives_up_at_once(helix_ebs, httpserver):
    headers = {
        "Ratelimit-Limit": "800",
        "Ratelimit-Remaining": "0",
        "Ratelimit-Reset": str(int(time.time()) + 600),
    }
    httpserver.expect_request("/helix/chat/messages").respond_with_json({}, status=429, headers=headers)
    payout = sent_payout(helix_ebs)
    assert len(httpserver.log) == 1
    assert payout["isRewardSentAnnouncedToChat"] is False


def test_timeouts_are_retried_and_never_fail_the_patch(helix_ebs, httpserver):
    from werkzeug import Response  # pytest-httpserver's; imported here so `-m tier_b` collects without it

    def slow(request):
        time.sleep(0.8)
        return Response(json.dumps(SENT), status=200, content_type="application/json")

    httpserver.expect_request("/helix/chat/messages").respond_with_handler(slow)
    payout = sent_payout(helix_ebs)
    deadline = time.monotonic() + 5  # the server finishes the abandoned requests one by one
    while len(httpserver.log) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(httpserver.log) == 3
    assert payout["status"] == "Sent"
    assert payout["isRewardSentAnnouncedToChat"] is False


def test_connection_reset_is_retried(make_ebs, helix_mock, helix_settings):
    helix_mock.faults({"times": 1, "reset": True})
    ebs = make_ebs(**helix_settings)
    payout = sent_payout(ebs)
    assert payout["isRewardSentAnnouncedToChat"] is True
    assert len(helix_mock.chat_requests()) == 2


def test_missing_credentials_mean_no_call(make_ebs, httpserver):
    ebs = make_ebs(
        helix_base_url=httpserver.url_for("/").rstrip("/"), broadcaster_token="", broadcaster_id=""
    )
    payout = sent_payout(ebs)
    assert httpserver.log == []
    assert payout["isRewardSentAnnouncedToChat"] is False
    status = ebs.fetchval(
        "SELECT status FROM notification_deliveries WHERE payout_id = $1::uuid AND channel = 'helix_chat'",
        payout["id"],
    )
    assert status == "skipped"


def test_no_request_on_other_transitions(helix_ebs, httpserver):
    payout = helix_ebs.win("1", "Norinn")
    for status in ("InProgress", "Pending", "Cancelled"):
        helix_ebs.patch_status(payout["id"], status)
    helix_ebs.advance(25 * 3600)
    assert httpserver.log == []
