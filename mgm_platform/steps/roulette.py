"""Roulette and payout steps: the clock, the draw, /who reports, the Desktop's PATCHes."""

from __future__ import annotations

from datetime import UTC, datetime

from pytest_bdd import given, parsers, then, when

from mgm_platform.steps.world import World, set_up


def _state(world: World) -> dict:
    answer = world.ebs.http.get("/api/roulette/state", headers=world.ebs.bearer("state-reader"))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@given(parsers.parse("the clock is {seconds:d} seconds into the cycle"))
@when(parsers.parse("the clock reaches {seconds:d} seconds into the cycle"))
def clock_into_cycle(world: World, seconds: int) -> None:
    moved = world.ebs.advance_to_offset(seconds)
    # Checked on the EBS's own answer, with arithmetic of its own: 300 s cycles on the UTC grid.
    now = datetime.fromisoformat(moved["serverNow"].replace("Z", "+00:00"))
    into = (now - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() % 300
    assert into == seconds, f"the EBS's clock is {into:g} s into its cycle, not {seconds}: {moved}"


@when("the next cycle begins")
def next_cycle(world: World) -> None:
    world.ebs.advance_to_offset(0)


@when(parsers.parse("the clock is {seconds:d} seconds past the boundary that closes the cycle"))
def past_boundary(world: World, seconds: int) -> None:
    world.ebs.advance_to_offset(0)
    world.ebs.advance(seconds)


@then(parsers.parse('the roulette phase is "{phase}"'))
def roulette_phase(world: World, phase: str) -> None:
    state = _state(world)
    assert state["spinPhase"] == phase, state
    if phase == "idle":
        assert state["currentSpinCycleId"] is None
    else:
        assert state["currentSpinCycleId"]


@then(parsers.parse('the Desktop sees candidate "{name}"'))
def candidate_is(world: World, name: str) -> None:
    answer = world.ebs.candidate()
    assert answer.status_code == 200, answer.text
    assert answer.json()["characterName"] == name
    world.cycle_id = answer.json()["spinCycleId"]


@then("no candidate is waiting")
def no_candidate(world: World) -> None:
    answer = world.ebs.candidate()
    assert answer.status_code == 404, answer.text
    assert answer.json()["code"] == "not_found"


def _cycle(world: World) -> str:
    if world.cycle_id is None:
        answer = world.ebs.candidate()
        assert answer.status_code == 200, answer.text
        world.cycle_id = answer.json()["spinCycleId"]
    return world.cycle_id


def _report(world: World, name: str, online: bool, cycle: str | None = None) -> None:
    answer = world.answered(world.ebs.report(cycle or _cycle(world), name, online))
    if answer.status_code == 200 and answer.json().get("payout"):
        payout = answer.json()["payout"]
        world.payouts[payout["characterName"].casefold()] = payout["id"]


@when(parsers.parse('the Desktop reports "{name}" online'))
def report_online(world: World, name: str) -> None:
    _report(world, name, True)


@when(parsers.parse('the Desktop reports "{name}" offline'))
def report_offline(world: World, name: str) -> None:
    _report(world, name, False)


@when(parsers.parse('the Desktop reports "{name}" online for cycle "{cycle}"'))
def report_for_cycle(world: World, name: str, cycle: str) -> None:
    _report(world, name, True, cycle)


@when(parsers.parse("{cycles:d} cycles draw a candidate that the Desktop reports offline"))
def draw_many(world: World, cycles: int) -> None:
    drawn: list[str] = []
    for _ in range(cycles):
        world.ebs.advance_to_offset(240)
        candidate = world.ebs.candidate()
        got = f"{candidate.status_code} {candidate.text}"
        assert candidate.status_code == 200, f"cycle {len(drawn) + 1}: {got}"
        name, cycle = candidate.json()["characterName"], candidate.json()["spinCycleId"]
        answer = world.ebs.report(cycle, name, online=False)
        assert answer.status_code == 200, f"offline report for {name}: {answer.status_code} {answer.text}"
        drawn.append(name)
    world.drawn = drawn


@then(parsers.parse("every one of {names} was drawn at least once"))
def all_drawn(world: World, names: str) -> None:
    expected = [name.strip().strip('"') for name in names.split(",")]
    counts = {name: world.drawn.count(name) for name in expected}
    assert all(counts.values()), f"draws per entrant over {len(world.drawn)} cycles: {counts}"
    assert set(world.drawn) <= set(expected), f"drawn outside the pool: {set(world.drawn) - set(expected)}"


@given(parsers.parse('viewer "{user}" has won a Pending payout for "{name}"'))
def has_won(world: World, user: str, name: str) -> None:
    payout = world.ebs.win(user, name)
    world.payouts[name.casefold()] = payout["id"]
    world.cycle_id = None


@then(parsers.parse('"{name}" has a Pending payout of {gold:d} gold'))
def has_pending(world: World, name: str, gold: int) -> None:
    payout_id = world.payout_id(name)
    detail = world.ebs.http.get(f"/api/payouts/{payout_id}", headers=world.ebs.desktop()).json()
    assert (detail["status"], detail["goldAmount"], detail["characterName"].casefold()) == (
        "Pending",
        gold,
        name.casefold(),
    )


def _confirm(world: World, name: str, as_name: str) -> None:
    world.answered(
        world.ebs.http.post(
            f"/api/payouts/{world.payout_id(name)}/confirm-acceptance",
            json={"characterName": as_name},
            headers=world.ebs.desktop(),
        )
    )


@when(parsers.parse('the Desktop confirms acceptance for "{name}"'))
def confirm_acceptance(world: World, name: str) -> None:
    _confirm(world, name, name)


@when(parsers.parse('the Desktop confirms acceptance for "{name}" naming "{other}"'))
def confirm_acceptance_wrong(world: World, name: str, other: str) -> None:
    _confirm(world, name, other)


@given(parsers.parse('the Desktop moved the payout of "{name}" to "{status}"'))
def moved_payout(world: World, name: str, status: str) -> None:
    answer = world.answered(world.ebs.patch_status(world.payout_id(name), status))
    set_up(answer, expected=200, what=f"moving {name}'s payout to {status}")
    assert answer.json()["status"] == status, answer.text


@when(parsers.parse('the Desktop moves the payout of "{name}" to "{status}"'))
def move_payout(world: World, name: str, status: str) -> None:
    world.answered(world.ebs.patch_status(world.payout_id(name), status))


@then(parsers.parse('the payout of "{name}" is "{status}"'))
def payout_status(world: World, name: str, status: str) -> None:
    detail = world.ebs.http.get(f"/api/payouts/{world.payout_id(name)}", headers=world.ebs.desktop()).json()
    assert detail["status"] == status, detail


@then(parsers.parse('viewer "{user}" sees their last payout as "{status}"'))
def my_last(world: World, user: str, status: str) -> None:
    answer = world.ebs.http.get("/api/payouts/my-last", headers=world.ebs.bearer(user))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == status


@then(parsers.parse('viewer "{user}" has no payout'))
def no_payout_for(world: World, user: str) -> None:
    answer = world.ebs.http.get("/api/payouts/my-last", headers=world.ebs.bearer(user))
    assert answer.status_code == 404, answer.text


@then(parsers.parse('the payout of "{name}" has {count:d} status changes recorded'))
def status_changes(world: World, name: str, count: int) -> None:
    history = world.ebs.http.get(
        f"/api/payouts/{world.payout_id(name)}/events", headers=world.ebs.desktop()
    ).json()
    assert sum(1 for e in history if e["type"] == "PayoutStatusChanged") == count, history


@then(parsers.parse('the pending queue lists "{names}" in that order'))
def pending_queue(world: World, names: str) -> None:
    pending = world.ebs.http.get("/api/payouts/pending", headers=world.ebs.desktop()).json()
    assert [p["characterName"] for p in pending] == [n.strip() for n in names.split(",")]
