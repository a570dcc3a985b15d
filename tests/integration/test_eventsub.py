"""POST /api/twitch/eventsub through HTTP against a real database."""

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from mgm_core.security import eventsub


def enrolled(ebs, user_id):
    return ebs.pool_me(user_id)


def test_signed_subscriber_message_enrolls(ebs):
    answer = ebs.chat_delivery("90001337", "!twgold Norinn")
    assert answer.status_code == 204
    assert enrolled(ebs, "90001337") == {"isEnrolled": True, "characterName": "Norinn"}
    assert ebs.http.get("/api/payouts/my-last", headers=ebs.bearer("90001337")).status_code == 404


def test_challenge_is_answered_with_the_raw_string(ebs):
    body = {
        "challenge": "pogchamp-kappa-360noscope-vohiyo",
        "subscription": {"type": "channel.chat.message", "status": "webhook_callback_verification_pending"},
    }
    answer = ebs.post_eventsub(body, message_type="webhook_callback_verification")
    assert answer.status_code == 200
    assert answer.text == "pogchamp-kappa-360noscope-vohiyo"
    assert answer.headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("signature", [None, "sha256=deadbeef", "md5=abc"])
def test_bad_or_missing_signature_is_403_and_changes_nothing(ebs, signature):
    raw = json.dumps(
        {
            "subscription": {"type": "channel.chat.message"},
            "event": {
                "message_id": "m1",
                "chatter_user_id": "1",
                "chatter_user_login": "a",
                "message": {"text": "!twgold Norinn"},
                "badges": [{"set_id": "subscriber"}],
            },
        }
    ).encode()
    headers = {
        "Content-Type": "application/json",
        eventsub.HEADER_MESSAGE_ID: "d1",
        eventsub.HEADER_TIMESTAMP: eventsub.format_timestamp(ebs.clock.now()),
        eventsub.HEADER_MESSAGE_TYPE: "notification",
    }
    if signature:
        headers[eventsub.HEADER_SIGNATURE] = signature
    answer = ebs.http.post("/api/twitch/eventsub", content=raw, headers=headers)
    assert answer.status_code == 403
    assert answer.json()["code"] == "invalid_signature"
    assert enrolled(ebs, "1")["isEnrolled"] is False


def test_signature_from_another_secret_is_refused(ebs):
    answer = ebs.chat_delivery("1", "!twgold Norinn", secret="some-other-secret")
    assert answer.status_code == 403
    assert enrolled(ebs, "1")["isEnrolled"] is False


@pytest.mark.parametrize("offset", [timedelta(minutes=-11), timedelta(hours=-5), timedelta(minutes=5)])
def test_stale_or_future_timestamps_are_refused(ebs, offset):
    stamp = eventsub.format_timestamp(ebs.clock.now() + offset)
    answer = ebs.chat_delivery("1", "!twgold Norinn", timestamp=stamp)
    assert answer.status_code == 403
    assert answer.json()["code"] == "stale_message"
    assert enrolled(ebs, "1")["isEnrolled"] is False


def test_epoch_seconds_timestamp_is_accepted_for_seed_compatibility(ebs):
    stamp = str(int(ebs.clock.now().timestamp()))
    assert ebs.chat_delivery("1", "!twgold Norinn", timestamp=stamp).status_code == 204
    assert enrolled(ebs, "1")["isEnrolled"] is True


def test_unsigned_delivery_is_accepted_in_development_without_a_secret(make_ebs):
    ebs = make_ebs(eventsub_secret="")
    body = {
        "subscription": {"type": "channel.chat.message"},
        "event": {
            "message_id": "m1",
            "chatter_user_id": "5",
            "chatter_user_login": "five",
            "message": {"text": "!twgold Norinn"},
            "badges": [{"set_id": "subscriber"}],
        },
    }
    answer = ebs.http.post("/api/twitch/eventsub", json=body)
    assert answer.status_code == 204
    assert enrolled(ebs, "5")["characterName"] == "Norinn"


@pytest.mark.parametrize(
    ("text", "badges"),
    [
        ("!twgold Bad:Name", ("subscriber",)),
        ("!twgold A B", ("subscriber",)),
        ("hello !twgold Norinn", ("subscriber",)),
        ("!twgold Norinn", ()),
        ("!twgold Norinn", ("premium",)),
        ("!twgold Norinn", ("vip", "moderator")),
    ],
)
def test_ignored_messages_answer_2xx_and_change_nothing(ebs, text, badges):
    assert ebs.chat_delivery("1", text, badges=badges).status_code == 204
    assert enrolled(ebs, "1")["isEnrolled"] is False


def test_founder_badge_counts(ebs):
    ebs.chat_delivery("1", "!twgold Norinn", badges=("founder",))
    assert enrolled(ebs, "1")["isEnrolled"] is True


def test_rename_releases_the_old_name(ebs):
    ebs.chat_delivery("1", "!twgold Alpha")
    ebs.chat_delivery("1", "!twgold Beta")
    assert enrolled(ebs, "1")["characterName"] == "Beta"
    ebs.chat_delivery("2", "!twgold alpha")
    assert enrolled(ebs, "2")["characterName"] == "alpha"


