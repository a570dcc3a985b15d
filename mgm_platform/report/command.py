"""``mgm report [--results DIR] [--out DIR] [--history DIR]``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mgm_platform.evidence.catalog import load_catalog
from mgm_platform.report.html import ALLURE_PACKAGE, render_html
from mgm_platform.report.results import ResultsError, load_results
from mgm_platform.report.signoff import render_signoff

SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results", default="allure-results", help="the Allure results folder (allure-results)"
    )
    parser.add_argument(
        "--out", default="allure-report", help="where index.html and signoff.md go (allure-report)"
    )
    parser.add_argument(
        "--history",
        default=None,
        help="a folder that keeps the report history between runs (off unless given)",
    )
    parser.add_argument("--name", default="MimironsGoldOMatic release sign-off", help="the report's title")
    parser.add_argument("--no-html", action="store_true", help="write signoff.md only")


def _project_root() -> Path | None:
    for candidate in (Path.cwd(), *Path.cwd().parents):
        if (candidate / "docs" / "scenarios.md").is_file():
            return candidate
    return None


def run_report(args: argparse.Namespace) -> int:
    """0: signoff.md (and with Node.js index.html) written; 1: rendering failed; 2: bad input."""
    results = Path(args.results).resolve()
    out = Path(args.out).resolve()
    try:
        run = load_results(results)
    except ResultsError as exc:
        print(f"mgm report: {exc}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    code = 0
    html_note = None
    if not args.no_html:
        outcome = render_html(
            results, out, history=Path(args.history) if args.history else None, name=args.name
        )
        html_note = outcome.note
        print(
            f"mgm report: {outcome.note}",
            file=sys.stdout if outcome.index or outcome.npx_missing else sys.stderr,
        )
        code = 0 if outcome.index or outcome.npx_missing else 1
    summary = render_signoff(run, load_catalog(_project_root()), html_note)
    (out / "signoff.md").write_text(summary, encoding="utf-8")
    step_summary = os.environ.get(SUMMARY_ENV)
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as sink:
            sink.write(summary + "\n")
    print(f"mgm report: sign-off summary: {out / 'signoff.md'}")
    print(f"mgm report: {len(run.scenarios)} scenarios, {len(run.problems)} failed or broken")
    return code


def announce_outputs(results: Path) -> None:
    """After ``mgm e2e``: write signoff.md beside where the HTML goes and say where everything is."""
    out = results.parent / "allure-report"
    print(f"  Allure results: {results}")
    try:
        run = load_results(results)
    except ResultsError as exc:
        print(f"  no sign-off summary: {exc}")
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / "signoff.md").write_text(
        render_signoff(run, load_catalog(_project_root()), None), encoding="utf-8"
    )
    print(f"  Sign-off summary: {out / 'signoff.md'}")
    print(f"  HTML report: mgm report --results {results} --out {out}")
    print(f"    (the HTML needs Node.js: `mgm report` runs npx {ALLURE_PACKAGE}; signoff.md needs nothing)")
