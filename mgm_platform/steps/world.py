"""The scenario's world: one EBS (started on first use) and what the steps remember.

Settings steps ("Given the rate limit is ...") change the configuration the EBS
starts with; if it is already running it is restarted on the same database.
On a shared target (``--mgm-ebs stack`` or a URL) the world's EBS is the
``mgm_target`` driver instead: held, reset and driven over HTTP; settings steps
change the running target through ``POST /api/e2e/config`` (the reset before the
next scenario puts its start-up settings back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mgm_core.testing.ebs import RunningEbs
from mgm_platform.target.remote import RemoteEbs


@dataclass
class World:
    make_ebs: Callable[..., RunningEbs]
    overrides: dict[str, Any] = field(default_factory=dict)
    response: httpx.Response | None = None
    responses: list[httpx.Response] = field(default_factory=list)
    cycle_id: str | None = None
    drawn: list[str] = field(default_factory=list)  # candidates' names, cycle after cycle
    payouts: dict[str, str] = field(default_factory=dict)  # character name (case-folded) -> payout id
    claims: dict[str, str] = field(default_factory=dict)  # viewer -> last enrollment request id
    _ebs: RunningEbs | None = None
    _down: RunningEbs | None = None
    target: RemoteEbs | None = None  # the shared target, when the scenario runs on one
    restarted: list[RunningEbs] = field(default_factory=list)  # stopped at teardown
    started: list[RunningEbs] = field(default_factory=list)  # every EBS of the scenario, for its health

    @property
    def remote(self) -> RemoteEbs | None:
        """The shared target's driver, or ``None`` when the scenario runs its own EBS."""
        return self.target

    @property
    def ebs(self) -> RunningEbs:
        if self._ebs is None:
            self._ebs = self.make_ebs(**self.overrides)
            self.started.append(self._ebs)
        return self._ebs

    def configure(self, **changes: Any) -> None:
        if self.target is not None:
            self.target.configure(**changes)  # the running target, from its next request on
            return
        self.overrides.update(changes)
        if self._ebs is not None:
            self._ebs.stop()
            self._ebs = None

    def ebs_down(self) -> None:
        """Stop the EBS (its port stays reserved for :meth:`ebs_back`); on a shared target the
        Desktop's way to it is closed instead (the target serves other clients)."""
        if self.target is not None:
            self.target.outage()
            return
        assert self._ebs is not None
        self._ebs.stop()
        self._down = self._ebs

    def ebs_back(self) -> None:
        if self.target is not None:
            self.target.outage_over()
            return
        assert self._down is not None, "the EBS was not stopped"
        self._ebs = self._down.restarted()
        self._down = None
        self.restarted.append(self._ebs)
        self.started.append(self._ebs)

    def answered(self, response: httpx.Response) -> httpx.Response:
        self.response = response
        self.responses.append(response)
        return response

    def last(self) -> httpx.Response:
        assert self.response is not None, "no request was made yet"
        return self.response

    def payout_id(self, name: str) -> str:
        """The newest payout of the character (remembered, else looked up in the database)."""
        key = name.casefold()
        if key not in self.payouts and self.remote is not None:
            remote_found = self.remote.payout_id_of(name)
            assert remote_found is not None, f"no Pending or InProgress payout known for {name}"
            self.payouts[key] = remote_found
        if key not in self.payouts:
            found = self.ebs.fetchval(
                "SELECT id FROM payouts WHERE lower(character_name) = lower($1)"
                " ORDER BY created_at DESC LIMIT 1",
                name,
            )
            assert found is not None, f"no payout known for {name}"
            self.payouts[key] = str(found)
        return self.payouts[key]

    def pool_size(self) -> int:
        if self.remote is not None:
            return self.remote.pool_size()
        return int(self.ebs.fetchval("SELECT count(*) FROM pool_entries"))

    def payouts_seen(self) -> list[str]:
        """Every payout the EBS holds (for "no payout exists"), described."""
        if self.remote is not None:
            return self.remote.payouts_seen()
        count = self.ebs.fetchval("SELECT count(*) FROM payouts")
        return [f"{count} payout rows"] if count else []

    def health_problems(self) -> list[str]:
        return [problem for ebs in self.started for problem in ebs.health.problems()]

    def health_report(self) -> str:
        return "\n\n".join(ebs.health.report() for ebs in self.started) or "(no EBS was started)"


def set_up(answer: httpx.Response, *, expected: int, what: str) -> None:
    """A ``Given`` holds only if what it set up was accepted."""
    got = f"{answer.status_code} {answer.text}"
    assert answer.status_code == expected, f"{what}: expected {expected}, got {got}"


# A scenario that provokes a 5xx or an unhandled error on purpose says so with this tag.
EXPECTS_SERVER_ERROR = "server_error_expected"
_STEP_FAILED = pytest.StashKey[bool]()


def pytest_bdd_step_error(request: pytest.FixtureRequest, **_: Any) -> None:
    request.node.stash[_STEP_FAILED] = True


def pytest_bdd_after_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """Seed §6.6: after every scenario, the EBS answered no 5xx and logged no unhandled error."""
    if "world" not in request.fixturenames:
        return
    world: World = request.getfixturevalue("world")
    problems = world.health_problems()
    if request.node.stash.get(_STEP_FAILED, False):
        # The step's own failure is the story; the EBS's log goes beside it.
        request.node.add_report_section("call", "EBS log", world.health_report())
        return
    if problems and EXPECTS_SERVER_ERROR not in (set(scenario.tags) | set(feature.tags)):
        raise AssertionError(world.health_report())


@pytest.fixture
def world(request: pytest.FixtureRequest, mgm_platform: Any) -> Iterator[World]:
    if mgm_platform.target is None:
        make_ebs: Callable[..., RunningEbs] = request.getfixturevalue("make_ebs")
        scenario = World(make_ebs)
    else:
        target: RemoteEbs = request.getfixturevalue("mgm_target")

        def shared(**overrides: Any) -> Any:
            assert not overrides, f"a shared target cannot be configured per scenario: {overrides}"
            return target

        scenario = World(shared, target=target)
    yield scenario
    for ebs in scenario.restarted:
        ebs.stop()
