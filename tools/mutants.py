#!/usr/bin/env python3
"""Mutation check: each mutant breaks one rule of the product; some Gherkin scenario must fail.

For every mutant this script copies the working tree to a temporary folder,
applies one textual change to the product there, runs the ``tier_a or tier_b``
scenarios against the copy and prints which scenarios killed the mutant. A
mutant that no scenario kills means the scenarios cannot see that rule break.

    python tools/mutants.py             # every mutant (a few minutes on 2 cores)
    python tools/mutants.py --list      # names and what each one breaks
    python tools/mutants.py eventsub-hmac-order draw-first-row

Exit status: 0 when every mutant was killed, 1 when one survived, 2 when a
mutant no longer applies (the code it changes moved: update its text here).
Run it with the project's virtual environment's Python (the one that has the
``e2e`` extra installed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: str
    path: str
    old: str
    new: str


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "eventsub-hmac-order",
        "the EventSub signature is computed over timestamp + id + body instead of id + timestamp + body",
        "mgm_core/security/eventsub.py",
        "message_id.encode() + timestamp.encode() + body",
        "timestamp.encode() + message_id.encode() + body",
    ),
    Mutant(
        "winner-whisper-text",
        "the winner whisper's text loses its final instruction",
        "mgm_core/texts.py",
        "ответь на это сообщение одной фразой: !twgold",
        "ответь одной фразой: !twgold",
    ),
    Mutant(
        "mail-whisper-text",
        "the mail completion whisper changes a word",
        "mgm_core/texts.py",
        'MAIL_COMPLETION_WHISPER = "Награда отправлена тебе на почту, проверяй ящик!"',
        'MAIL_COMPLETION_WHISPER = "Награда отправлена на почту, проверяй ящик!"',
    ),
    Mutant(
        "announcement-text",
        "the Helix announcement drops the character's name",
        "mgm_core/texts.py",
        'REWARD_SENT_ANNOUNCEMENT = "Награда отправлена персонажу {character_name} на почту, проверяй ящик!"',
        'REWARD_SENT_ANNOUNCEMENT = "Награда отправлена на почту, проверяй ящик!"',
    ),
    Mutant(
        "draw-first-row",
        "the draw always picks the first pool row instead of a uniform one",
        "mgm_core/store/roulette.py",
        "rng.randrange(size)",
        "0",
    ),
    Mutant(
        "patch-sent-not-idempotent",
        "a repeated PATCH Sent on a Sent payout is refused 409 instead of answered 200",
        "mgm_core/domain/payouts.py",
        "    if current == target:\n        return False",
        "    if current == target and not current.is_terminal:\n        return False",
    ),
    Mutant(
        "bridge-system-clock",
        "the Desktop bridge compares deadlines with the system clock instead of the one it is given",
        "plugins/mgm_wow/bridge/bridge.py",
        "        self._clock = clock\n",
        '        self._clock = __import__("mgm_core.clock").clock.SystemClock()\n',
    ),
    Mutant(
        "sent-keeps-pool-row",
        "a Sent payout leaves the winner in the pool",
        "mgm_core/store/pool.py",
        '"DELETE FROM pool_entries WHERE twitch_user_id = $1 RETURNING coalesce(slot, -1)"',
        '"SELECT coalesce(slot, -1) FROM pool_entries WHERE twitch_user_id = $1"',
    ),
    Mutant(
        "verification-deadline-short",
        "the /who report is refused 30 s early (deadline T0+300 instead of T0+330)",
        "mgm_core/domain/roulette.py",
        "    if now > cycle.verification_deadline:",
        "    if now > cycle.verification_deadline - GRACE:",
    ),
)


def copy_tree(target: Path) -> None:
    """The working tree as git sees it (tracked and untracked-but-not-ignored files)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        relative = raw.decode()
        source = ROOT / relative
        if not source.is_file():
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)


def apply(mutant: Mutant, tree: Path) -> bool:
    path = tree / mutant.path
    text = path.read_text(encoding="utf-8")
    if text.count(mutant.old) != 1:
        return False
    path.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")
    return True


FAILED = re.compile(r"^FAILED (\S+)", re.M)


def run_scenarios(tree: Path, workers: str) -> tuple[int, list[str], str]:
    env = dict(os.environ)
    # The copy's packages come first; the plugins' packages live under plugins/.
    env["PYTHONPATH"] = os.pathsep.join([str(tree), str(tree / "plugins"), env.get("PYTHONPATH", "")])
    env.pop("PYTEST_ADDOPTS", None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rf",
        "-p",
        "no:cacheprovider",
        "-n",
        workers,
        "-m",
        "tier_a or tier_b",
        f"--alluredir={tree / 'allure-results'}",
        "features",
    ]
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    output = done.stdout + done.stderr
    return done.returncode, FAILED.findall(output), output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("-n", "--workers", default="auto", help="pytest-xdist workers (default: auto)")
    args = parser.parse_args(argv)
    known = {m.name: m for m in MUTANTS}
    if args.list:
        for mutant in MUTANTS:
            print(f"{mutant.name:28} {mutant.breaks}")
        return 0
    unknown = [n for n in args.names if n not in known]
    if unknown:
        print(f"unknown mutant(s): {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    chosen = [known[n] for n in args.names] or list(MUTANTS)
    survived, stale = [], []
    for mutant in chosen:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"mgm-mutant-{mutant.name}-") as folder:
            tree = Path(folder)
            copy_tree(tree)
            if not apply(mutant, tree):
                print(f"STALE     {mutant.name}: {mutant.path} no longer holds the text it changes")
                stale.append(mutant.name)
                continue
            code, failed, output = run_scenarios(tree, args.workers)
        seconds = time.monotonic() - started
        if code == 1 and failed:
            shown = ", ".join(f.split("::")[-1] for f in failed[:4]) + (" …" if len(failed) > 4 else "")
            print(f"KILLED    {mutant.name} ({seconds:.0f} s) by {len(failed)} scenario(s): {shown}")
        elif code == 0:
            print(f"SURVIVED  {mutant.name} ({seconds:.0f} s): {mutant.breaks}")
            survived.append(mutant.name)
        else:
            print(f"ERROR     {mutant.name}: pytest exited {code} without failed scenarios")
            print(output[-3000:])
            stale.append(mutant.name)
    print(f"{len(chosen) - len(survived) - len(stale)} killed, {len(survived)} survived, {len(stale)} stale")
    if stale:
        return 2
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
