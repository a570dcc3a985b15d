"""The evidence plugin (pytest11 entry point ``mgm_evidence``): Allure evidence in every result.

Through ``allure-pytest-bdd``'s API, for every Gherkin scenario:

* after each step, the HTTP exchanges the step made, one attachment each, secrets masked;
* at the end of the scenario, the EBS's log lines, the Helix mock's journal and the WoW
  chat-log lines (:mod:`.scenario_evidence`); on a failure also the last exchanges;
* step parameters are the step's own arguments (fixtures are not parameters);
* labels and links from the tags (:mod:`.labels`);
* once per session, the run context files (:mod:`.run_context`).

Without ``--alluredir`` every Allure call is a no-op and nothing is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import allure
import pytest

from mgm_core.testing.pytest_plugin import EBS_HTTP_OPTIONS
from mgm_platform.evidence import labels as tags
from mgm_platform.evidence import scenario_evidence
from mgm_platform.evidence.catalog import (
    LINK_PATTERN_ENV,
    LINK_PATTERN_INI,
    CatalogEntry,
    default_link_pattern,
    load_catalog,
)
from mgm_platform.evidence.exchanges import JOURNAL, HttpExchange, journaled
from mgm_platform.evidence.redaction import Redactor
from mgm_platform.evidence.run_context import write_run_context
from mgm_platform.evidence.shards import OPTION as SHARD_OPTION
from mgm_platform.evidence.shards import parse_shard, select_shard
from mgm_platform.report.console import OPTION as STEPS_OPTION
from mgm_platform.report.console import StepPrinter

LAST_EXCHANGES_ON_FAILURE = 5
# Known test credentials, masked even before an EBS reports its configuration.
KNOWN_TEST_SECRETS = ("test-desktop-api-key", "test-eventsub-secret", "helix-scenario-token")
_WORKER_DATABASE = "mgm_evidence_database"
_SHARD_KEY = pytest.StashKey[tuple[int, int]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("mgm-evidence", "MimironsGoldOMatic evidence and console").addoption(
        STEPS_OPTION,
        action="store_true",
        dest="mgm_steps",
        help="print every Gherkin step with its status as it runs (what `mgm e2e` uses)",
    )
    parser.getgroup("mgm-evidence").addoption(
        SHARD_OPTION,
        dest="mgm_shard",
        metavar="K/N",
        default=None,
        help="run only the K-th of N disjoint slices of the tests (0 <= K < N), for CI shards",
    )
    parser.addini(
        LINK_PATTERN_INI,
        "URL pattern of an SC/TC id's catalog link: {id} and {anchor} are filled in"
        f" (env {LINK_PATTERN_ENV} wins; default: docs/scenarios.md#{{anchor}} of the checkout)",
    )


def pytest_configure(config: pytest.Config) -> None:
    for line in tags.SEVERITY_MARKERS:
        config.addinivalue_line("markers", line)
    if getattr(config.option, "allure_report_dir", None):
        # Evidence only where Allure records results: without --alluredir there is no test
        # result to attach to (and an in-process pytester run must not write into the outer one's).
        config.pluginmanager.register(EvidencePlugin(config), "mgm_evidence_recorder")
        JOURNAL.recording = True
        # Every test EBS's own client journals its exchanges too (mgm_core offers the hook point).
        config.stash[EBS_HTTP_OPTIONS] = journaled
    shard = config.getoption("mgm_shard", default=None)
    if shard:
        config.stash[_SHARD_KEY] = parse_shard(shard)
    if config.getoption("mgm_steps", default=False):
        config.pluginmanager.register(StepPrinter(config), "mgm_step_printer")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard = config.stash.get(_SHARD_KEY, None)
    if shard is not None:
        select_shard(items, config, shard)


class EvidencePlugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.root = Path(config.rootpath)
        self.redactor = Redactor(KNOWN_TEST_SECRETS)
        self.entries: dict[str, CatalogEntry] = {e.id: e for e in load_catalog(self.root)}
        self.link_pattern = (
            os.environ.get(LINK_PATTERN_ENV)
            or str(config.getini(LINK_PATTERN_INI) or "")
            or default_link_pattern(self.root, os.environ)
        )
        self.database: dict[str, str] = {}
        self._failed: set[str] = set()

    @property
    def results_dir(self) -> Path | None:
        found = getattr(self.config.option, "allure_report_dir", None)
        return Path(found).resolve() if found else None

    # -- scenario start: labels and links --------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        JOURNAL.reset()  # each test's exchanges are its own

    @pytest.hookimpl(trylast=True)
    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
        self._attach_exchanges(JOURNAL.drain())  # made while the fixtures were set up
        item = request.node
        names = [mark.name for mark in item.iter_markers()]
        epic = tags.tier_epic(names)
        if epic:
            allure.dynamic.epic(epic)
        allure.dynamic.severity(tags.severity(names))
        ids = tags.catalog_ids(item)
        for cid in ids:
            allure.dynamic.label("catalog_id", cid)
            allure.dynamic.tag(cid)
        for link in tags.catalog_links(ids, self.link_pattern, self.entries):
            allure.dynamic.link(link.url, link_type=link.type, name=link.name)
        for name, value in tags.run_selection(self.config).items():
            allure.dynamic.label(name, value)

    # -- steps: readable parameters, exchanges ------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_bdd_before_step_call(
        self, request: pytest.FixtureRequest, step: Any, step_func: Any, step_func_args: dict[str, Any]
    ) -> None:
        own = _step_argument_names(request, step)
        _keep_step_parameters(self.config, step, own)

    @pytest.hookimpl(tryfirst=True)
    def pytest_bdd_after_step(self) -> None:
        self._attach_exchanges(JOURNAL.drain())

    @pytest.hookimpl(tryfirst=True)
    def pytest_bdd_step_error(self, request: pytest.FixtureRequest) -> None:
        self._failed.add(request.node.nodeid)
        self._attach_exchanges(JOURNAL.drain())

    @pytest.hookimpl(tryfirst=True)
    def pytest_bdd_step_func_lookup_error(self, request: pytest.FixtureRequest) -> None:
        self._failed.add(request.node.nodeid)

    # -- scenario end: the scenario's evidence -------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_bdd_after_scenario(self, request: pytest.FixtureRequest) -> None:
        self._attach_exchanges(JOURNAL.drain())  # made outside any step
        for evidence in scenario_evidence.gather(request, self.redactor):
            kind = allure.attachment_type.JSON if evidence.kind == "json" else allure.attachment_type.TEXT
            allure.attach(evidence.body, name=evidence.name, attachment_type=kind)
        if not self.database:
            self._note_database(request)
        if request.node.nodeid in self._failed:
            self._attach_last_exchanges()

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        # A failure raised after the steps (the after-scenario health check) gets the last
        # exchanges too; a step failure already has them.
        failed = call.excinfo is not None and not call.excinfo.errisinstance(pytest.skip.Exception)
        if call.when == "call" and failed and item.nodeid not in self._failed:
            self._attach_last_exchanges()

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self._failed.discard(nodeid)

    def _attach_exchanges(self, exchanges: list[HttpExchange]) -> None:
        for exchange in exchanges:
            allure.attach(
                exchange.render(self.redactor),
                name=exchange.title(),
                attachment_type=allure.attachment_type.TEXT,
            )

    def _attach_last_exchanges(self) -> None:
        last = JOURNAL.scenario()[-LAST_EXCHANGES_ON_FAILURE:]
        if not last:
            return
        body = "\n\n" + "\n\n".join("-" * 72 + "\n" + e.render(self.redactor) for e in last)
        allure.attach(
            f"The last {len(last)} HTTP exchanges of the scenario, oldest first:{body}",
            name="Last HTTP exchanges before the failure",
            attachment_type=allure.attachment_type.TEXT,
        )

    def _note_database(self, request: pytest.FixtureRequest) -> None:
        for ebs in scenario_evidence.ebs_instances(request):
            try:
                version = ebs.fetchval("SHOW server_version")
            except Exception:  # a stopped EBS cannot answer; the next scenario will
                continue
            self.database = {"kind": database_kind(ebs.config.database_url), "server_version": str(version)}
            return

    # -- session: run context (controller only) -------------------------------------------
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: hand the database facts to the controller
            workeroutput[_WORKER_DATABASE] = dict(self.database)
            return
        results = self.results_dir
        if results is None or self.config.option.collectonly:
            return
        write_run_context(results, self.root, tags.run_selection(self.config), self.database, os.environ)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        found = getattr(node, "workeroutput", {}).get(_WORKER_DATABASE)
        if found and not self.database:
            self.database = dict(found)


def database_kind(dsn: str) -> str:
    """Which PostgreSQL served the run, without credentials: embedded (a socket) or a server's address."""
    parts = urlsplit(dsn)
    socket = parse_qs(parts.query).get("host", [""])[0]
    if socket.startswith("/") or not parts.hostname:
        return "embedded PostgreSQL (unix socket)"
    return f"PostgreSQL server at {parts.hostname}:{parts.port or 5432}"


def _step_argument_names(request: pytest.FixtureRequest, step: Any) -> set[str]:
    """The names the step's text supplies (parsed arguments, doc string, data table)."""
    from pytest_bdd.scenario import get_step_function

    context = get_step_function(request=request, step=step)
    names = {"docstring", "datatable"}
    if context is not None:
        names.update(context.parser.parse_arguments(step.name) or {})
    return names


def _keep_step_parameters(config: pytest.Config, step: Any, keep: set[str]) -> None:
    """Drop fixture values from the Allure step's parameters (allure-pytest-bdd lists every argument)."""
    lifecycle = _allure_lifecycle(config)
    if lifecycle is None:
        return
    from allure_pytest_bdd.steps import get_step_uuid

    with lifecycle.update_step(uuid=get_step_uuid(step)) as result:
        if result is not None:
            result.parameters = [p for p in result.parameters if p.name in keep]


def _allure_lifecycle(config: pytest.Config) -> Any:
    for plugin in config.pluginmanager.get_plugins():
        if type(plugin).__name__ == "PytestBDDListener":
            return getattr(plugin, "lifecycle", None)
    return None
