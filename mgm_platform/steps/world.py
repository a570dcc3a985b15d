"""The scenario's world: one EBS (started on first use) and what the steps remember.

Settings steps ("Given the rate limit is ...") change the configuration the EBS
starts with; if it is already running it is restarted on the same database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mgm_core.testing.ebs import RunningEbs


@dataclass
class World:
    make_ebs: Callable[..., RunningEbs]
    overrides: dict[str, Any] = field(default_factory=dict)
    response: httpx.Response | None = None
    responses: list[httpx.Response] = field(default_factory=list)
    cycle_id: str | None = None
    payouts: dict[str, str] = field(default_factory=dict)  # character name (case-folded) -> payout id
    claims: dict[str, str] = field(default_factory=dict)  # viewer -> last enrollment request id
    _ebs: RunningEbs | None = None
    _down: RunningEbs | None = None
    restarted: list[RunningEbs] = field(default_factory=list)  # stopped at teardown

    @property
    def ebs(self) -> RunningEbs:
        if self._ebs is None:
            self._ebs = self.make_ebs(**self.overrides)
        return self._ebs

    def configure(self, **changes: Any) -> None:
        self.overrides.update(changes)
        if self._ebs is not None:
            self._ebs.stop()
            self._ebs = None

    def ebs_down(self) -> None:
        """Stop the EBS (its port stays reserved for :meth:`ebs_back`)."""
        assert self._ebs is not None
        self._ebs.stop()
        self._down = self._ebs

    def ebs_back(self) -> None:
        assert self._down is not None, "the EBS was not stopped"
        self._ebs = self._down.restarted()
        self._down = None
        self.restarted.append(self._ebs)

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
        if key not in self.payouts:
            found = self.ebs.fetchval(
                "SELECT id FROM payouts WHERE lower(character_name) = lower($1)"
                " ORDER BY created_at DESC LIMIT 1",
                name,
            )
            assert found is not None, f"no payout known for {name}"
            self.payouts[key] = str(found)
        return self.payouts[key]


@pytest.fixture
def world(make_ebs: Callable[..., RunningEbs]) -> Iterator[World]:
    scenario = World(make_ebs)
    yield scenario
    for ebs in scenario.restarted:
        ebs.stop()
