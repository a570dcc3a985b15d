"""Live Gherkin steps on the console (``--mgm-steps``, what ``mgm e2e`` turns on).

Each scenario prints its feature (when it changes), its name and tags, then every step
with its status as the step ends, and its outcome. In one process the lines go straight
to the terminal. Under xdist a worker cannot reach the terminal, so it keeps the
scenario's lines and hands them over with the test report; the controller prints them
as one block, so scenarios of different workers never interleave.
"""

from __future__ import annotations

from typing import Any

import pytest

OPTION = "--mgm-steps"
_LINES_KEY = "mgm_steps"
_SCENARIO_KEY = "mgm_scenario"
_STATUS = {"passed": "✔", "failed": "✘", "error": "✘", "undefined": "?", "skipped": "-"}


class StepPrinter:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.in_worker = hasattr(config, "workerinput")
        self._lines: dict[str, list[str]] = {}
        self._done: dict[str, set[int]] = {}
        self._last_feature: str | None = None
        self._outcomes: dict[str, str] = {}

    # -- collecting the lines ---------------------------------------------------------
    def _emit(self, nodeid: str, line: str) -> None:
        if self.in_worker:
            self._lines.setdefault(nodeid, []).append(line)
        else:
            self._write(line)

    def _write(self, line: str) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if terminal is None:
            return
        if capture is not None:
            with capture.global_and_fixture_disabled():
                terminal.write_line(line)
        else:
            terminal.write_line(line)

    def _feature_line(self, feature: Any) -> str | None:
        name = f"Feature: {feature.name}"
        if not self.in_worker and name == self._last_feature:
            return None
        self._last_feature = name
        return name

    @pytest.hookimpl(trylast=True)
    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
        nodeid = request.node.nodeid
        self._done[nodeid] = set()
        heading = self._feature_line(feature)
        if heading:
            self._emit(nodeid, "")
            self._emit(nodeid, heading)
        tags = sorted(set(scenario.tags) | set(feature.tags))
        suffix = "  " + " ".join(f"@{t}" for t in tags) if tags else ""
        self._emit(nodeid, f"  Scenario: {scenario.name}{suffix}")

    def _step(self, request: pytest.FixtureRequest, step: Any, status: str, detail: str = "") -> None:
        nodeid = request.node.nodeid
        self._done.setdefault(nodeid, set()).add(id(step))
        text = f"    {_STATUS[status]} {step.keyword} {step.name}"
        self._emit(nodeid, f"{text}  — {status}: {detail}" if detail else text)

    @pytest.hookimpl(trylast=True)
    def pytest_bdd_after_step(self, request: pytest.FixtureRequest, step: Any) -> None:
        self._step(request, step, "passed")

    @pytest.hookimpl(trylast=True)
    def pytest_bdd_step_error(
        self, request: pytest.FixtureRequest, step: Any, exception: BaseException
    ) -> None:
        first = next((line for line in str(exception).splitlines() if line.strip()), "")
        self._step(request, step, "failed", f"{type(exception).__name__}: {first}"[:200])

    @pytest.hookimpl(trylast=True)
    def pytest_bdd_step_func_lookup_error(self, request: pytest.FixtureRequest, step: Any) -> None:
        self._step(request, step, "undefined", "no step definition matches")

    @pytest.hookimpl(trylast=True)
    def pytest_bdd_after_scenario(self, request: pytest.FixtureRequest, scenario: Any) -> None:
        nodeid = request.node.nodeid
        done = self._done.pop(nodeid, set())
        for step in scenario.steps:
            if id(step) not in done:
                self._emit(nodeid, f"    {_STATUS['skipped']} {step.keyword} {step.name}  (not run)")

    # -- the outcome line and the hand-over to the controller ----------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report = outcome.get_result()
        if "_pytest_bdd_example" in getattr(item, "fixturenames", ()) and _SCENARIO_KEY not in dict(
            report.user_properties
        ):
            report.user_properties.append((_SCENARIO_KEY, True))
        if report.when != "teardown" or item.nodeid not in self._lines:
            return
        lines = self._lines.pop(item.nodeid)
        report.user_properties.append((_LINES_KEY, lines))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.in_worker or not _is_scenario(report):
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            word = "SKIPPED" if report.skipped else report.outcome.upper()
            reason = f": {_skip_reason(report)}" if report.skipped else ""
            self._outcomes[report.nodeid] = f"    → {word}{reason}"
        if report.when != "teardown":
            return
        for key, lines in report.user_properties:
            if key == _LINES_KEY:
                if len(lines) > 1 and lines[1] == self._last_feature:
                    lines = lines[2:]  # the same feature as the block before
                elif len(lines) > 1 and lines[1].startswith("Feature: "):
                    self._last_feature = lines[1]
                for line in lines:
                    self._write(line)
        outcome = self._outcomes.pop(report.nodeid, None)
        if not report.passed:
            last = report.longreprtext.strip().splitlines()
            outcome = f"    → ERROR at teardown: {last[-1] if last else ''}"
        if outcome:
            self._write(outcome)

    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        """Scenarios speak for themselves: no progress letter for them."""
        if _is_scenario(report) and report.when == "call":
            return report.outcome, "", ""
        return None


def _is_scenario(report: pytest.TestReport) -> bool:
    return any(key == _SCENARIO_KEY for key, _ in report.user_properties)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")
