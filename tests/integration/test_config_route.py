"""POST /api/e2e/config: a development EBS's settings changed for the next request, undone by the reset."""

from __future__ import annotations

import uuid

import pytest

from mgm_core.plugins import hookimpl
from mgm_core.testing.ebs import RunningEbs

ROUTE = "/api/e2e/config"


def configure(ebs: RunningEbs, **body: object):
    return ebs.http.post(ROUTE, json=body, headers=ebs.desktop())


def reset(ebs: RunningEbs) -> None:
    assert ebs.http.post("/api/e2e/reset", headers=ebs.desktop()).status_code == 200


def state_calls(ebs: RunningEbs, viewer: str, times: int) -> list[int]:
    headers = ebs.bearer(viewer)
    return [ebs.http.get("/api/roulette/state", headers=headers).status_code for _ in range(times)]


def test_the_rate_limit_changes_for_the_next_request_and_the_reset_restores_it(ebs: RunningEbs) -> None:
    assert state_calls(ebs, "1", 2) == [200, 200]

    answer = configure(ebs, rateLimit={"requests": 2, "windowSeconds": 60})

    assert answer.status_code == 200, answer.text
    assert answer.json()["rateLimit"] == {"requests": 2, "windowSeconds": 60}
    # The new budget counts from the change: the windows of the old one are dropped.
    assert state_calls(ebs, "1", 3) == [200, 200, 429]
    reset(ebs)
    assert state_calls(ebs, "1", 6) == [200] * 5 + [429]  # the start-up 5/60


def test_the_subscriber_bypass_turns_off_and_back_on(ebs: RunningEbs) -> None:
    assert configure(ebs, devSkipSubscriberCheck=False).json()["devSkipSubscriberCheck"] is False

    refused = ebs.claim("1", "Norinn")

    assert refused.status_code == 403 and refused.json()["code"] == "not_subscriber", refused.text
    reset(ebs)
    assert ebs.claim("1", "Norinn").status_code == 201


def test_without_an_eventsub_secret_signatures_are_not_checked_until_the_reset(ebs: RunningEbs) -> None:
    unsigned = {"secret": "not-the-secret-of-this-ebs"}  # signed with a key the EBS does not know
    assert ebs.chat_delivery("1", "!twgold Norinn", **unsigned).status_code == 403

    answer = configure(ebs, eventsubSecret="")

    assert answer.json()["eventsubSecretSet"] is False
    assert ebs.chat_delivery("1", "!twgold Norinn", **unsigned).status_code == 204
    reset(ebs)
    assert ebs.chat_delivery("2", "!twgold Alpha", **unsigned).status_code == 403
    assert ebs.chat_delivery("2", "!twgold Alpha").status_code == 204  # signed with the start-up secret


def test_a_new_eventsub_secret_is_the_one_checked(ebs: RunningEbs) -> None:
    secret = "another-secret-" + uuid.uuid4().hex
    assert configure(ebs, eventsubSecret=secret).json()["eventsubSecretSet"] is True
    assert ebs.chat_delivery("1", "!twgold Norinn").status_code == 403
    assert ebs.chat_delivery("1", "!twgold Norinn", secret=secret).status_code == 204


def test_plugins_read_the_helix_credentials_in_force(ebs_with_plugins) -> None:
    class Spy:
        def __init__(self) -> None:
            self.seen: list[tuple[str, str, str]] = []

        @hookimpl(tryfirst=True)
        def mgm_check_subscriber(self, query, context):
            config = context.config
            self.seen.append((config.broadcaster_id, config.broadcaster_token, config.helix_client_id))

    spy = Spy()
    ebs = ebs_with_plugins(spy, dev_skip_subscriber_check=False, broadcaster_token="start-token")
    start = ebs.config.broadcaster_id, "start-token", ebs.config.helix_client_id
    ebs.claim("1", "Norinn")
    off = configure(ebs, broadcasterId="", broadcasterToken="", helixClientId="")
    assert off.json() | {"rateLimit": None} == {
        "rateLimit": None,
        "devSkipSubscriberCheck": False,
        "eventsubSecretSet": True,
        "broadcasterId": "",
        "broadcasterTokenSet": False,
        "helixClientId": "",
    }
    ebs.claim("1", "Norinn")
    configure(ebs, broadcasterId="4242", broadcasterToken="other-token", helixClientId="other-client")
    # The Extension token check reads the new broadcaster id too: a token for another channel is refused.
    assert ebs.claim("1", "Norinn").status_code == 401
    body = {"characterName": "Norinn", "enrollmentRequestId": str(uuid.uuid4())}
    ebs.http.post("/api/payouts/claim", json=body, headers=ebs.bearer("1", channel_id="4242"))
    reset(ebs)
    ebs.claim("1", "Norinn")

    assert spy.seen == [start, ("", "", ""), ("4242", "other-token", "other-client"), start]


