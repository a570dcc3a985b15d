"""``signoff.md``: what a release manager reads before signing.

Sections: the verdict line, counts per tier, the catalog coverage matrix (every SC/TC id of
the catalog → its scenarios → the outcome per profile; ids without a scenario say so),
failures with one-line reasons, and the run context.
"""

from __future__ import annotations

from collections.abc import Sequence

from mgm_platform.evidence.catalog import CatalogEntry
from mgm_platform.report.results import STATUSES, RunResults, ScenarioResult

UNCOVERED = "**uncovered** (no scenario)"
_MARK = {"passed": "✅ passed", "failed": "❌ failed", "broken": "💥 broken", "skipped": "⏭️ skipped"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def outcome(result: ScenarioResult) -> str:
    mark = _MARK.get(result.status, f"❔ {result.status}")
    if result.status == "passed":
        return mark
    return f"{mark}: {_cell(result.reason(100))}"


def verdict(run: RunResults) -> str:
    counts = run.counts()
    total = len(run.scenarios)
    if run.problems:
        return (
            f"**Not ready:** {counts['failed']} failed and {counts['broken']} broken of {total} scenarios"
            f" ({counts['passed']} passed, {counts['skipped']} skipped)."
        )
    return f"**No failures:** {counts['passed']} of {total} scenarios passed, {counts['skipped']} skipped."


def tier_table(run: RunResults) -> list[str]:
    lines = ["| tier | " + " | ".join(STATUSES[:4]) + " | total |", "|---|" + "---:|" * 5]
    for tier in run.tiers():
        results = [r for r in run.scenarios if r.tier == tier]
        counts = run.counts(results)
        lines.append(
            f"| {tier} | " + " | ".join(str(counts[s]) for s in STATUSES[:4]) + f" | {len(results)} |"
        )
    counts = run.counts()
    lines.append(
        "| **all** | "
        + " | ".join(f"**{counts[s]}**" for s in STATUSES[:4])
        + f" | **{len(run.scenarios)}** |"
    )
    return lines


def coverage_matrix(run: RunResults, catalog: Sequence[CatalogEntry]) -> list[str]:
    profiles = run.profiles()
    by_id: dict[str, list[ScenarioResult]] = {}
    for result in run.scenarios:
        for cid in result.catalog_ids:
            by_id.setdefault(cid, []).append(result)
    covered = sum(1 for entry in catalog if entry.id in by_id)
    lines = [
        f"{covered} of {len(catalog)} catalog ids have at least one scenario;"
        f" {len(catalog) - covered} are uncovered.",
        "",
        "| id | title | scenario | " + " | ".join(f"profile `{p}`" for p in profiles) + " |",
        "|---|---|---|" + "---|" * len(profiles),
    ]
    for entry in catalog:
        title = _cell(entry.title)
        results = by_id.get(entry.id, [])
        if not results:
            lines.append(f"| {entry.id} | {title} | {UNCOVERED} |" + " — |" * len(profiles))
            continue
        for name in sorted({r.name for r in results}):
            row = [r for r in results if r.name == name]
            feature = row[0].feature
            cells = []
            for profile in profiles:
                ran = [r for r in row if r.profile == profile]
                cells.append("; ".join(outcome(r) for r in ran) if ran else "not run")
            scenario = _cell(f"{name} ({feature})" if feature else name)
            lines.append(f"| {entry.id} | {title} | {scenario} | " + " | ".join(cells) + " |")
    unknown = sorted(set(by_id) - {entry.id for entry in catalog})
    if unknown:
        lines += ["", f"Ids tagged on scenarios but missing from the catalog: {', '.join(unknown)}."]
    return lines


def failures(run: RunResults) -> list[str]:
    if not run.problems:
        return ["None."]
    return [
        f"- **{_cell(r.name)}** ({r.tier}, profile `{r.profile}`, {r.status}) — {_cell(r.reason())}"
        for r in run.problems
    ]


def skips(run: RunResults) -> list[str]:
    skipped = [r for r in run.scenarios if r.status == "skipped"]
    return [f"- {_cell(r.name)} ({r.tier}) — {_cell(r.reason())}" for r in skipped] or ["None."]


def run_context(run: RunResults) -> list[str]:
    lines = ["| key | value |", "|---|---|"]
    lines += [f"| {key} | {_cell(value)} |" for key, value in run.environment.items()]
    if run.executor:
        build = run.executor.get("buildName", "")
        url = run.executor.get("buildUrl", "")
        lines.append(f"| CI build | [{_cell(str(build))}]({url}) |" if url else f"| CI build | {build} |")
    if len(lines) == 2:
        lines.append("| (no environment.properties in the results) | |")
    return lines


def render_signoff(run: RunResults, catalog: Sequence[CatalogEntry], html: str | None) -> str:
    """The whole ``signoff.md``; ``html`` is where the HTML report is (or why there is none)."""
    parts = [
        "# Release sign-off",
        "",
        verdict(run),
        "",
        f"Results: `{run.folder}`" + (f" · {html}" if html else ""),
        "",
        "## Scenarios per tier",
        "",
        *tier_table(run),
        "",
        "## Catalog coverage",
        "",
        *coverage_matrix(run, catalog),
        "",
        "## Failures",
        "",
        *failures(run),
        "",
        "## Skipped",
        "",
        *skips(run),
        "",
        "## Run context",
        "",
        *run_context(run),
        "",
    ]
    return "\n".join(parts)
