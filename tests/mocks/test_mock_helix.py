"""MockHelixApi over real HTTP: Send Chat Message, subscriptions, journal, faults and strict auth."""

from __future__ import annotations

import time

import httpx
import pytest

from mgm_core.texts import reward_sent_announcement
from mgm_mocks.helix import HelixMockSettings, create_app

from .conftest import FIXED_NOW

EPOCH = int(FIXED_NOW.timestamp())
AUTH = {"Authorization": "Bearer e2e-ci-broadcast-token", "Client-Id": "e2e-ci-helix-client"}
MESSAGE = {
    "broadcaster_id": "e2e-ci-broadcaster",
    "sender_id": "e2e-ci-broadcaster",
    "message": reward_sent_announcement("Etoehero"),
}


@pytest.fixture
def start(serve, clock):
    def start_mock(**overrides) -> str:
        settings = HelixMockSettings(clock=clock, **overrides)
        return serve(lambda: create_app(settings))

    return start_mock


@pytest.fixture
def mock(start) -> str:
    return start()


def send(http, mock, body=MESSAGE, headers=AUTH):
    return http.post(f"{mock}/helix/chat/messages", json=body, headers=headers)


def add_faults(http, mock, *faults):
    response = http.post(f"{mock}/api/mock/faults", json=list(faults))
    assert response.status_code == 200, response.text
    return response.json()


def journal(http, mock, **filters):
    return http.get(f"{mock}/api/mock/requests", params=filters).json()["requests"]


# --- seed routes -----------------------------------------------------------------------------------


def test_health_is_the_seed_answer(mock, http):
    response = http.get(f"{mock}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "component": "MockHelixApi"}


def test_last_request_is_empty_at_first(mock, http):
    assert http.get(f"{mock}/last-request").json() == {"captured": False}


def test_seed_probe_gets_200_and_is_captured(mock, http):
    response = send(http, mock)
    assert response.status_code in (200, 204)
    assert http.get(f"{mock}/last-request").json() == {
        "captured": True,
        "body": MESSAGE,
        "authorizationHeader": "Bearer e2e-ci-broadcast-token",
        "clientIdHeader": "e2e-ci-helix-client",
    }


def test_send_chat_message_answers_like_helix(mock, http):
    response = send(http, mock)
    assert response.status_code == 200
    [item] = response.json()["data"]
    assert set(item) == {"message_id", "is_sent", "drop_reason"}
    assert item["is_sent"] is True and item["drop_reason"] is None
    assert len(item["message_id"]) == 36
    assert response.headers["ratelimit-limit"] == "800"
    assert response.headers["ratelimit-remaining"] == "799"
    assert response.headers["ratelimit-reset"] == str(EPOCH + 60)
    assert send(http, mock).headers["ratelimit-remaining"] == "798"


def test_last_request_keeps_only_the_last_message(mock, http):
    send(http, mock)
    send(http, mock, body={**MESSAGE, "message": "second"})
    assert http.get(f"{mock}/last-request").json()["body"]["message"] == "second"


@pytest.mark.parametrize("missing", ["broadcaster_id", "sender_id", "message"])
def test_missing_parameters_are_helix_400(mock, http, missing):
    body = {k: v for k, v in MESSAGE.items() if k != missing}
    response = send(http, mock, body=body)
    assert response.status_code == 400
    assert response.json() == {
        "error": "Bad Request",
        "status": 400,
        "message": f'Missing required parameter "{missing}"',
    }


def test_blank_or_malformed_parameters_are_400(mock, http):
    assert send(http, mock, body={**MESSAGE, "message": "  "}).status_code == 400
    assert send(http, mock, body={**MESSAGE, "sender_id": 5}).json()["message"] == (
        'The parameter "sender_id" was malformed'
    )
    response = http.post(f"{mock}/helix/chat/messages", content=b"not json", headers=AUTH)
    assert response.status_code == 400 and response.json()["status"] == 400


def test_message_over_500_characters_is_422(mock, http):
    assert send(http, mock, body={**MESSAGE, "message": "я" * 500}).status_code == 200
    response = send(http, mock, body={**MESSAGE, "message": "я" * 501})
    assert response.status_code == 422
    assert response.json()["error"] == "Unprocessable Entity"


# --- strict auth -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "OAuth token is missing"),
        ({"Client-Id": "c"}, "OAuth token is missing"),
        ({"Authorization": "Basic abc", "Client-Id": "c"}, "OAuth token is missing"),
        ({"Authorization": "Bearer", "Client-Id": "c"}, "OAuth token is missing"),
        ({"Authorization": "Bearer t"}, "Client ID is missing"),
    ],
)
def test_strict_auth_requires_bearer_and_client_id(start, http, headers, message):
    mock = start(strict_auth=True)
    response = send(http, mock, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized", "status": 401, "message": message}
    assert http.get(f"{mock}/last-request").json() == {"captured": False}
    assert send(http, mock, headers={"Authorization": "Bearer t", "Client-Id": "c"}).status_code == 200


def test_lenient_mode_accepts_no_auth(mock, http):
    assert send(http, mock, headers={}).status_code == 200


def test_expected_token_and_client_id_are_enforced(start, http):
    mock = start(expected_token="e2e-ci-broadcast-token", expected_client_id="e2e-ci-helix-client")
    assert send(http, mock).status_code == 200
    wrong_token = send(http, mock, headers={**AUTH, "Authorization": "Bearer other"})
    assert (wrong_token.status_code, wrong_token.json()["message"]) == (401, "Invalid OAuth token")
    wrong_client = send(http, mock, headers={**AUTH, "Client-Id": "other"})
    assert wrong_client.json()["message"] == "Client ID and OAuth token do not match"


def test_strict_auth_also_guards_the_subscription_check(start, http):
    mock = start(strict_auth=True)
    response = http.get(f"{mock}/helix/subscriptions/user", params={"broadcaster_id": "b", "user_id": "u"})
    assert response.status_code == 401


# --- journal ---------------------------------------------------------------------------------------


def test_every_helix_call_is_journaled_including_refused_ones(start, http):
    mock = start(strict_auth=True)
    send(http, mock, headers={})
    send(http, mock)
    http.get(f"{mock}/helix/subscriptions/user", params={"broadcaster_id": "b", "user_id": "u"}, headers=AUTH)
    http.get(f"{mock}/health")
    http.get(f"{mock}/last-request")
    entries = journal(http, mock)
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/helix/chat/messages", 401),
        ("POST", "/helix/chat/messages", 200),
        ("GET", "/helix/subscriptions/user", 404),
    ]
    first = entries[1]
    assert first["id"] == 2
    assert first["body"] == MESSAGE
    assert first["headers"]["Authorization"] == "Bearer e2e-ci-broadcast-token"
    assert first["headers"]["Client-Id"] == "e2e-ci-helix-client"
    assert first["receivedAt"] == "2025-03-14T15:09:26.535897000Z"
    assert first["query"] == {} and first["fault"] is None
    assert entries[2]["query"] == {"broadcaster_id": "b", "user_id": "u"}
    assert entries[2]["body"] is None and entries[2]["rawBody"] == ""


