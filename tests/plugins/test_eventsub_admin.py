"""``mgm twitch subscribe|list|unsubscribe`` against pytest-httpserver playing Twitch."""

import asyncio
import json
from urllib.parse import parse_qs

import pytest
from mgm_twitch.eventsub_admin import run

SECRET = "client-secret-never-printed"
EVENTSUB_SECRET = "eventsub-secret-0123456789"


@pytest.fixture
def env(httpserver):
    base = httpserver.url_for("/").rstrip("/")
    return {
        "MGM_TWITCH_CLIENT_ID": "app-client",
        "MGM_TWITCH_CLIENT_SECRET": SECRET,
        "MGM_BROADCASTER_ID": "1000",
        "MGM_TWITCH_BOT_USER_ID": "2000",
        "MGM_EVENTSUB_CALLBACK_URL": "https://ebs.example.test/api/twitch/eventsub",
        "MGM_EVENTSUB_SECRET": EVENTSUB_SECRET,
        "MGM_HELIX_BASE_URL": base,
        "MGM_TWITCH_AUTH_BASE_URL": base,
    }


def expect_token(httpserver):
    httpserver.expect_oneshot_request("/oauth2/token", method="POST").respond_with_json(
        {"access_token": "app-token-xyz", "expires_in": 5000000, "token_type": "bearer"}
    )


def cli(command, env, subscription_id=None):
    return asyncio.run(run(command, subscription_id, env))


def test_subscribe_sends_exactly_twitchs_request(httpserver, env, capsys):
    expect_token(httpserver)
    httpserver.expect_oneshot_request("/helix/eventsub/subscriptions", method="POST").respond_with_json(
        {
            "data": [
                {
                    "id": "sub-1",
                    "status": "webhook_callback_verification_pending",
                    "type": "channel.chat.message",
                    "transport": {"method": "webhook", "callback": env["MGM_EVENTSUB_CALLBACK_URL"]},
                }
            ]
        },
        status=202,
    )
    assert cli("subscribe", env) == 0
    httpserver.check_assertions()
    (token_request, _), (create, _) = httpserver.log
    assert parse_qs(token_request.get_data(as_text=True)) == {
        "client_id": ["app-client"],
        "client_secret": [SECRET],
        "grant_type": ["client_credentials"],
    }
    assert create.headers["Authorization"] == "Bearer app-token-xyz"
    assert create.headers["Client-Id"] == "app-client"
    assert json.loads(create.data) == {
        "type": "channel.chat.message",
        "version": "1",
        "condition": {"broadcaster_user_id": "1000", "user_id": "2000"},
        "transport": {
            "method": "webhook",
            "callback": "https://ebs.example.test/api/twitch/eventsub",
            "secret": EVENTSUB_SECRET,
        },
    }
    out, err = capsys.readouterr()
    assert "sub-1" in out and "webhook_callback_verification_pending" in out
    assert SECRET not in out + err and EVENTSUB_SECRET not in out + err and "app-token-xyz" not in out + err


def test_subscribe_conflict_is_a_clear_error(httpserver, env, capsys):
    expect_token(httpserver)
    httpserver.expect_oneshot_request("/helix/eventsub/subscriptions", method="POST").respond_with_json(
        {"error": "Conflict", "status": 409, "message": "subscription already exists"}, status=409
    )
    assert cli("subscribe", env) == 1
    assert "already exists" in capsys.readouterr().err


def test_refused_app_token(httpserver, env, capsys):
    httpserver.expect_oneshot_request("/oauth2/token").respond_with_json(
        {"status": 403, "message": "invalid client secret"}, status=403
    )
    assert cli("list", env) == 1
    err = capsys.readouterr().err
    assert "app token refused" in err and SECRET not in err


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"MGM_EVENTSUB_SECRET": "short"}, "MGM_EVENTSUB_SECRET"),
        ({"MGM_EVENTSUB_CALLBACK_URL": "http://plain.example"}, "MGM_EVENTSUB_CALLBACK_URL"),
        ({"MGM_TWITCH_CLIENT_ID": ""}, "MGM_TWITCH_CLIENT_ID"),
    ],
)
def test_bad_settings_fail_before_any_call(httpserver, env, capsys, change, named):
    assert cli("subscribe", {**env, **change}) == 1
    assert named in capsys.readouterr().err
    assert httpserver.log == []


def test_list_follows_pagination(httpserver, env, capsys):
    httpserver.expect_ordered_request("/oauth2/token", method="POST").respond_with_json(
        {"access_token": "app-token-xyz", "expires_in": 5000000, "token_type": "bearer"}
    )
    httpserver.expect_ordered_request(
        "/helix/eventsub/subscriptions", method="GET", query_string={"type": "channel.chat.message"}
    ).respond_with_json(
        {
            "data": [{"id": "a", "status": "enabled", "type": "channel.chat.message"}],
            "pagination": {"cursor": "c1"},
        }
    )
    httpserver.expect_ordered_request(
        "/helix/eventsub/subscriptions",
        method="GET",
        query_string={"type": "channel.chat.message", "after": "c1"},
    ).respond_with_json(
        {"data": [{"id": "b", "status": "enabled", "type": "channel.chat.message"}], "pagination": {}}
    )
    assert cli("list", env) == 0
    out = capsys.readouterr().out
    assert "a  enabled" in out and "b  enabled" in out and "2 subscription(s)" in out


def test_unsubscribe(httpserver, env, capsys):
    expect_token(httpserver)
    httpserver.expect_oneshot_request(
        "/helix/eventsub/subscriptions", method="DELETE", query_string={"id": "sub-1"}
    ).respond_with_data("", status=204)
    assert cli("unsubscribe", env, "sub-1") == 0
    httpserver.check_assertions()
    assert "deleted sub-1" in capsys.readouterr().out


def test_unsubscribe_unknown_id(httpserver, env, capsys):
    expect_token(httpserver)
    httpserver.expect_oneshot_request("/helix/eventsub/subscriptions", method="DELETE").respond_with_json(
        {"error": "Not Found", "status": 404, "message": "subscription not found"}, status=404
    )
    assert cli("unsubscribe", env, "nope") == 1
    assert "no subscription with id nope" in capsys.readouterr().err
