"""The run's context beside its results: ``environment.properties``, ``executor.json``, ``categories.json``.

Written once per session by the controlling pytest process (not by xdist workers) into
the ``--alluredir`` folder; each shard of a CI run writes the same files, so merged
folders keep one copy.
"""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "mimirons-gold-o-matic"

# First match wins (Allure tries categories in order). Product and test defects follow
# Allure's statuses: an AssertionError (a Then step's check, or a Given step's check that
# the product accepted the set-up) makes a result *failed*, any other exception *broken*.
# `[\s\S]*` rather than `(?s).*`: Allure 2 (Java), Allure 3 (JavaScript) and Python read it alike.
INFRASTRUCTURE_MESSAGE = (
    r"[\s\S]*(ConnectError|ConnectTimeout|ConnectionRefused|ConnectionResetError|ClientConnectorError"
    r"|EmbeddedPostgresUnavailable|CannotConnectNow|could not connect|unreachable"
    r"|Address already in use)[\s\S]*"
)
CAPABILITY_SKIP_MESSAGE = (
    r"[\s\S]*(does not offer|cannot offer|credentials not (set|declared)|capability)[\s\S]*"
)

CATEGORIES: list[dict[str, object]] = [
    {
        "name": "Infrastructure (a backend was unreachable)",
        "matchedStatuses": ["broken", "failed"],
        "messageRegex": INFRASTRUCTURE_MESSAGE,
    },
    {
        "name": "Product defects (an assertion on the product's behaviour failed)",
        "matchedStatuses": ["failed"],
    },
    {
        "name": "Test defects (a step or fixture raised)",
        "matchedStatuses": ["broken"],
    },
    {
        "name": "Capability skips (the chosen backend cannot run it)",
        "matchedStatuses": ["skipped"],
        "messageRegex": CAPABILITY_SKIP_MESSAGE,
    },
    {"name": "Other skips", "matchedStatuses": ["skipped"]},
]


def distribution_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def git_commit(root: Path, environ: Mapping[str, str]) -> str | None:
    """The commit under test: CI's variable, else ``git rev-parse HEAD`` in the checkout."""
    if environ.get("GITHUB_SHA"):
        return environ["GITHUB_SHA"]
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = found.stdout.strip()
    if found.returncode != 0 or not commit:
        return None
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )
    return commit + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def environment(
    root: Path, selection: Mapping[str, str], database: Mapping[str, str], environ: Mapping[str, str]
) -> dict[str, str]:
    """The ``environment.properties`` entries, in the order a reader looks for them."""
    found = {"mgm.version": distribution_version(), "git.commit": git_commit(root, environ) or "unknown"}
    found["profile"] = selection.get("profile", "local")
    found.update({f"backend.{role}": value for role, value in selection.items() if role != "profile"})
    found["database.kind"] = database.get("kind", "not used")
    found["database.server_version"] = database.get("server_version", "not used")
    found["python"] = f"{platform.python_implementation()} {platform.python_version()}"
    found["os"] = f"{platform.system()} {platform.release()} ({platform.machine()})"
    return found


def properties_text(values: Mapping[str, str]) -> str:
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("\n", " ").replace("=", "\\=").replace(":", "\\:")

    return "".join(f"{key}={escape(value)}\n" for key, value in values.items())


def read_properties(text: str) -> dict[str, str]:
    """The inverse of :func:`properties_text` (enough of Java's format for our own files)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "!")):
            continue
        key, _, value = line.partition("=")
        found[key.strip()] = value.replace("\\:", ":").replace("\\=", "=").replace("\\\\", "\\").strip()
    return found


def executor(environ: Mapping[str, str]) -> dict[str, object] | None:
    """``executor.json`` for a GitHub Actions run; ``None`` outside CI."""
    if environ.get("GITHUB_ACTIONS") != "true":
        return None
    server = environ.get("GITHUB_SERVER_URL", "https://github.com")
    repository = environ.get("GITHUB_REPOSITORY", "")
    run_id = environ.get("GITHUB_RUN_ID", "")
    number = environ.get("GITHUB_RUN_NUMBER", "")
    workflow = environ.get("GITHUB_WORKFLOW", "workflow")
    job = environ.get("GITHUB_JOB", "")
    found: dict[str, object] = {
        "name": "GitHub Actions",
        "type": "github",
        "url": f"{server}/{repository}",
        "buildName": f"{workflow} #{number}" + (f" ({job})" if job else ""),
        "buildUrl": f"{server}/{repository}/actions/runs/{run_id}",
        "reportName": f"{repository} {environ.get('GITHUB_REF_NAME', '')}".strip(),
    }
    if number.isdigit():
        found["buildOrder"] = int(number)
    return found


def write_run_context(
    results: Path,
    root: Path,
    selection: Mapping[str, str],
    database: Mapping[str, str],
    environ: Mapping[str, str],
) -> None:
    results.mkdir(parents=True, exist_ok=True)
    values = environment(root, selection, database, environ)
    (results / "environment.properties").write_text(properties_text(values), encoding="utf-8")
    (results / "categories.json").write_text(json.dumps(CATEGORIES, indent=2) + "\n", encoding="utf-8")
    ci = executor(environ)
    if ci is not None:
        (results / "executor.json").write_text(json.dumps(ci, indent=2) + "\n", encoding="utf-8")