def test_journal_filters_and_count(mock, http):
    send(http, mock)
    send(http, mock, body={**MESSAGE, "message": "other"})
    send(http, mock, body={"message": "broken"})
    http.get(f"{mock}/helix/subscriptions/user", params={"broadcaster_id": "b", "user_id": "u"})

    def count(**filters):
        return http.get(f"{mock}/api/mock/requests/count", params=filters).json()["count"]

    assert count() == 4
    assert count(method="post") == 3
    assert count(path="/helix/chat/messages") == 3
    assert count(status=200) == 2
    assert count(status=400) == 1
    assert count(bodyContains="Etoehero") == 1
    assert count(path="/helix/chat/messages", status=200, bodyContains="other") == 1
    listed = http.get(f"{mock}/api/mock/requests", params={"status": 404}).json()
    assert listed["count"] == 1 and listed["requests"][0]["path"] == "/helix/subscriptions/user"
    bad = http.get(f"{mock}/api/mock/requests/count", params={"status": "ok"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_payload"


def test_repeated_query_parameters_are_kept_as_lists(mock, http):
    http.get(f"{mock}/helix/subscriptions/user?broadcaster_id=b&user_id=u1&user_id=u2")
    assert journal(http, mock)[0]["query"] == {"broadcaster_id": "b", "user_id": ["u1", "u2"]}


def test_unknown_helix_routes_are_helix_404_and_journaled(mock, http):
    response = http.get(f"{mock}/helix/users")
    assert response.status_code == 404
    assert response.json()["error"] == "Not Found"
    assert journal(http, mock)[0]["path"] == "/helix/users"


def test_reset_clears_journal_faults_roster_and_last_request(mock, http):
    send(http, mock)
    add_faults(http, mock, {"times": 5, "status": 500})
    http.post(f"{mock}/api/mock/subscribers", json={"broadcasterId": "b", "userId": "u"})
    assert http.post(f"{mock}/api/mock/reset").json() == {"ok": True}
    assert journal(http, mock) == []
    assert http.get(f"{mock}/api/mock/faults").json() == {"faults": []}
    assert http.get(f"{mock}/api/mock/subscribers").json() == {"subscribers": []}
    assert http.get(f"{mock}/last-request").json() == {"captured": False}
    assert send(http, mock).status_code == 200
    assert journal(http, mock)[0]["id"] == 2  # ids keep counting so old references stay unambiguous


# --- faults ----------------------------------------------------------------------------------------


def test_fail_twice_then_succeed(mock, http):
    assert add_faults(http, mock, {"times": 2, "status": 500}) == {"faults": [{"times": 2, "status": 500}]}
    first, second, third = (send(http, mock) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (500, 500, 200)
    assert first.json() == {
        "error": "Internal Server Error",
        "status": 500,
        "message": "Internal Server Error",
    }
    assert http.get(f"{mock}/api/mock/faults").json() == {"faults": []}
    assert [e["fault"] for e in journal(http, mock)] == [{"times": 1, "status": 500}] * 2 + [None]


def test_faults_apply_in_order(mock, http):
    add_faults(http, mock, {"status": 503}, {"status": 401, "message": "Invalid OAuth token"})
    add_faults(http, mock, {"times": 1, "status": 403})
    statuses = [send(http, mock).status_code for _ in range(4)]
    assert statuses == [503, 401, 403, 200]


def test_a_fault_can_be_limited_to_a_path_and_method(mock, http):
    add_faults(http, mock, {"status": 500, "path": "/helix/subscriptions/user", "method": "GET"})
    assert send(http, mock).status_code == 200
    response = http.get(f"{mock}/helix/subscriptions/user", params={"broadcaster_id": "b", "user_id": "u"})
    assert response.status_code == 500


def test_dropped_message_is_200_with_is_sent_false(mock, http):
    add_faults(
        http,
        mock,
        {"times": 1, "isSent": False, "dropCode": "msg_duplicate", "dropMessage": "Duplicate message."},
    )
    response = send(http, mock)
    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "message_id": "",
                "is_sent": False,
                "drop_reason": {"code": "msg_duplicate", "message": "Duplicate message."},
            }
        ]
    }
    assert send(http, mock).json()["data"][0]["is_sent"] is True


