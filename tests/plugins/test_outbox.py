"""The delivery guarantee: at most once per payout and channel, swept after a crash."""

import uuid
from concurrent.futures import ThreadPoolExecutor

from mgm_core.domain.payouts import PayoutStatus
from mgm_core.store import payouts
from mgm_core.web import keys


def to_in_progress(ebs, user="90001337", name="Norinn"):
    payout = ebs.win(user, name)
    assert ebs.patch_status(payout["id"], "InProgress").status_code == 200
    return payout["id"]


def test_fifty_concurrent_sent_patches_announce_exactly_once(make_ebs, helix_mock, helix_settings):
    ebs = make_ebs(**helix_settings)
    payout_id = to_in_progress(ebs)
    with ThreadPoolExecutor(16) as workers:
        answers = list(workers.map(lambda _: ebs.patch_status(payout_id, "Sent"), range(50)))
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["status"] for a in answers} == {"Sent"}
    requests = helix_mock.chat_requests()
    assert len(requests) == 1
    assert requests[0]["body"]["message"] == "Награда отправлена персонажу Norinn на почту, проверяй ящик!"
    detail = ebs.http.get(f"/api/payouts/{payout_id}", headers=ebs.desktop()).json()
    assert detail["isRewardSentAnnouncedToChat"] is True


def test_two_replicas_patching_at_once_announce_once(database_url, make_ebs, helix_mock, helix_settings):
    one = make_ebs(**helix_settings)
    two = make_ebs(**helix_settings)
    payout_id = to_in_progress(one)
    with ThreadPoolExecutor(8) as workers:
        list(workers.map(lambda i: (one if i % 2 else two).patch_status(payout_id, "Sent"), range(20)))
    assert len(helix_mock.chat_requests()) == 1


def commit_sent_without_delivering(ebs, payout_id):
    """What a process that died right after the Sent commit leaves behind."""
    database = ebs.app[keys.DATABASE]
    channels = list(ebs.app[keys.NOTIFIER].channels)
    ebs.call(
        lambda: payouts.change_status(
            database, uuid.UUID(payout_id), PayoutStatus.SENT, ebs.clock.now(), notify_channels=channels
        )
    )


def test_a_committed_but_unclaimed_delivery_is_swept_after_restart(make_ebs, helix_mock, helix_settings):
    first = make_ebs(**helix_settings)
    payout_id = to_in_progress(first)
    commit_sent_without_delivering(first, payout_id)
    first.stop()
    assert helix_mock.chat_requests() == []
    second = make_ebs(**helix_settings)  # start-up sweep delivers
    assert len(helix_mock.chat_requests()) == 1
    detail = second.http.get(f"/api/payouts/{payout_id}", headers=second.desktop()).json()
    assert (detail["status"], detail["isRewardSentAnnouncedToChat"]) == ("Sent", True)
    second.stop()
    make_ebs(**helix_settings)  # another restart sends nothing more
    assert len(helix_mock.chat_requests()) == 1


def test_a_claimed_delivery_is_never_sent_again(make_ebs, helix_mock, helix_settings):
    first = make_ebs(**helix_settings)
    payout_id = to_in_progress(first)
    commit_sent_without_delivering(first, payout_id)
    first.fetchval(
        "UPDATE notification_deliveries SET status = 'claimed', claimed_by = 'crashed'"
        " WHERE payout_id = $1::uuid RETURNING 1",
        payout_id,
    )
    first.stop()
    second = make_ebs(**helix_settings)
    second.advance(3600)  # the hourly sweep runs too
    assert helix_mock.chat_requests() == []


def test_the_hourly_sweep_delivers_rows_left_pending(make_ebs, helix_mock, helix_settings):
    ebs = make_ebs(**helix_settings)
    payout_id = to_in_progress(ebs)
    commit_sent_without_delivering(ebs, payout_id)
    ebs.advance(3600 + 1)
    assert len(helix_mock.chat_requests()) == 1
