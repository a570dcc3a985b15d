"""Payout lifecycle through HTTP: transitions, acceptance, events, expiry, harness."""

import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from mgm_core.domain.payouts import TRANSITIONS, PayoutStatus

STATUSES = [s.value for s in PayoutStatus]


def payout_in(ebs, status, user="1", name="Norinn"):
    """A payout brought to ``status`` along allowed moves (Expired through the sweep)."""
    payout = ebs.win(user, name)
    path = {
        "Pending": [],
        "InProgress": ["InProgress"],
        "Sent": ["InProgress", "Sent"],
        "Failed": ["Failed"],
        "Cancelled": ["Cancelled"],
    }
    if status == "Expired":
        ebs.advance(24 * 3600 + 1)
    else:
        for step in path[status]:
            assert ebs.patch_status(payout["id"], step).status_code == 200
    return payout


def events(ebs, payout_id):
    answer = ebs.http.get(f"/api/payouts/{payout_id}/events", headers=ebs.desktop())
    assert answer.status_code == 200
    return answer.json()


@pytest.mark.parametrize(("current", "target"), list(itertools.product(STATUSES, STATUSES)))
def test_every_cell_of_the_transition_table(ebs, current, target):
    payout = payout_in(ebs, current)
    before = events(ebs, payout["id"])
    answer = ebs.patch_status(payout["id"], target)
    allowed = PayoutStatus(target) in TRANSITIONS.get(PayoutStatus(current), frozenset())
    after = events(ebs, payout["id"])
    if current == target:
        assert answer.status_code == 200
        assert answer.json()["status"] == current
        assert after == before  # a no-op: no event
    elif allowed:
        assert answer.status_code == 200
        assert answer.json()["status"] == target
        assert after[-1]["type"] == "PayoutStatusChanged"
        assert (after[-1]["fromStatus"], after[-1]["toStatus"]) == (current, target)
    else:
        assert answer.status_code == 409
        expected = (
            "terminal_status_change_not_allowed"
            if PayoutStatus(current).is_terminal
            else "invalid_transition"
        )
        assert answer.json()["code"] == expected
        assert after == before
        detail = ebs.http.get(f"/api/payouts/{payout['id']}", headers=ebs.desktop()).json()
        assert detail["status"] == current


