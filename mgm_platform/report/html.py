"""The HTML report, rendered by the Allure 3 command-line tool from the npm registry (``npx allure``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

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


def allurerc(name: str, history: Path | None) -> dict[str, object]:
    config: dict[str, object] = {"name": name}
    if history is not None:
        config["historyPath"] = str((history / HISTORY_FILE).resolve())
    return config


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
        config.write_text(json.dumps(allurerc(name, history)), encoding="utf-8")
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