def test_secrets_are_neither_echoed_nor_logged(ebs: RunningEbs, caplog: pytest.LogCaptureFixture) -> None:
    secret = "never-shown-" + uuid.uuid4().hex
    with caplog.at_level("DEBUG"):
        answer = configure(ebs, eventsubSecret=secret, broadcasterToken=secret)
    assert answer.status_code == 200
    assert secret not in answer.text
    assert secret not in caplog.text and secret not in ebs.health.report()
    assert "development settings changed" in caplog.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rateLimit": "2/60"}, "rateLimit"),
        ({"rateLimit": {"requests": 0, "windowSeconds": 60}}, "rateLimit.requests"),
        ({"rateLimit": {"requests": 2}}, "rateLimit.windowSeconds"),
        ({"rateLimit": {"requests": 2, "windowSeconds": 86_401}}, "rateLimit.windowSeconds"),
        ({"rateLimit": {"requests": True, "windowSeconds": 60}}, "rateLimit.requests"),
        ({"rateLimit": {"requests": 2, "windowSeconds": 60, "burst": 3}}, "rateLimit.burst"),
        ({"devSkipSubscriberCheck": "false"}, "devSkipSubscriberCheck"),
        ({"eventsubSecret": "short"}, "eventsubSecret"),
        ({"eventsubSecret": "x" * 101}, "eventsubSecret"),
        ({"eventsubSecret": "non-ascii-секрет"}, "eventsubSecret"),
        ({"eventsubSecret": None}, "eventsubSecret"),
        ({"broadcasterToken": "with space"}, "broadcasterToken"),
        ({"helixClientId": "line\nbreak"}, "helixClientId"),
        ({"broadcasterId": 1000}, "broadcasterId"),
        ({"broadcasterId": "9" * 257}, "broadcasterId"),
        ({"rateLimitt": {"requests": 2, "windowSeconds": 60}}, "rateLimitt"),
        ({"apiKey": "new"}, "apiKey"),
    ],
)
def test_bad_settings_are_refused_whole_with_the_field_named(ebs: RunningEbs, body, field) -> None:
    valid = {"rateLimit": {"requests": 1, "windowSeconds": 60}, "devSkipSubscriberCheck": False}
    answer = configure(ebs, **(valid | body))

    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "invalid_payload"
    assert answer.json()["details"] == {"field": field}
    # Nothing of the refused body took effect.
    assert configure(ebs).json()["devSkipSubscriberCheck"] is True
    assert configure(ebs).json()["rateLimit"] == {"requests": 5, "windowSeconds": 60}


def test_an_empty_body_changes_nothing_and_reports_the_settings(ebs: RunningEbs) -> None:
    answer = configure(ebs)
    assert answer.status_code == 200
    assert answer.json() == {
        "rateLimit": {"requests": 5, "windowSeconds": 60},
        "devSkipSubscriberCheck": True,
        "eventsubSecretSet": True,
        "broadcasterId": ebs.config.broadcaster_id,
        "broadcasterTokenSet": bool(ebs.config.broadcaster_token),
        "helixClientId": ebs.config.helix_client_id,
    }


def test_the_route_needs_the_harness_the_key_and_development(make_ebs) -> None:
    body = {"devSkipSubscriberCheck": False}
    off = make_ebs(enable_e2e_harness=False)
    assert off.http.post(ROUTE, json=body, headers=off.desktop()).status_code == 404
    production = make_ebs(env="production", extension_secret="c2VjcmV0LWtleS1mb3ItdGVzdHM=")
    answer = production.http.post(ROUTE, json=body, headers=production.desktop())
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    harnessed = make_ebs()
    assert harnessed.http.post(ROUTE, json=body).status_code == 401
    assert harnessed.http.post(ROUTE, json=body, headers={"X-MGM-ApiKey": "wrong"}).status_code == 403
    assert configure(harnessed).json()["devSkipSubscriberCheck"] is True