def test_429_carries_helix_rate_limit_headers(mock, http):
    add_faults(http, mock, {"status": 429, "ratelimitReset": EPOCH + 3}, {"status": 429})
    response = send(http, mock)
    assert response.status_code == 429
    assert response.json() == {"error": "Too Many Requests", "status": 429, "message": "Too Many Requests"}
    assert response.headers["ratelimit-limit"] == "800"
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-reset"] == str(EPOCH + 3)
    assert send(http, mock).headers["ratelimit-reset"] == str(EPOCH + 1)


def test_delay_slows_the_answer(mock, http):
    add_faults(http, mock, {"delayMs": 300})
    started = time.monotonic()
    response = send(http, mock)
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


def test_reset_fault_aborts_the_connection(mock, http):
    add_faults(http, mock, {"reset": True})
    with pytest.raises(httpx.TransportError):
        send(http, mock)
    assert send(http, mock).status_code == 200
    entries = journal(http, mock)
    assert entries[0]["status"] is None and entries[0]["fault"] == {"times": 1, "reset": True}
    assert entries[1]["status"] == 200


def test_malformed_and_empty_bodies(mock, http):
    add_faults(http, mock, {"malformed": True}, {"empty": True, "status": 502})
    malformed = send(http, mock)
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    empty = send(http, mock)
    assert (empty.status_code, empty.content) == (502, b"")


def test_a_2xx_status_fault_changes_only_the_status(mock, http):
    add_faults(http, mock, {"status": 204})
    response = send(http, mock)
    assert (response.status_code, response.content) == (204, b"")


