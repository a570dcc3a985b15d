"""``mgm report`` on a hand-made results folder: signoff.md, the step summary, the HTML when npx works."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mgm_core.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _result(folder: Path, uuid: str, name: str, status: str, labels: dict[str, list[str]], **extra) -> None:
    data = {
        "uuid": uuid,
        "historyId": f"h-{uuid}",
        "name": name,
        "fullName": f"features/x.feature:{name}",
        "status": status,
        "start": 1,
        "stop": 2,
        "labels": [{"name": k, "value": v} for k, values in labels.items() for v in values],
        **extra,
    }
    (folder / f"{uuid}-result.json").write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def results(tmp_path: Path) -> Path:
    folder = tmp_path / "allure-results"
    folder.mkdir()
    tier_a = {"epic": ["Tier A"], "profile": ["local"], "feature": ["Enrollment"]}
    tier_b = {"epic": ["Tier B"], "profile": ["local"], "feature": ["Full chain"]}
    _result(
        folder, "a1", "The natural path from chat to Sent", "passed", {**tier_b, "catalog_id": ["SC-001"]}
    )
    _result(
        folder,
        "a2",
        "A wrong API key is refused",
        "failed",
        {**tier_a, "catalog_id": ["TC-004"]},
        statusDetails={"message": "AssertionError: 200 != 403\nmore detail", "trace": "..."},
        steps=[
            {"name": "Given the EBS is running", "status": "passed"},
            {"name": "Then the response status is 403", "status": "failed"},
        ],
    )
    _result(
        folder,
        "a3",
        "Real EventSub delivery",
        "skipped",
        {"epic": ["Tier C"], "profile": ["local"], "catalog_id": ["SC-005"]},
        statusDetails={"message": "Tier C credentials not declared: MGM_TIER_C_CLIENT_ID"},
    )
    _result(folder, "a4", "An untagged scenario", "passed", tier_a)
    (folder / "environment.properties").write_text(
        "mgm.version=0.1.0\ngit.commit=abc123\nprofile=local\ndatabase.server_version=18.6\n",
        encoding="utf-8",
    )
    return folder


def _report(monkeypatch, tmp_path: Path, results: Path, *extra: str) -> tuple[int, str]:
    monkeypatch.chdir(ROOT)  # the project's docs/scenarios.md is the catalog
    out = tmp_path / "report"
    code = main(["report", "--results", str(results), "--out", str(out), *extra])
    return code, (out / "signoff.md").read_text(encoding="utf-8")


def test_signoff_counts_tiers_maps_the_catalog_and_lists_failures(monkeypatch, tmp_path, results, capsys):
    summary_file = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary_file))
    code, signoff = _report(monkeypatch, tmp_path, results, "--no-html")
    assert code == 0
    assert "**Not ready:** 1 failed and 0 broken of 4 scenarios (2 passed, 1 skipped)." in signoff
    assert "| Tier A | 1 | 1 | 0 | 0 | 2 |" in signoff
    assert "| Tier B | 1 | 0 | 0 | 0 | 1 |" in signoff
    assert "| Tier C | 0 | 0 | 0 | 1 | 1 |" in signoff
    assert "| **all** | **2** | **1** | **0** | **1** | **4** |" in signoff
    assert (
        "| SC-001 | A subscriber wins the roulette and receives gold (full chain) |"
        " The natural path from chat to Sent (Full chain) | ✅ passed |"
    ) in signoff
    assert (
        "| TC-004 | Wrong API key refused | A wrong API key is refused (Enrollment) |"
        " ❌ failed: Then the response status is 403: AssertionError: 200 != 403 |"
    ) in signoff
    assert "⏭️ skipped: Tier C credentials not declared: MGM_TIER_C_CLIENT_ID" in signoff
    assert '| TC-031 | WoW started after "not found" | **uncovered** (no scenario) | — |' in signoff
    assert "3 of 47 catalog ids have at least one scenario; 44 are uncovered." in signoff
    assert (
        "- **A wrong API key is refused** (Tier A, profile `local`, failed) —"
        " Then the response status is 403: AssertionError: 200 != 403"
    ) in signoff
    assert "| git.commit | abc123 |" in signoff and "| database.server_version | 18.6 |" in signoff
    assert summary_file.read_text(encoding="utf-8").strip() == signoff.strip()
    assert "1 failed or broken" in capsys.readouterr().out


def test_without_node_signoff_is_still_written_and_one_line_says_how_to_get_html(
    monkeypatch, tmp_path, results, capsys
):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, signoff = _report(monkeypatch, tmp_path, results)
    assert code == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "no HTML report" in line)
    assert "install Node.js" in line and "npx --yes allure@3 generate" in line
    assert "# Release sign-off" in signoff
    assert not (tmp_path / "report" / "index.html").exists()


def test_a_missing_results_folder_is_one_clear_line(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--results", str(tmp_path / "nothing"), "--no-html"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"mgm report: no Allure results folder at {tmp_path / 'nothing'}"]


def _npx_allure_works() -> str | None:
    npx = shutil.which("npx")
    if npx is None:
        return "Node.js (npx) is not installed"
    try:
        probe = subprocess.run(
            [npx, "--yes", "allure@3", "--version"], capture_output=True, text=True, timeout=180, check=False
        )
    except subprocess.TimeoutExpired:
        return "`npx allure@3` did not answer within 180 s (no npm registry?)"
    return None if probe.returncode == 0 else f"`npx allure@3` does not run: {probe.stderr.strip()[-200:]}"


@pytest.mark.slow
def test_the_html_report_renders_with_history(monkeypatch, tmp_path, results, capsys):
    why = _npx_allure_works()
    if why:
        pytest.skip(why)
    (results / "categories.json").write_text(
        json.dumps([{"name": "Handmade product failures", "matchedStatuses": ["failed"]}]), encoding="utf-8"
    )
    history = tmp_path / "history"
    code, signoff = _report(monkeypatch, tmp_path, results, "--history", str(history))
    assert code == 0, capsys.readouterr()
    index = tmp_path / "report" / "index.html"
    assert index.is_file() and index.stat().st_size > 1000
    assert "HTML report:" in signoff
    # Allure 3 takes categories from its configuration; `mgm report` passes the results' ones on.
    assert "Handmade product failures" in (tmp_path / "report" / "widgets" / "categories.json").read_text()
    assert (history / "history.jsonl").read_text(encoding="utf-8").strip()
    code, _ = _report(monkeypatch, tmp_path, results, "--history", str(history))
    assert code == 0
    assert len((history / "history.jsonl").read_text(encoding="utf-8").strip().splitlines()) == 2
