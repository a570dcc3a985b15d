"""The test platform as a pytest plugin (``pytest11`` entry point ``mgm_platform``).

It registers the ``tier_a``/``tier_b``/``tier_c``/``slow``/``scenario_id``
markers, turns ``@SC-nnn``/``@TC-nnn`` tags into ``scenario_id`` marks, collects
every ``.feature`` file as a module of scenarios, loads the step library
(:mod:`mgm_platform.steps`), resolves the ``--mgm-*`` choices and profiles,
skips a scenario whose steps need a capability the chosen backends lack, and
answers a step that matches nothing with the closest documented phrases.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

from mgm_platform import backends, options, stackfile
from mgm_platform.collect import FeatureFile
from mgm_platform.needs import step_needs
from mgm_platform.suggest import closest
from mgm_platform.target.spec import TargetSpec

pytest_plugins = [
    "mgm_platform.target.fixtures",
    "mgm_platform.steps.world",
    "mgm_platform.steps.common",
    "mgm_platform.steps.enrollment",
    "mgm_platform.steps.roulette",
    "mgm_platform.steps.helix",
    "mgm_platform.steps.wow",
    "mgm_platform.steps.seed",
    "mgm_platform.steps.tier_c",
]

MARKERS = (
    "tier_a: EBS + PostgreSQL over HTTP; the outside world is test code",
    "tier_b: tier A plus the Helix mock and the Desktop/WoW stand-ins",
    "tier_c: real Twitch / WoW clients; skipped unless their credentials are declared",
    "slow: takes more than a few seconds",
    "scenario_id(id): the SC/TC catalog id a Gherkin scenario encodes (docs/scenarios.md)",
    "server_error_expected: the scenario provokes a 5xx or an unhandled EBS error on purpose",
)
SCENARIO_ID = re.compile(r"^(SC|TC)-\d{3}$")


@dataclass(frozen=True)
class Platform:
    """What this session runs against: the resolved choices and the backend of each role."""

    selection: options.Selection
    table: backends.BackendTable
    chosen: dict[str, backends.Backend]
    environ: dict[str, str]
    stack: stackfile.StackFile | None = None

    @property
    def target(self) -> TargetSpec | None:
        """The shared EBS the scenarios drive over HTTP (``None``: one in process per scenario)."""
        if self.stack is not None:
            return TargetSpec.from_stack(self.stack)
        if self.chosen["ebs"].name == "url":
            return TargetSpec.from_url(self.selection["ebs"], self.environ)
        return None

    def missing(self, capability: str) -> str | None:
        """``None`` when the chosen backend offers ``capability``, else the skip reason."""
        role = backends.CAPABILITIES[capability][0]
        backend = self.chosen[role]
        if not backend.offers(capability, self.environ):
            return backends.skip_reason(backend, capability, self.table, self.environ)
        return self._target_lacks(capability)

    def _target_lacks(self, capability: str) -> str | None:
        """What a shared target cannot do although its backend declares it (it depends on the target)."""
        target = self.target
        if target is None:
            return None
        meaning = backends.CAPABILITIES[capability][1]
        where = (
            f"the stack of {self.stack.path}" if self.stack is not None else f"the EBS at {target.ebs_url}"
        )
        if capability == "clock.move" and target.virtual_clock is False:
            return (
                f"{where} runs on the system clock, so it does not offer clock.move ({meaning});"
                " start it with `mgm stack up --virtual-clock`"
            )
        if capability == "clock.move" and target.bridge_injector not in (None, "record"):
            return (
                f"{where} runs a Desktop bridge that types into its WoW simulator (injector"
                f" {target.bridge_injector}) and answers every drawn candidate itself, so it does not"
                f" offer clock.move ({meaning}) to a scenario; start it with MGM_DESKTOP_INJECTOR=record"
            )
        if capability in ("helix.observe", "helix.faults") and "helix" not in target.urls:
            if self.stack is not None:
                return (
                    f"{where} names no Helix mock (urls.helix), so it does not offer {capability} ({meaning})"
                )
            return (
                f"{where} announces to a Helix the platform cannot read, so it does not offer"
                f" {capability} ({meaning}); provided by --mgm-ebs local or --mgm-ebs stack"
            )
        return None


PLATFORM = pytest.StashKey[Platform]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mgm-platform", "MimironsGoldOMatic test platform (docs/platform.md)")
    group.addoption(
        options.option_name("profile"), dest="mgm_profile", metavar="NAME",
        help=f"{options.PROFILE_HELP} (env MGM_PROFILE, ini mgm_profile; default local)",
    )  # fmt: skip
    parser.addini(options.ini_name("profile"), options.PROFILE_HELP)
    for name, (default, meaning) in options.CHOICES.items():
        group.addoption(
            options.option_name(name), dest=f"mgm_{name}", metavar=name.upper(),
            help=f"{meaning} (env {options.env_name(name)}, ini {options.ini_name(name)}; default {default})",
        )  # fmt: skip
        parser.addini(options.ini_name(name), meaning)
    parser.addini(
        "mgm_collect_features", "collect .feature files as scenario modules (default true)", type="bool",
        default=True,
    )  # fmt: skip


def _platform(config: pytest.Config) -> Platform:
    names = ["profile", *options.CHOICES]
    cli = {name: config.getoption(f"mgm_{name}", None) for name in names}
    ini = {name: str(config.getini(options.ini_name(name)) or "") for name in names}
    environ = dict(os.environ)
    try:
        profiles = options.all_profiles(config.rootpath)
        selection = options.resolve(cli, ini, environ, profiles)
        table = backends.load_backends()
        chosen = {role: _select(table, selection, role, profiles) for role in backends.ROLES}
        stack = None
        if selection["ebs"] == "stack":
            stack = stackfile.read(Path(config.invocation_params.dir, selection["stack"]))
    except (options.ChoiceError, backends.BackendError, stackfile.StackFileError) as exc:
        raise pytest.UsageError(f"mgm: {exc}") from None
    return Platform(selection, table, chosen, environ, stack)


def _select(
    table: backends.BackendTable,
    selection: options.Selection,
    role: str,
    profiles: dict[str, dict[str, str]],
) -> backends.Backend:
    """The backend of ``role``. A profile whose EBS is an unset variable (staging's
    ``$MGM_STAGING_EBS_URL``) selects the URL backend, needing that variable, so
    scenarios are skipped naming it instead of the run stopping."""
    value = selection[role]
    if role == "ebs" and not value and selection.sources[role] == f"profile {selection.profile}":
        variables = options.variables_in(profiles[selection.profile].get(role, ""))
        url = table.select(role, "https://")
        return dataclasses.replace(url, credentials=(*url.credentials, *variables))
    return table.select(role, value)


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    config.stash[PLATFORM] = _platform(config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    platform = config.stash[PLATFORM]
    lines = [f"mgm: {platform.selection.describe()}"]
    if platform.stack is not None:
        clock = "virtual" if platform.stack.virtual_clock else "system"
        lines.append(f"mgm: stack {platform.stack.path}: EBS {platform.stack.ebs_url}, {clock} clock")
    return lines


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".feature" and parent.config.getini("mgm_collect_features"):
        return FeatureFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> bool | None:
    """Catalog ids (``@SC-005``, ``@TC-013``) become ``scenario_id`` marks, not markers of their own."""
    if SCENARIO_ID.match(tag):
        pytest.mark.scenario_id(tag)(function)
        return True
    return None


def _definitions(step_type: str) -> list[StepFunctionContext]:
    return [c for c in list(step_function_context_registry.values()) if c.type in (None, step_type)]


def _scenario_steps(item: pytest.Item) -> list[Any]:
    template = scenario_wrapper_template_registry.get(getattr(item, "obj", None))  # type: ignore[arg-type]
    if template is None:
        return []
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example", {}) if callspec is not None else {}
    return list(template.render(example).steps)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a scenario whose steps need a capability the chosen backends do not offer."""
    platform = item.config.stash.get(PLATFORM, None)
    if platform is None:
        return
    needed: set[str] = set()
    for step in _scenario_steps(item):
        for definition in _definitions(step.type):
            if definition.parser.is_matching(step.name):
                needed |= step_needs(definition.step_func)
                break
    reasons = [reason for capability in sorted(needed) if (reason := platform.missing(capability))]
    if reasons:
        pytest.skip("; ".join(dict.fromkeys(reasons)))


def pytest_bdd_step_func_lookup_error(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, exception: Exception
) -> None:
    """Fail an unmatched step with its file and line and the closest documented phrases."""
    phrases = [c.parser.name for c in _definitions(step.type) if isinstance(c.parser.name, str)]
    suggestions = closest(step.name, phrases)
    hint = (
        "did you mean: " + " | ".join(f"{step.keyword.strip()} {p}" for p in suggestions)
        if suggestions
        else "no documented phrase is close (`mgm steps` lists them)"
    )
    pytest.fail(
        f'{feature.filename}:{step.line_number}: no step matches "{step.keyword.strip()} {step.name}"'
        f" (scenario {scenario.name!r}); {hint}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def mgm_platform(pytestconfig: pytest.Config) -> Platform:
    """The session's choices (``.selection``) and the backend chosen for each role (``.chosen``)."""
    return pytestconfig.stash[PLATFORM]