def test_faults_accept_a_single_object_or_a_wrapped_list_and_can_be_cleared(mock, http):
    http.post(f"{mock}/api/mock/faults", json={"status": 500})
    http.post(f"{mock}/api/mock/faults", json={"faults": [{"times": 3, "delayMs": 10}]})
    assert http.get(f"{mock}/api/mock/faults").json() == {
        "faults": [{"times": 1, "status": 500}, {"times": 3, "delayMs": 10}]
    }
    assert http.delete(f"{mock}/api/mock/faults").json() == {"faults": []}


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ({"times": 0, "status": 500}, "times"),
        ({"status": 700}, "status"),
        ({"status": "500"}, "status"),
        ({"isSent": True}, "isSent"),
        ({"reset": "yes"}, "reset"),
        ({"times": 2}, "faults"),
        ({"status": 500, "colour": "red"}, "colour"),
        ({"delayMs": -1}, "delayMs"),
    ],
)
def test_invalid_faults_are_400_json(mock, http, fault, field):
    response = http.post(f"{mock}/api/mock/faults", json=fault)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payload"
    assert response.json()["details"] == {"field": field}
    assert http.get(f"{mock}/api/mock/faults").json() == {"faults": []}


# --- subscriptions ---------------------------------------------------------------------------------


def check(http, mock, **params):
    return http.get(f"{mock}/helix/subscriptions/user", params=params, headers=AUTH)


def test_subscriber_is_200_with_helix_data(mock, http):
    http.put(
        f"{mock}/api/mock/subscribers",
        json={"subscribers": [{"broadcasterId": "b1", "userId": "u1", "broadcasterLogin": "chan"}]},
    )
    response = check(http, mock, broadcaster_id="b1", user_id="u1")
    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "broadcaster_id": "b1",
                "broadcaster_login": "chan",
                "broadcaster_name": "chan",
                "is_gift": False,
                "tier": "1000",
            }
        ]
    }


def test_gift_subscription_names_the_gifter(mock, http):
    http.post(
        f"{mock}/api/mock/subscribers",
        json={"broadcasterId": "b1", "userId": "u1", "tier": "2000", "isGift": True, "gifterId": "g1"},
    )
    item = check(http, mock, broadcaster_id="b1", user_id="u1").json()["data"][0]
    assert (item["tier"], item["is_gift"], item["gifter_id"], item["gifter_login"]) == (
        "2000",
        True,
        "g1",
        "g1",
    )


def test_non_subscriber_is_404(mock, http):
    http.post(f"{mock}/api/mock/subscribers", json={"broadcasterId": "b1", "userId": "u1"})
    response = check(http, mock, broadcaster_id="b1", user_id="u2")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found", "status": 404, "message": "User has no subscription"}
    assert check(http, mock, broadcaster_id="b2", user_id="u1").status_code == 404


@pytest.mark.parametrize(
    "params", [{"user_id": "u"}, {"broadcaster_id": "b"}, {"broadcaster_id": "", "user_id": "u"}]
)
def test_subscription_check_without_ids_is_400(mock, http, params):
    response = check(http, mock, **params)
    assert response.status_code == 400
    assert response.json()["message"].startswith("Missing required parameter")


def broadcaster_subscriptions(http, mock, params):
    return http.get(f"{mock}/helix/subscriptions", params=params, headers=AUTH)


def test_get_broadcaster_subscriptions_lists_the_filtered_viewer(mock, http):
    http.put(
        f"{mock}/api/mock/subscribers",
        json=[
            {"broadcasterId": "b1", "userId": "u1", "broadcasterLogin": "chan", "userLogin": "viewer1"},
            {"broadcasterId": "b1", "userId": "u2", "tier": "3000"},
            {"broadcasterId": "b2", "userId": "u1"},
        ],
    )
    response = broadcaster_subscriptions(http, mock, {"broadcaster_id": "b1", "user_id": "u1"})
    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "broadcaster_id": "b1",
                "broadcaster_login": "chan",
                "broadcaster_name": "chan",
                "gifter_id": "",
                "gifter_login": "",
                "gifter_name": "",
                "is_gift": False,
                "plan_name": "Channel Subscription (chan)",
                "tier": "1000",
                "user_id": "u1",
                "user_name": "viewer1",
                "user_login": "viewer1",
            }
        ],
        "pagination": {},
        "total": 2,
        "points": 7,  # tier 1 counts 1, tier 3 counts 6
    }
    assert response.headers["Ratelimit-Limit"] == "800"


