"""``mgm e2e``: boot an embedded PostgreSQL, run the Gherkin scenarios, summarise.

Every scenario starts its own EBS (and mocks) on free loopback ports against a
fresh clone of a migrated database on the server booted here, so a run never
touches the operator's data and can run beside a live stack.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from pathlib import Path

import mgm_platform
from mgm_core.port_range import PORTS_ENV, PortRange


def find_features() -> Path:
    """The project's features: shipped in the wheel, else the checkout's ``features/`` (editable install)."""
    package = Path(mgm_platform.__file__).resolve().parent
    for candidate in (package / "project_features", package.parent / "features"):
        if candidate.is_dir() and any(candidate.rglob("*.feature")):
            return candidate
    raise FileNotFoundError(
        f"no feature files shipped in {package / 'project_features'}: reinstall the package"
    )


class _Tally:
    """A tiny pytest plugin that counts outcomes per tier for the closing summary."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.tiers: Counter[tuple[str, str]] = Counter()
        self.failed: list[str] = []

    def pytest_runtest_logreport(self, report) -> None:  # noqa: ANN001 - pytest's hook signature
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            outcome = report.outcome
            self.outcomes[outcome] += 1
            tier = next((k for k in report.keywords if k.startswith("tier_")), "untiered")
            self.tiers[(tier, outcome)] += 1
            if outcome == "failed":
                self.failed.append(report.nodeid)


def run_e2e(
    marker: str,
    alluredir: str,
    extra: list[str],
    *,
    profile: str | None = None,
    keyword: str | None = None,
    workers: str | None = None,
    ports: PortRange | None = None,
) -> int:
    """Run the scenarios; with ``ports`` every service they start listens on a port of that range."""
    import pytest

    from mgm_core.db.embedded import EmbeddedPostgresUnavailable
    from mgm_core.testing.postgres import embedded_test_server

    try:
        features = find_features()
    except FileNotFoundError as exc:
        print(f"mgm e2e: {exc}", file=sys.stderr)
        return 2
    allure = Path(alluredir).resolve()
    cluster = contextlib.ExitStack()  # the run's throw-away embedded cluster, removed at the end
    env_backup = os.environ.get("MGM_TEST_DATABASE_URL")
    ports_backup = os.environ.get(PORTS_ENV)
    try:
        if ports is not None:
            os.environ[PORTS_ENV] = str(ports)  # read by mgm_core.serving.start_site (and xdist workers)
            print(f"mgm e2e: services listen on ports {ports}")
        if os.environ.get("MGM_DATABASE_URL"):
            os.environ["MGM_TEST_DATABASE_URL"] = os.environ["MGM_DATABASE_URL"]
            print("mgm e2e: using the PostgreSQL server of MGM_DATABASE_URL")
        elif not env_backup:
            # The test suite's own scratch cluster: non-durable, in /dev/shm where the machine
            # has room, stamped with its owner (so `mgm clean` can tell a killed run's), and removed.
            print("mgm e2e: starting embedded PostgreSQL ...", flush=True)
            try:
                server = cluster.enter_context(embedded_test_server())
                os.environ["MGM_TEST_DATABASE_URL"] = server.dsn
                print(f"mgm e2e: embedded PostgreSQL in {server.data_dir}", flush=True)
            except EmbeddedPostgresUnavailable as exc:
                print(f"mgm e2e: {exc}", file=sys.stderr)
                return 2
        tally = _Tally()
        args = [
            str(features),
            "-m",
            marker,
            *(["-k", keyword] if keyword else []),
            # xdist by default: the scenarios are independent; --mgm-steps keeps the output readable.
            "-n",
            workers or "auto",
            *(["--mgm-profile", profile] if profile else []),
            "--mgm-steps",
            "-q",
            "--rootdir",
            str(features.parent),
            "--strict-markers",
            f"--alluredir={allure}",
            "--clean-alluredir",
            "-p",
            "no:cacheprovider",
            *[a for a in extra if a != "--"],
        ]
        code = pytest.main(args, plugins=[tally])
    finally:
        cluster.close()
        if env_backup is None:
            os.environ.pop("MGM_TEST_DATABASE_URL", None)
        if ports_backup is None:
            os.environ.pop(PORTS_ENV, None)
        else:
            os.environ[PORTS_ENV] = ports_backup

    print("\n=== mgm e2e summary ===")
    for (tier, outcome), count in sorted(tally.tiers.items()):
        print(f"  {tier:<10} {outcome:<8} {count}")
    total = ", ".join(f"{n} {o}" for o, n in sorted(tally.outcomes.items())) or "no scenarios ran"
    print(f"  total: {total}")
    for nodeid in tally.failed:
        print(f"  FAILED {nodeid}")
    from mgm_platform.report.command import announce_outputs

    announce_outputs(allure)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("mgm e2e: no scenario matched the marker expression", file=sys.stderr)
    return int(code)
