"""Spin cycles, the draw, the candidate route and verify-candidate, driven by the virtual clock."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from mgm_core.domain import roulette
from mgm_core.testing.ebs import RunningEbs
from mgm_core.web import keys


def state(ebs, user="viewer"):
    answer = ebs.http.get("/api/roulette/state", headers=ebs.bearer(user))
    assert answer.status_code == 200
    return answer.json()


def test_empty_pool_is_idle_with_schedule_fields(ebs):
    body = state(ebs)
    assert body["spinPhase"] == "idle"
    assert body["currentSpinCycleId"] is None
    assert body["spinIntervalSeconds"] == 300
    assert body["poolParticipantCount"] == 0
    assert body["serverNow"] == "2026-11-24T12:01:00Z"
    assert body["nextSpinAt"] == "2026-11-24T12:05:00Z"


def test_phases_through_one_cycle(ebs):
    ebs.chat_delivery("1", "!twgold Norinn")
    collecting = state(ebs)
    assert collecting["spinPhase"] == "collecting"
    cycle_id = collecting["currentSpinCycleId"]
    assert cycle_id
    ebs.advance_to_offset(239)
    assert state(ebs, "u2")["spinPhase"] == "collecting"
    ebs.advance_to_offset(240)
    spinning = state(ebs, "u2")
    assert spinning["spinPhase"] == "spinning"
    assert spinning["currentSpinCycleId"] == cycle_id
    ebs.advance_to_offset(270)
    assert state(ebs, "u2")["spinPhase"] == "verification"
    ebs.report(cycle_id, "Norinn", online=False)
    assert state(ebs, "u3")["spinPhase"] == "completed"
    ebs.advance_to_offset(0)
    following = state(ebs, "u3")
    assert following["spinPhase"] == "collecting"
    assert following["currentSpinCycleId"] != cycle_id


def test_pool_filled_after_the_cycle_began_is_still_drawn(ebs):
    ebs.advance_to_offset(200)
    assert state(ebs)["spinPhase"] == "idle"
    ebs.chat_delivery("1", "!twgold Norinn")
    moved = ebs.advance_to_offset(240)
    assert moved["drawnSpinCycleId"]
    candidate = ebs.candidate().json()
    assert candidate["characterName"] == "Norinn"
    assert candidate["spinCycleId"] == moved["drawnSpinCycleId"]


def test_empty_pool_at_draw_time_stays_idle(ebs):
    ebs.advance_to_offset(250)
    assert state(ebs)["spinPhase"] == "idle"
    assert ebs.candidate().status_code == 404


def test_candidate_route_shape(ebs):
    ebs.chat_delivery("1", "!twgold Norinn")
    assert ebs.candidate().status_code == 404
    ebs.advance_to_offset(240)
    body = ebs.candidate().json()
    assert set(body) == {"spinCycleId", "characterName", "selectedAt", "verificationDeadline", "spinPhase"}
    assert body["selectedAt"] == "2026-11-24T12:04:00Z"
    assert body["verificationDeadline"] == "2026-11-24T12:05:30Z"
    assert body["spinPhase"] == "spinning"


def test_online_report_creates_a_pending_payout_of_1000_gold(ebs):
    ebs.chat_delivery("90001337", "!twgold Norinn")
    ebs.advance_to_offset(240)
    cycle = ebs.candidate().json()["spinCycleId"]
    answer = ebs.report(cycle, "norinn")
    assert answer.status_code == 200
    payout = answer.json()["payout"]
    assert payout["status"] == "Pending"
    assert payout["goldAmount"] == 1000
    assert payout["characterName"] == "Norinn"
    assert payout["twitchUserId"] == "90001337"
    assert payout["enrollmentRequestId"] == "spin:" + uuid.UUID(cycle).hex
    assert payout["isRewardSentAnnouncedToChat"] is False
    mine = ebs.http.get("/api/payouts/my-last", headers=ebs.bearer("90001337")).json()
    assert mine["id"] == payout["id"]
    pending = ebs.http.get("/api/payouts/pending", headers=ebs.desktop()).json()
    assert [p["id"] for p in pending] == [payout["id"]]
    # a repeated report is answered idempotently
    again = ebs.report(cycle, "Norinn")
    assert again.status_code == 200
    assert again.json()["payout"]["id"] == payout["id"]
    assert ebs.fetchval("SELECT count(*) FROM payouts") == 1
    assert ebs.candidate().status_code == 404


def test_offline_report_closes_the_cycle_without_a_winner(ebs):
    ebs.chat_delivery("1", "!twgold Offlinebob")
    ebs.advance_to_offset(240)
    cycle = ebs.candidate().json()["spinCycleId"]
    answer = ebs.report(cycle, "Offlinebob", online=False)
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "offline"
    assert ebs.http.get("/api/payouts/my-last", headers=ebs.bearer("1")).status_code == 404
    assert ebs.pool_me("1")["isEnrolled"] is True
    assert ebs.candidate().status_code == 404  # no re-draw
    # a later online report for the closed cycle changes nothing
    assert ebs.report(cycle, "Offlinebob").json()["outcome"] == "already_closed"
    assert ebs.fetchval("SELECT count(*) FROM payouts") == 0
    # the next cycle can produce a winner normally
    assert ebs.win("1", "Offlinebob")["status"] == "Pending"


@pytest.mark.parametrize(("seconds_after_boundary", "accepted"), [(29, True), (30, True), (31, False)])
def test_report_grace_after_the_boundary(ebs, seconds_after_boundary, accepted):
    ebs.chat_delivery("1", "!twgold Norinn")
    ebs.advance_to_offset(240)
    cycle = ebs.candidate().json()["spinCycleId"]
    ebs.advance_to_offset(0)
    ebs.advance(seconds_after_boundary)
    if accepted:
        assert ebs.candidate().json()["spinCycleId"] == cycle
    answer = ebs.report(cycle, "Norinn")
    if accepted:
        assert answer.status_code == 200
        assert answer.json()["payout"]["status"] == "Pending"
    else:
        assert answer.status_code == 400
        assert answer.json()["code"] == "out_of_sequence"
        assert ebs.fetchval("SELECT count(*) FROM payouts") == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"schemaVersion": 2}, "invalid_payload"),
        ({"schemaVersion": "1"}, "invalid_payload"),
        ({"spinCycleId": "not-a-uuid"}, "invalid_payload"),
        ({"online": "yes"}, "invalid_payload"),
        ({"online": None}, "invalid_payload"),
        ({"characterName": "1"}, "invalid_character_name"),
        ({"characterName": "Bad:Name"}, "invalid_character_name"),
        ({"spinCycleId": "00000000-0000-0000-0000-000000000001"}, "out_of_sequence"),
        ({"characterName": "Somebody"}, "out_of_sequence"),
        ({"characterName": "Somebody", "online": False}, "out_of_sequence"),
        ({"capturedAt": "yesterday"}, "invalid_payload"),
    ],
)
def test_refused_reports_are_400_with_stable_codes_and_change_nothing(ebs, change, code):
    ebs.chat_delivery("1", "!twgold Norinn")
    ebs.advance_to_offset(240)
    cycle = ebs.candidate().json()["spinCycleId"]
    body = {
        "schemaVersion": 1,
        "spinCycleId": cycle,
        "characterName": "Norinn",
        "online": True,
        "capturedAt": "2026-11-24T12:04:01Z",
        **change,
    }
    answer = ebs.http.post("/api/roulette/verify-candidate", json=body, headers=ebs.desktop())
    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert ebs.fetchval("SELECT count(*) FROM payouts") == 0
    assert ebs.candidate().status_code == 200


def test_report_before_the_draw_is_out_of_sequence(ebs):
    ebs.chat_delivery("1", "!twgold Norinn")
    cycle = state(ebs)["currentSpinCycleId"]
    answer = ebs.report(cycle, "Norinn")
    assert answer.status_code == 400
    assert answer.json()["code"] == "out_of_sequence"


def test_winner_with_an_active_payout_is_not_drawn_again(ebs):
    ebs.win("1", "Norinn")
    ebs.chat_delivery("2", "!twgold Second")
    ebs.advance_to_offset(240)
    assert ebs.candidate().json()["characterName"] == "Second"


def test_active_payout_at_report_time_is_409_and_the_cycle_stays_open(ebs):
    """Force the race: the candidate gains a payout (via the harness) between draw and report."""
    ebs.chat_delivery("1", "!twgold Norinn")
    ebs.advance_to_offset(240)
    cycle = ebs.candidate().json()["spinCycleId"]
    first = ebs.http.post(
        "/api/e2e/prepare-pending-payout", json={"twitchUserId": "1"}, headers=ebs.desktop()
    )
    assert first.status_code == 200
    answer = ebs.report(cycle, "Norinn")
    if answer.status_code == 200:  # the harness reuses the current cycle; report is then a replay
        assert answer.json()["outcome"] == "already_closed"
    else:
        assert answer.status_code == 409
        assert answer.json()["code"] == "active_payout_exists"
    assert ebs.fetchval("SELECT count(*) FROM payouts") == 1


def test_only_eligible_rows_are_drawn_and_the_draw_is_spread(ebs):
    for i in range(4):
        ebs.chat_delivery(str(i), f"!twgold Name{chr(65 + i)}x")
    ebs.chat_delivery("9", "!twgold Winner")
    harness = ebs.http.post(
        "/api/e2e/prepare-pending-payout", json={"twitchUserId": "9"}, headers=ebs.desktop()
    )
    assert harness.status_code == 200  # "Winner" holds an active payout from now on
    ebs.advance_to_offset(0)  # the harness used up the current cycle
    seen = set()
    for _ in range(24):
        ebs.advance_to_offset(240)
        body = ebs.candidate().json()
        seen.add(body["characterName"])
        ebs.report(body["spinCycleId"], body["characterName"], online=False)
    assert "Winner" not in seen
    assert seen == {"NameAx", "NameBx", "NameCx", "NameDx"}


def test_two_instances_draw_each_cycle_exactly_once(database_url):
    from mgm_core.clock import VirtualClock
    from mgm_core.testing.ebs import DEFAULT_START, test_config

    clock = VirtualClock(DEFAULT_START)
    config = test_config(database_url)
    with RunningEbs(config, clock=clock) as one, RunningEbs(config, clock=clock) as two:
        one.chat_delivery("1", "!twgold Norinn")
        two.chat_delivery("2", "!twgold Other")
        for _ in range(5):
            target = roulette.cycle_start(clock.now()) + timedelta(seconds=240)
            if target <= clock.now():
                target += roulette.SPIN_INTERVAL
            clock.set(target)
            with ThreadPoolExecutor(4) as pool:  # both background schedulers woke too
                list(pool.map(lambda e: e.tick(), (one, two, one, two)))
            assert one.candidate().json() == two.candidate().json()
            one.report(one.candidate().json()["spinCycleId"], one.candidate().json()["characterName"], False)
        draws = one.app[keys.SCHEDULER].draws + two.app[keys.SCHEDULER].draws
        assert draws == 5
        assert one.fetchval("SELECT count(*) FROM spin_cycles WHERE drawn_at IS NOT NULL") == 5


def test_the_harness_and_the_draw_racing_for_one_cycle_never_deadlock(ebs):
    """Both lock the pool before the cycle row; the other order deadlocked (500 from the harness)."""
    viewers = [f"racer{i}" for i in range(12)]
    for i, viewer in enumerate(viewers):
        assert ebs.chat_delivery(viewer, f"!twgold Racer{chr(97 + i)}").status_code == 204
    scheduler = ebs.app[keys.SCHEDULER]
    answers = []
    for viewer in viewers:
        # Move past the next draw instant without letting the scheduler act, then race them.
        now = ebs.clock.now()
        target = roulette.cycle_start(now) + timedelta(seconds=240)
        if target <= now:
            target += roulette.SPIN_INTERVAL
        ebs.clock.set(target)
        with ThreadPoolExecutor(2) as both:
            harness = both.submit(
                ebs.http.post,
                "/api/e2e/prepare-pending-payout",
                json={"twitchUserId": viewer},
                headers=ebs.desktop(),
            )
            both.submit(ebs.call, scheduler.tick).result()
            answers.append(harness.result())
    assert [a.status_code for a in answers] == [200] * len(viewers), [a.text for a in answers]
    assert ebs.health.problems() == []
