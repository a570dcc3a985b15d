"""An Allure results folder, read back: one :class:`ScenarioResult` per test, plus the run context."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mgm_platform.evidence.run_context import read_properties

STATUSES = ("passed", "failed", "broken", "skipped", "unknown")
UNTIERED = "untiered"


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    full_name: str
    status: str
    message: str
    labels: tuple[tuple[str, str], ...]
    history_id: str
    stop: int
    failing_step: str | None = None

    def label(self, name: str, default: str = "") -> str:
        return next((value for key, value in self.labels if key == name), default)

    def all_labels(self, name: str) -> list[str]:
        return [value for key, value in self.labels if key == name]

    @property
    def tier(self) -> str:
        return self.label("epic", UNTIERED)

    @property
    def profile(self) -> str:
        return self.label("profile", "local")

    @property
    def feature(self) -> str:
        return self.label("feature", "")

    @property
    def catalog_ids(self) -> list[str]:
        return sorted(set(self.all_labels("catalog_id")))

    def reason(self, limit: int = 160) -> str:
        """One line: the failing step and the first line of the message."""
        first = next((line.strip() for line in self.message.splitlines() if line.strip()), "")
        text = (
            f"{self.failing_step}: {first}"
            if self.failing_step and first
            else (first or self.failing_step or "")
        )
        text = text or "(no message)"
        return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class RunResults:
    folder: Path
    scenarios: list[ScenarioResult] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    executor: dict[str, Any] = field(default_factory=dict)

    def counts(self, results: Iterable[ScenarioResult] | None = None) -> dict[str, int]:
        found = dict.fromkeys(STATUSES, 0)
        for result in self.scenarios if results is None else results:
            found[result.status if result.status in found else "unknown"] += 1
        return found

    def tiers(self) -> list[str]:
        return sorted({r.tier for r in self.scenarios})

    def profiles(self) -> list[str]:
        return sorted({r.profile for r in self.scenarios}) or ["local"]

    @property
    def problems(self) -> list[ScenarioResult]:
        return [r for r in self.scenarios if r.status in ("failed", "broken")]


class ResultsError(Exception):
    """The folder is missing or holds no Allure result."""


def _failing_step(steps: list[dict[str, Any]]) -> str | None:
    for step in steps or []:
        if step.get("status") in ("failed", "broken"):
            return str(step.get("name", ""))
    return None


def _scenario(data: dict[str, Any]) -> ScenarioResult:
    details = data.get("statusDetails") or {}
    return ScenarioResult(
        name=str(data.get("name", "")),
        full_name=str(data.get("fullName", data.get("name", ""))),
        status=str(data.get("status") or "unknown"),
        message=str(details.get("message") or ""),
        labels=tuple((str(label.get("name")), str(label.get("value"))) for label in data.get("labels", [])),
        history_id=str(data.get("historyId") or data.get("fullName") or data.get("uuid")),
        stop=int(data.get("stop") or 0),
        failing_step=_failing_step(data.get("steps", [])),
    )


def load_results(folder: Path) -> RunResults:
    """Read ``*-result.json``; a test run twice (a retry, overlapping shards) counts once, its last run."""
    if not folder.is_dir():
        raise ResultsError(f"no Allure results folder at {folder}")
    latest: dict[str, ScenarioResult] = {}
    for path in sorted(folder.glob("*-result.json")):
        try:
            scenario = _scenario(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, OSError) as exc:
            raise ResultsError(f"{path} is not an Allure result: {exc}") from None
        kept = latest.get(scenario.history_id)
        if kept is None or scenario.stop >= kept.stop:
            latest[scenario.history_id] = scenario
    if not latest:
        raise ResultsError(f"{folder} holds no Allure result (*-result.json); run `mgm e2e` first")
    run = RunResults(folder, sorted(latest.values(), key=lambda r: (r.tier, r.full_name)))
    environment = folder / "environment.properties"
    if environment.is_file():
        run.environment = read_properties(environment.read_text(encoding="utf-8"))
    executor = folder / "executor.json"
    if executor.is_file():
        try:
            run.executor = json.loads(executor.read_text(encoding="utf-8"))
        except ValueError:
            run.executor = {}
    return run