def test_get_broadcaster_subscriptions_for_a_non_subscriber_is_200_with_empty_data(mock, http):
    http.post(f"{mock}/api/mock/subscribers", json={"broadcasterId": "b1", "userId": "u1"})
    response = broadcaster_subscriptions(http, mock, {"broadcaster_id": "b1", "user_id": "u9"})
    assert response.status_code == 200
    assert response.json() == {"data": [], "pagination": {}, "total": 1, "points": 1}


def test_get_broadcaster_subscriptions_gift_and_several_user_ids(mock, http):
    http.put(
        f"{mock}/api/mock/subscribers",
        json=[
            {"broadcasterId": "b", "userId": "u1", "isGift": True, "gifterId": "g1", "gifterName": "Giver"},
            {"broadcasterId": "b", "userId": "u2"},
        ],
    )
    response = http.get(f"{mock}/helix/subscriptions?broadcaster_id=b&user_id=u1&user_id=u2&user_id=u3")
    items = {item["user_id"]: item for item in response.json()["data"]}
    assert sorted(items) == ["u1", "u2"]
    assert (items["u1"]["is_gift"], items["u1"]["gifter_id"], items["u1"]["gifter_name"]) == (
        True,
        "g1",
        "Giver",
    )


def test_get_broadcaster_subscriptions_pages_without_a_filter(mock, http):
    http.put(
        f"{mock}/api/mock/subscribers", json=[{"broadcasterId": "b", "userId": f"u{i}"} for i in range(5)]
    )
    first = broadcaster_subscriptions(http, mock, {"broadcaster_id": "b", "first": "2"}).json()
    assert [i["user_id"] for i in first["data"]] == ["u0", "u1"] and first["total"] == 5
    cursor = first["pagination"]["cursor"]
    rest = broadcaster_subscriptions(
        http, mock, {"broadcaster_id": "b", "first": "10", "after": cursor}
    ).json()
    assert [i["user_id"] for i in rest["data"]] == ["u2", "u3", "u4"]
    assert rest["pagination"] == {}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"user_id": "u"}, 'Missing required parameter "broadcaster_id"'),
        ({"broadcaster_id": "b", "first": "0"}, 'The parameter "first" was malformed'),
        ({"broadcaster_id": "b", "after": "not-a-cursor"}, 'The parameter "after" was malformed'),
    ],
)
def test_get_broadcaster_subscriptions_bad_queries_are_helix_400(mock, http, params, message):
    response = broadcaster_subscriptions(http, mock, params)
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    assert response.json()["message"].startswith(message)


def test_get_broadcaster_subscriptions_takes_faults_and_strict_auth(start, http):
    mock = start(strict_auth=True)
    assert http.get(f"{mock}/helix/subscriptions", params={"broadcaster_id": "b"}).status_code == 401
    add_faults(http, mock, {"status": 503, "path": "/helix/subscriptions"})
    assert broadcaster_subscriptions(http, mock, {"broadcaster_id": "b", "user_id": "u"}).status_code == 503
    assert broadcaster_subscriptions(http, mock, {"broadcaster_id": "b", "user_id": "u"}).status_code == 200


def test_roster_put_replaces_post_adds_delete_removes(mock, http):
    url = f"{mock}/api/mock/subscribers"
    http.put(url, json=[{"broadcasterId": "b", "userId": "u1"}, {"broadcasterId": "b", "userId": "u2"}])
    http.post(url, json=[{"broadcaster_id": "b", "user_id": "u3"}])
    assert [s["userId"] for s in http.get(url).json()["subscribers"]] == ["u1", "u2", "u3"]
    http.put(url, json={"subscribers": [{"broadcasterId": "b", "userId": "u9"}]})
    assert [s["userId"] for s in http.get(url).json()["subscribers"]] == ["u9"]
    assert http.delete(url, params={"broadcasterId": "b", "userId": "u9"}).json() == {"subscribers": []}
    missing = http.delete(url, params={"broadcasterId": "b", "userId": "u9"})
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert http.delete(url, params={"broadcasterId": "b"}).status_code == 400
    http.post(url, json={"broadcasterId": "b", "userId": "u1"})
    assert http.delete(url).json() == {"subscribers": []}


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"userId": "u"}, "broadcasterId"),
        ({"broadcasterId": "b"}, "userId"),
        ({"broadcasterId": "b", "userId": "u", "tier": "4000"}, "tier"),
    ],
)
def test_invalid_roster_entries_are_400_json(mock, http, entry, field):
    response = http.post(f"{mock}/api/mock/subscribers", json=entry)
    assert response.status_code == 400
    assert response.json()["details"] == {"field": field}