def test_name_taken_by_another_viewer_any_case_is_silently_refused(ebs):
    ebs.chat_delivery("1", "!twgold Norinn")
    assert ebs.chat_delivery("2", "!twgold NORINN").status_code == 204
    assert enrolled(ebs, "2")["isEnrolled"] is False
    assert enrolled(ebs, "1")["characterName"] == "Norinn"


def test_same_viewer_may_change_letter_case(ebs):
    ebs.chat_delivery("1", "!twgold norinn")
    ebs.chat_delivery("1", "!twgold Norinn")
    assert enrolled(ebs, "1")["characterName"] == "Norinn"


def test_replayed_delivery_does_not_undo_a_later_rename(ebs):
    ebs.chat_delivery("1", "!twgold Alpha", message_id="m-alpha")
    ebs.chat_delivery("1", "!twgold Beta", message_id="m-beta")
    assert ebs.chat_delivery("1", "!twgold Alpha", message_id="m-alpha").status_code == 204
    assert enrolled(ebs, "1")["characterName"] == "Beta"
    # same Twitch delivery id with a fresh event id is a replay too
    assert (
        ebs.chat_delivery("1", "!twgold Gamma", message_id="m-new", delivery_id="m-beta").status_code == 204
    )
    assert enrolled(ebs, "1")["characterName"] == "Beta"


def test_an_ignored_message_id_stays_a_replay(ebs):
    ebs.chat_delivery("1", "!twgold Norinn", message_id="m1", badges=())
    ebs.chat_delivery("1", "!twgold Norinn", message_id="m1")
    assert enrolled(ebs, "1")["isEnrolled"] is False


def test_display_name_comes_from_chatter_user_name(ebs):
    ebs.chat_delivery("1", "!twgold Norinn", login="norinnfan", name="NorinnFan")
    payout = ebs.http.post(
        "/api/e2e/prepare-pending-payout", json={"twitchUserId": "1"}, headers=ebs.desktop()
    ).json()
    detail = ebs.http.get(f"/api/payouts/{payout['payoutId']}", headers=ebs.desktop()).json()
    assert detail["twitchDisplayName"] == "NorinnFan"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"subscription": {"type": "channel.chat.message"}},
        {"event": {"message_id": "x"}},
        {"subscription": {}, "event": {}},
        {"subscription": "text", "event": []},
        {"subscription": {"type": "channel.follow"}, "event": {"user_id": "1"}},
        {
            "subscription": {"type": "channel.chat.message"},
            "event": {"message": "not an object", "badges": 5},
        },
    ],
)
def test_odd_payloads_are_ignored_never_5xx(ebs, body):
    assert ebs.post_eventsub(body).status_code == 204


def test_non_json_body_with_valid_signature_is_ignored(ebs):
    assert ebs.post_eventsub(b"{not json").status_code == 204


def test_revocation_is_recorded_and_acknowledged(ebs):
    body = {
        "subscription": {"id": "sub-1", "type": "channel.chat.message", "status": "authorization_revoked"}
    }
    assert ebs.post_eventsub(body, message_type="revocation").status_code == 204
    count = ebs.fetchval(
        "SELECT count(*) FROM eventsub_revocations WHERE status = $1", "authorization_revoked"
    )
    assert count == 1


def test_concurrent_duplicates_enroll_once(ebs):
    with ThreadPoolExecutor(8) as workers:
        answers = list(
            workers.map(lambda _: ebs.chat_delivery("1", "!twgold Norinn", message_id="same"), range(8))
        )
    assert {a.status_code for a in answers} == {204}
    assert enrolled(ebs, "1")["characterName"] == "Norinn"
    assert ebs.fetchval("SELECT count(*) FROM pool_entries") == 1


def test_hot_path_deliveries_log_at_debug_refusals_at_info_and_a_tally_a_minute(ebs, caplog):
    caplog.set_level(logging.DEBUG, logger="mgm_core.eventsub")
    ebs.chat_delivery("1", "!twgold Norinn", message_id="m1")  # enrolled
    ebs.chat_delivery("1", "!twgold Norinn", message_id="m1")  # replay
    ebs.chat_delivery("2", "hello chat")  # not a command
    ebs.chat_delivery("2", "!twgold NORINN")  # refused: the name is taken
    ebs.chat_delivery("3", "!twgold Alpha", badges=())  # ignored: not a subscriber
    lines = [(r.levelno, r.getMessage(), getattr(r, "reason", None)) for r in caplog.records]
    chat = [line for line in lines if line[1].startswith("chat enrollment")]
    assert chat == [
        (logging.DEBUG, "chat enrollment enrolled", "enrolled"),
        (logging.DEBUG, "chat enrollment replay", "delivery or message id seen before"),
        (logging.DEBUG, "chat enrollment ignored", "not a !twgold command"),
        (logging.INFO, "chat enrollment refused", "character_name_taken_in_pool"),
        (logging.INFO, "chat enrollment ignored", "not_subscriber"),
    ]
    assert not [r for r in caplog.records if r.getMessage() == "chat deliveries"]
    ebs.clock.advance(61)
    ebs.chat_delivery("4", "!twgold Beta")
    tallies = [r for r in caplog.records if r.getMessage() == "chat deliveries"]
    assert len(tallies) == 1 and tallies[0].levelno == logging.INFO
    assert tallies[0].counts == {"enrolled": 1, "ignored": 2, "refused": 1, "replay": 1}
