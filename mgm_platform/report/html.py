"""The HTML report, rendered by the Allure 3 command-line tool from the npm registry (``npx allure``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ALLURE_PACKAGE = "allure@3"
RENDER_TIMEOUT_S = 600
HISTORY_FILE = "history.jsonl"


@dataclass(frozen=True)
class HtmlOutcome:
    index: Path | None  # the rendered index.html, or None
    note: str  # one line for the console: where it is, or how to get it
    npx_missing: bool = False


def how_to_render(results: Path, out: Path) -> str:
    return (
        f"no HTML report: Node.js (npx) is not installed; install Node.js 20+ and run "
        f"`npx --yes {ALLURE_PACKAGE} generate {results} -o {out}` (or `mgm report` again)"
    )


def allurerc(name: str, history: Path | None, categories: list[dict[str, Any]]) -> dict[str, object]:
    """Allure 3's configuration: it reads categories from here, not from the results' categories.json."""
    config: dict[str, object] = {"name": name}
    if history is not None:
        config["historyPath"] = str((history / HISTORY_FILE).resolve())
    if categories:
        config["categories"] = {"rules": [_rule(category) for category in categories]}
    return config


def _rule(category: dict[str, Any]) -> dict[str, Any]:
    """A ``categories.json`` entry (Allure 2's format) as an Allure 3 category rule."""
    matchers: dict[str, Any] = {}
    if "matchedStatuses" in category:
        matchers["statuses"] = list(category["matchedStatuses"])
    if "messageRegex" in category:
        matchers["message"] = category["messageRegex"]
    if "traceRegex" in category:
        matchers["trace"] = category["traceRegex"]
    return {"name": category["name"], "matchers": matchers}


def results_categories(results: Path) -> list[dict[str, Any]]:
    try:
        found = json.loads((results / "categories.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [c for c in found if isinstance(c, dict) and "name" in c] if isinstance(found, list) else []


def render_html(
    results: Path, out: Path, *, history: Path | None, name: str, npx: str | None = None
) -> HtmlOutcome:
    """Run ``npx allure generate``; with ``history`` the runs' history accumulates in one file there."""
    npx = npx or shutil.which("npx")
    if npx is None:
        return HtmlOutcome(None, how_to_render(results, out), npx_missing=True)
    if history is not None:
        history.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mgm-report-") as scratch:
        config = Path(scratch) / "allurerc.json"
        config.write_text(json.dumps(allurerc(name, history, results_categories(results))), encoding="utf-8")
        command = [
            npx,
            "--yes",
            ALLURE_PACKAGE,
            "generate",
            "--config",
            str(config),
            str(results),
            "-o",
            str(out),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S, cwd=scratch, check=False
            )
        except subprocess.TimeoutExpired:
            return HtmlOutcome(
                None, f"no HTML report: `npx {ALLURE_PACKAGE} generate` ran over {RENDER_TIMEOUT_S} s"
            )
    index = out / "index.html"
    if done.returncode != 0 or not index.is_file():
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return HtmlOutcome(None, f"no HTML report: `npx {ALLURE_PACKAGE} generate` failed: {last[0]}")
    return HtmlOutcome(index, f"HTML report: {index}")