def test_admin_routes_answer_json_errors(mock, http):
    response = http.post(f"{mock}/api/mock/faults", content=b"[oops")
    assert response.status_code == 400 and response.json()["code"] == "invalid_payload"
    assert http.get(f"{mock}/api/mock/nothing").json()["code"] == "not_found"


def test_settings_from_env_read_seed_and_mgm_names():
    assert HelixMockSettings.from_env({"MockHelix__StrictAuth": "TRUE"}).strict_auth is True
    assert HelixMockSettings.from_env({"MockHelix__StrictAuth": "false"}).strict_auth is False
    assert HelixMockSettings.from_env({}).strict_auth is False
    settings = HelixMockSettings.from_env(
        {
            "MGM_MOCK_HELIX_STRICT_AUTH": "1",
            "MGM_MOCK_HELIX_EXPECTED_TOKEN": "t",
            "MGM_MOCK_HELIX_EXPECTED_CLIENT_ID": "c",
            "MGM_MOCK_HELIX_RATELIMIT_LIMIT": "30",
        }
    )
    assert (settings.strict_auth, settings.expected_token, settings.expected_client_id) == (True, "t", "c")
    assert settings.ratelimit_limit == 30


# --- EventSub subscription admin ---------------------------------------------------------------------------

EVENTSUB = "/helix/eventsub/subscriptions"
CREATE = {
    "type": "channel.chat.message",
    "version": "1",
    "condition": {"broadcaster_user_id": "b1", "user_id": "bot"},
    "transport": {
        "method": "webhook",
        "callback": "https://ebs.example/api/twitch/eventsub",
        "secret": "s" * 12,
    },
}


def test_eventsub_create_list_filter_delete_and_reset(mock, http):
    created = http.post(f"{mock}{EVENTSUB}", json=CREATE, headers=AUTH)
    assert created.status_code == 202
    item = created.json()["data"][0]
    assert item["status"] == "webhook_callback_verification_pending"
    assert item["created_at"] == "2025-03-14T15:09:26.535897000Z"
    assert item["transport"] == {
        "method": "webhook",
        "callback": CREATE["transport"]["callback"],
    }  # no secret
    other = {**CREATE, "condition": {"broadcaster_user_id": "b2", "user_id": "bot2"}}
    assert http.post(f"{mock}{EVENTSUB}", json=other).status_code == 202
    listed = http.get(f"{mock}{EVENTSUB}").json()
    assert (listed["total"], listed["max_total_cost"], listed["pagination"]) == (2, 10000, {})
    assert {s["status"] for s in listed["data"]} == {"enabled"}
    assert len(http.get(f"{mock}{EVENTSUB}", params={"user_id": "bot2"}).json()["data"]) == 1
    assert len(http.get(f"{mock}{EVENTSUB}", params={"type": "channel.follow"}).json()["data"]) == 0
    both = http.get(f"{mock}{EVENTSUB}", params={"type": "channel.chat.message", "status": "enabled"})
    assert both.status_code == 400
    assert http.delete(f"{mock}{EVENTSUB}", params={"id": item["id"]}).status_code == 204
    assert http.delete(f"{mock}{EVENTSUB}", params={"id": item["id"]}).status_code == 404
    assert http.delete(f"{mock}{EVENTSUB}").status_code == 400
    http.post(f"{mock}/api/mock/reset")
    assert http.get(f"{mock}{EVENTSUB}").json()["total"] == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": ""}, 'Missing required parameter "type"'),
        ({"condition": {}}, 'Missing required parameter "condition"'),
        ({"transport": {**CREATE["transport"], "callback": "http://ebs.example/cb"}}, "https"),
        ({"transport": {**CREATE["transport"], "secret": "short"}}, "between 10 and 100"),
        ({"transport": {"method": "carrier-pigeon"}}, "transport.method"),
    ],
)
def test_eventsub_create_refusals_are_helix_400(mock, http, change, message):
    response = http.post(f"{mock}{EVENTSUB}", json={**CREATE, **change})
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert http.get(f"{mock}{EVENTSUB}").json()["total"] == 0
