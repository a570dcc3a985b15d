"""Every hook in mgm_core.plugins.hookspecs, exercised through a real EBS with inline plugins.

A test named ``test_<hook name>...`` must exist for every hook (see test_hook_coverage).
"""

from __future__ import annotations

from aiohttp import web

from mgm_core.plugins import hookimpl
from mgm_core.plugins.context import DeliveryFailed, SubscriberSource, SubscriberVerdict


class Observer:
    def __init__(self) -> None:
        self.moves: list[tuple[str, str, str]] = []

    @hookimpl
    def mgm_payout_transition(self, transition, context):
        self.moves.append(
            (transition.old_status.value, transition.new_status.value, transition.event.type.value)
        )


class Raising:
    @hookimpl(tryfirst=True)
    def mgm_payout_transition(self, transition, context):
        raise RuntimeError("observer bug")

    @hookimpl(tryfirst=True)
    def mgm_check_subscriber(self, query, context):
        raise RuntimeError("checker bug")


class Channel:
    def __init__(self, name: str = "spy", fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self.received = []

    async def deliver(self, notification, context):
        self.received.append(notification)
        if self.fail:
            raise DeliveryFailed("spy says no")


class Channels:
    def __init__(self, *channels) -> None:
        self.channels = list(channels)

    @hookimpl
    def mgm_notification_channels(self, context):
        return self.channels


def to_sent(ebs, user="1", name="Norinn"):
    payout = ebs.win(user, name)
    assert ebs.patch_status(payout["id"], "InProgress").status_code == 200
    answer = ebs.patch_status(payout["id"], "Sent")
    assert answer.status_code == 200
    return answer.json()


def test_mgm_app_created_can_add_routes(ebs_with_plugins):
    class Routes:
        @hookimpl
        def mgm_app_created(self, app, config):
            async def ping(request):
                return web.json_response({"pong": config.env})

            app.router.add_get("/plugins/spy/ping", ping)

    ebs = ebs_with_plugins(Routes())
    assert ebs.http.get("/plugins/spy/ping").json() == {"pong": "development"}


def test_mgm_check_subscriber_can_allow_a_badge_the_default_refuses(ebs_with_plugins):
    class PrimeCounts:
        @hookimpl(tryfirst=True)
        def mgm_check_subscriber(self, query, context):
            if query.source is SubscriberSource.CHAT and "premium" in query.badges:
                return SubscriberVerdict.ALLOW
            return None

    ebs = ebs_with_plugins(PrimeCounts())
    ebs.chat_delivery("1", "!twgold Norinn", badges=("premium",))
    assert ebs.pool_me("1")["isEnrolled"] is True
    ebs.chat_delivery("2", "!twgold Other", badges=())
    assert ebs.pool_me("2")["isEnrolled"] is False  # the built-in badge check still answers


def test_mgm_check_subscriber_decides_claims_when_the_bypass_is_off(ebs_with_plugins):
    class Roster:
        def __init__(self):
            self.seen = []

        @hookimpl
        async def mgm_check_subscriber(self, query, context):
            self.seen.append((query.twitch_user_id, query.source))
            if query.source is SubscriberSource.CLAIM:
                return SubscriberVerdict.ALLOW if query.twitch_user_id == "1" else SubscriberVerdict.DENY
            return None

    roster = Roster()
    ebs = ebs_with_plugins(roster, dev_skip_subscriber_check=False)
    assert ebs.claim("1", "Norinn").status_code == 201
    refused = ebs.claim("2", "Other")
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_subscriber"
    assert ("1", SubscriberSource.CLAIM) in roster.seen


def test_mgm_check_subscriber_raising_counts_as_no_opinion(ebs_with_plugins):
    ebs = ebs_with_plugins(Raising())
    assert ebs.chat_delivery("1", "!twgold Norinn").status_code == 204
    assert ebs.pool_me("1")["isEnrolled"] is True


def test_mgm_payout_transition_sees_every_committed_change(ebs_with_plugins):
    observer = Observer()
    ebs = ebs_with_plugins(observer)
    to_sent(ebs)
    payout = ebs.win("2", "Other")
    ebs.patch_status(payout["id"], "Pending")  # same status: no change, no call
    ebs.advance(25 * 3600)  # the sweep expires the Pending payout
    assert observer.moves == [
        ("Pending", "InProgress", "PayoutStatusChanged"),
        ("InProgress", "Sent", "PayoutStatusChanged"),
        ("Pending", "Expired", "PayoutStatusChanged"),
    ]


def test_mgm_payout_transition_raising_never_breaks_the_request_or_others(ebs_with_plugins):
    observer = Observer()
    ebs = ebs_with_plugins(observer, Raising())
    sent = to_sent(ebs)
    assert sent["status"] == "Sent"
    assert [m[1] for m in observer.moves] == ["InProgress", "Sent"]


def test_mgm_notification_channels_deliver_once_on_sent_only(ebs_with_plugins):
    spy = Channel()
    ebs = ebs_with_plugins(Channels(spy))
    payout = ebs.win("1", "Norinn")
    ebs.patch_status(payout["id"], "InProgress")
    ebs.patch_status(payout["id"], "Pending")
    assert spy.received == []
    ebs.patch_status(payout["id"], "InProgress")
    ebs.patch_status(payout["id"], "Sent")
    ebs.patch_status(payout["id"], "Sent")
    assert len(spy.received) == 1
    notification = spy.received[0]
    assert notification.payout_id == payout["id"]
    assert notification.character_name == "Norinn"
    assert notification.gold_amount == 1000
    assert notification.message == "Награда отправлена персонажу Norinn на почту, проверяй ящик!"


def test_mgm_notification_channels_failure_is_recorded_not_raised(ebs_with_plugins):
    failing, fine = Channel("failing", fail=True), Channel("fine")
    ebs = ebs_with_plugins(Channels(failing, fine))
    sent = to_sent(ebs)
    assert sent["status"] == "Sent"
    assert sent["isRewardSentAnnouncedToChat"] is False  # only the Helix channel sets it
    rows = {
        channel: ebs.fetchval(
            "SELECT status FROM notification_deliveries WHERE payout_id = $1::uuid AND channel = $2",
            sent["id"],
            channel,
        )
        for channel in ("failing", "fine", "helix_chat")
    }
    assert rows == {"failing": "failed", "fine": "delivered", "helix_chat": "skipped"}
    assert len(fine.received) == 1


def test_mgm_notification_channels_names_must_be_unique(make_ebs):
    import pytest

    with pytest.raises(ValueError, match="helix_chat"):
        make_ebs(plugins=[Channels(Channel("helix_chat"))])