@pytest.mark.parametrize("spelling", ["inProgress", "INPROGRESS", "InProgress", "in_progress", 1])
def test_status_accepted_in_any_casing_or_ordinal(ebs, spelling):
    payout = ebs.win("1", "Norinn")
    answer = ebs.http.patch(
        f"/api/payouts/{payout['id']}/status", json={"status": spelling}, headers=ebs.desktop()
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "InProgress"


@pytest.mark.parametrize(
    "body", [{}, {"status": "Shipped"}, {"status": 9}, {"status": None}, {"status": True}]
)
def test_bad_status_is_400(ebs, body):
    payout = ebs.win("1", "Norinn")
    answer = ebs.http.patch(f"/api/payouts/{payout['id']}/status", json=body, headers=ebs.desktop())
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_payload"


def test_unknown_or_malformed_id_is_404(ebs):
    for path in (f"/api/payouts/{uuid.uuid4()}", f"/api/payouts/{uuid.uuid4()}/events", "/api/payouts/xyz"):
        answer = ebs.http.get(path, headers=ebs.desktop())
        assert answer.status_code == 404
        assert answer.json()["code"] == "not_found"
    assert ebs.patch_status(str(uuid.uuid4()), "Sent").status_code == 404
    assert ebs.patch_status("not-a-uuid", "Sent").status_code == 404


def test_sent_removes_the_pool_row_and_viewer_may_enroll_again(ebs):
    payout = payout_in(ebs, "InProgress")
    assert ebs.pool_me("1")["isEnrolled"] is True
    sent = ebs.patch_status(payout["id"], "Sent")
    assert sent.status_code == 200
    assert ebs.pool_me("1") == {"isEnrolled": False, "characterName": None}
    assert events(ebs, payout["id"])[-1]["data"] == {"poolEntryRemoved": True}
    ebs.chat_delivery("1", "!twgold Norinn")
    assert ebs.pool_me("1")["isEnrolled"] is True


@pytest.mark.parametrize("terminal", ["Failed", "Cancelled"])
def test_failed_and_cancelled_keep_the_pool_row(ebs, terminal):
    payout_in(ebs, terminal)
    assert ebs.pool_me("1")["isEnrolled"] is True


def test_events_are_an_append_only_history(ebs):
    payout = payout_in(ebs, "InProgress")
    ebs.http.post(
        f"/api/payouts/{payout['id']}/confirm-acceptance",
        json={"characterName": "Norinn"},
        headers=ebs.desktop(),
    )
    ebs.patch_status(payout["id"], "Pending")
    ebs.patch_status(payout["id"], "InProgress")
    ebs.patch_status(payout["id"], "Sent")
    history = events(ebs, payout["id"])
    assert [e["type"] for e in history] == [
        "PayoutCreated",
        "PayoutStatusChanged",
        "WinnerAcceptanceRecorded",
        "PayoutStatusChanged",
        "PayoutStatusChanged",
        "PayoutStatusChanged",
    ]
    assert [e["toStatus"] for e in history if e["type"] == "PayoutStatusChanged"] == [
        "InProgress",
        "Pending",
        "InProgress",
        "Sent",
    ]
    ids = [e["id"] for e in history]
    assert ids == sorted(ids)


def test_confirm_acceptance_rules(ebs):
    payout = ebs.win("1", "Norinn")
    url = f"/api/payouts/{payout['id']}/confirm-acceptance"
    wrong = ebs.http.post(url, json={"characterName": "Other"}, headers=ebs.desktop())
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "invalid_character_name"
    ok = ebs.http.post(url, json={"characterName": "NORINN"}, headers=ebs.desktop())
    assert ok.status_code == 200
    accepted_at = ok.json()["winnerAcceptedWillingToReceiveAt"]
    assert accepted_at
    assert ok.json()["status"] == "Pending"  # acceptance does not change the status
    ebs.advance(5)
    again = ebs.http.post(url, json={"characterName": "Norinn"}, headers=ebs.desktop())
    assert again.status_code == 200
    assert again.json()["winnerAcceptedWillingToReceiveAt"] == accepted_at
    assert [e["type"] for e in events(ebs, payout["id"])].count("WinnerAcceptanceRecorded") == 1
    unknown = ebs.http.post(
        f"/api/payouts/{uuid.uuid4()}/confirm-acceptance",
        json={"characterName": "Norinn"},
        headers=ebs.desktop(),
    )
    assert unknown.status_code == 404
    ebs.patch_status(payout["id"], "Cancelled")
    terminal = ebs.http.post(url, json={"characterName": "Norinn"}, headers=ebs.desktop())
    assert terminal.status_code == 409
    assert terminal.json()["code"] == "terminal_status_change_not_allowed"


def test_pending_lists_only_pending_oldest_first(ebs):
    first = ebs.win("1", "Alpha")
    ebs.advance(60)
    second = ebs.win("2", "Bravo")
    ebs.advance(60)
    third = ebs.win("3", "Charlie")
    ebs.patch_status(second["id"], "InProgress")
    pending = ebs.http.get("/api/payouts/pending", headers=ebs.desktop()).json()
    assert [p["id"] for p in pending] == [first["id"], third["id"]]
    assert {p["status"] for p in pending} == {"Pending"}


def test_concurrent_patches_to_sent_serialize(ebs):
    payout = payout_in(ebs, "InProgress")
    with ThreadPoolExecutor(10) as workers:
        answers = list(workers.map(lambda _: ebs.patch_status(payout["id"], "Sent"), range(50)))
    assert {a.status_code for a in answers} == {200}
    changes = [e for e in events(ebs, payout["id"]) if e["toStatus"] == "Sent"]
    assert len(changes) == 1


def test_concurrent_conflicting_patches_have_one_winner(ebs):
    payout = payout_in(ebs, "InProgress")
    targets = ["Sent", "Failed", "Cancelled"] * 10
    with ThreadPoolExecutor(10) as workers:
        answers = list(workers.map(lambda t: ebs.patch_status(payout["id"], t), targets))
    winners = {a.json()["status"] for a in answers if a.status_code == 200}
    assert len(winners) == 1
    assert {a.json()["code"] for a in answers if a.status_code != 200} == {
        "terminal_status_change_not_allowed"
    }
    terminal_events = [e for e in events(ebs, payout["id"]) if e["fromStatus"] == "InProgress"]
    assert len(terminal_events) == 1


def test_expiry_after_24_hours(ebs):
    pending = ebs.win("1", "Alpha")
    in_progress = payout_in(ebs, "InProgress", user="2", name="Bravo")
    sent = payout_in(ebs, "Sent", user="3", name="Charlie")
    ebs.advance(23 * 3600)
    statuses = {
        p: ebs.http.get(f"/api/payouts/{p}", headers=ebs.desktop()).json()["status"]
        for p in (pending["id"], in_progress["id"])
    }
    assert set(statuses.values()) == {"Pending", "InProgress"}
    moved = ebs.advance(3600 + 60)
    assert set(moved["expiredPayoutIds"]) == {pending["id"], in_progress["id"]}
    for payout_id, expected in (
        (pending["id"], "Expired"),
        (in_progress["id"], "Expired"),
        (sent["id"], "Sent"),
    ):
        assert ebs.http.get(f"/api/payouts/{payout_id}", headers=ebs.desktop()).json()["status"] == expected
    assert ebs.pool_me("1")["isEnrolled"] is True  # no pool change
    refused = ebs.patch_status(pending["id"], "Pending")
    assert refused.status_code == 409
    assert refused.json()["code"] == "terminal_status_change_not_allowed"


def test_expired_status_cannot_be_patched_in(ebs):
    payout = ebs.win("1", "Norinn")
    answer = ebs.patch_status(payout["id"], "Expired")
    assert answer.status_code == 409
    assert answer.json()["code"] == "invalid_transition"


def test_harness_makes_a_pending_payout(ebs):
    ebs.chat_delivery("e2e-viewer-1", "!twgold Etoehero")
    answer = ebs.http.post(
        "/api/e2e/prepare-pending-payout", json={"twitchUserId": "e2e-viewer-1"}, headers=ebs.desktop()
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["characterName"] == "Etoehero"
    detail = ebs.http.get(f"/api/payouts/{body['payoutId']}", headers=ebs.desktop()).json()
    assert detail["status"] == "Pending"
    again = ebs.http.post(
        "/api/e2e/prepare-pending-payout", json={"twitchUserId": "e2e-viewer-1"}, headers=ebs.desktop()
    )
    assert again.status_code == 409
    assert again.json()["code"] == "active_payout_exists"


def test_harness_refuses_viewer_outside_the_pool(ebs):
    answer = ebs.http.post(
        "/api/e2e/prepare-pending-payout", json={"twitchUserId": "nobody"}, headers=ebs.desktop()
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_payload"


@pytest.mark.parametrize("overrides", [{"enable_e2e_harness": False}, {"env": "production"}])
def test_harness_and_clock_are_404_unless_enabled(make_ebs, overrides):
    if overrides.get("env") == "production":
        overrides = {
            **overrides,
            "extension_secret": "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg=",
            "clock": "system",
        }
    ebs = make_ebs(**overrides)
    harness = ebs.http.post(
        "/api/e2e/prepare-pending-payout", json={"twitchUserId": "1"}, headers=ebs.desktop()
    )
    assert harness.status_code == 404
    assert harness.json()["code"] == "not_found"
    if "env" in overrides:
        clock = ebs.http.post("/api/e2e/clock", json={"advanceSeconds": 1}, headers=ebs.desktop())
        assert clock.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"advanceSeconds": -1},
        {"advanceSeconds": "5"},
        {"advanceSeconds": 1, "setUtc": "x"},
        {"setUtc": "tomorrow"},
        {"advanceSeconds": 10**12},
    ],
)
def test_clock_route_validates(ebs, body):
    answer = ebs.http.post("/api/e2e/clock", json=body, headers=ebs.desktop())
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_payload"


def test_clock_route_needs_the_key(ebs):
    assert ebs.http.post("/api/e2e/clock", json={"advanceSeconds": 1}).status_code == 401


def test_clock_route_is_404_in_development_without_the_virtual_clock(make_ebs):
    ebs = make_ebs(clock="system")
    answer = ebs.http.post("/api/e2e/clock", json={"advanceSeconds": 1}, headers=ebs.desktop())
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"
