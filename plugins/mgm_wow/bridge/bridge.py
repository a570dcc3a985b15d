"""The Desktop's loop between the chat log, the game and the EBS (ebs-contract.md §8.5).

Each tail tick turns new log tags into EBS calls:

* ``[MGM_WHO]`` → ``POST /api/roulette/verify-candidate``;
* ``[MGM_ACCEPT:id]`` → ``POST /api/payouts/{id}/confirm-acceptance`` with the
  name from the last pending list (or, for a payout no longer pending,
  ``GET /api/payouts/{id}`` — the seed dropped such tags, gap §11.17);
* ``[MGM_CONFIRM:id]`` → ``PATCH /api/payouts/{id}/status {"status":"Sent"}``;
* ``[MGM_UPDATE_CHECK]`` → ``GET /api/version`` and a chat-frame line back.

Tags go through a persisted outbox. A tag whose call fails for lack of an EBS
(retries exhausted) or for a rejected key stays there, in order, and is
replayed on later ticks until the EBS answers (SC-017); a tag the EBS refuses
is dropped and may be read again if the addon prints it again.

The polls drive the game: the candidate poll types ``MGM_RunWhoForSpin`` once per
cycle, the pending poll types ``NotifyWinnerWhisper`` once per payout; both
remember what they typed across restarts. :meth:`DesktopBridge.sync` is the
operator's Sync/Inject.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from mgm_core.clock import Clock
from mgm_wow import run_lines
from mgm_wow.bridge.ebs_client import (
    Candidate,
    EbsAuthRejected,
    EbsClient,
    EbsError,
    EbsRefused,
    EbsUnavailable,
    Payout,
)
from mgm_wow.bridge.injector import InjectionFailed, Injector, InjectorUnavailable, ReadinessProbe
from mgm_wow.bridge.state_file import load_state, save_state
from mgm_wow.bridge.tail import ChatLogTail, TailedTag
from mgm_wow.tags import Accept, Confirm, Tag, UpdateCheck, WhoReport, read_line

log = logging.getLogger(__name__)

STATE_VERSION: Final = 1


@dataclass(frozen=True)
class BridgeSettings:
    """How often the bridge looks at the log and the EBS, and what it remembers."""

    tail_interval: float = 0.75
    pending_poll_interval: float = 15.0
    candidate_poll_interval: float = 5.0
    # Phases in which the candidate is /who-ed; a candidate without a phase is /who-ed at once.
    who_phases: frozenset[str] = frozenset({"spinning", "verification"})
    remember_limit: int = 1000


@dataclass(frozen=True)
class TagOutcome:
    """What became of one tag: ``done``, ``refused`` (dropped) or ``deferred`` (kept for replay)."""

    key: str
    result: str
    detail: str = ""


@dataclass
class SyncReport:
    """The operator's Sync/Inject: payouts moved to InProgress, lines typed, and any error."""

    moved: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    injected: int = 0
    unlocked: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class BridgeStatus:
    """What an operator's screen would show."""

    ebs_reachable: bool | None = None
    game_ready: bool | None = None
    last_error: str | None = None
    outbox: int = 0
    last_ok_at: datetime | None = None


class DesktopBridge:
    """The Desktop's job: tail the log, call the EBS, type into the game."""

    def __init__(
        self,
        ebs: EbsClient,
        injector: Injector,
        tail: ChatLogTail,
        *,
        state_path: Path | None = None,
        settings: BridgeSettings | None = None,
        clock: Clock,
    ) -> None:
        self.ebs = ebs
        self.injector = injector
        self.tail = tail
        self.state_path = state_path
        self.settings = settings or BridgeSettings()
        self.status = BridgeStatus()
        self._clock = clock
        self._outbox: list[TailedTag] = []
        self._notified: dict[str, None] = {}
        self._who_requested: dict[str, None] = {}
        self._names: dict[str, str] = {}
        self._lock = asyncio.Lock()
        self._saved: dict[str, Any] | None = None
        self._restore()

    # ------------------------------------------------------------------ state

    @property
    def outbox(self) -> list[TailedTag]:
        """Tags read but not yet answered by the EBS, oldest first."""
        return list(self._outbox)

    @property
    def notified(self) -> list[str]:
        return list(self._notified)

    @property
    def who_requested(self) -> list[str]:
        return list(self._who_requested)

    def known_name(self, payout_id: str) -> str | None:
        return self._names.get(payout_id.lower())

    def _restore(self) -> None:
        if self.state_path is None:
            return
        data = load_state(self.state_path)
        if data is None or data.get("version") != STATE_VERSION:
            return
        self._notified = dict.fromkeys(str(i) for i in data.get("notified") or [])
        self._who_requested = dict.fromkeys(str(i) for i in data.get("whoRequested") or [])
        self._names = {str(k): str(v) for k, v in (data.get("names") or {}).items()}
        for line in data.get("outbox") or []:
            tag = read_line(str(line)).tag
            if tag is not None:
                self._outbox.append(TailedTag(tag, str(line)))
        self.status.outbox = len(self._outbox)

    def _save(self) -> None:
        self.status.outbox = len(self._outbox)
        if self.state_path is None:
            return
        state = {
            "version": STATE_VERSION,
            "notified": list(self._notified),
            "whoRequested": list(self._who_requested),
            "names": dict(self._names),
            "outbox": [item.line for item in self._outbox],
        }
        if state != self._saved:  # most polls change nothing; spare the disk a write per tick
            save_state(self.state_path, state)
            self._saved = state

    def _remember(self, table: dict[str, None], key: str) -> None:
        table[key] = None
        while len(table) > self.settings.remember_limit:
            del table[next(iter(table))]

    def _learn_names(self, payouts: list[Payout]) -> None:
        for payout in payouts:
            self._names[payout.id] = payout.character_name
        while len(self._names) > self.settings.remember_limit:
            del self._names[next(iter(self._names))]

    def _ok(self) -> None:
        self.status.ebs_reachable = True
        self.status.last_ok_at = self._clock.now()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, EbsUnavailable):
            self.status.ebs_reachable = False
        if isinstance(exc, InjectorUnavailable):
            self.status.game_ready = False
        self.status.last_error = str(exc)

    # ------------------------------------------------------------------ log → EBS

    async def tick(self) -> list[TagOutcome]:
        """Read new log tags, keep them in the outbox, then send what the outbox holds."""
        async with self._lock:
            new = await asyncio.to_thread(self.tail.poll)
            if new:
                queued = {item.key for item in self._outbox}
                self._outbox.extend(item for item in new if item.key not in queued)
                # The outbox is saved before the log position so a crash in between re-reads, not loses.
                self._save()
            self.tail.commit()
            return await self._drain()

    async def drain(self) -> list[TagOutcome]:
        """Send the outbox to the EBS without reading the log (e.g. when the EBS comes back)."""
        async with self._lock:
            return await self._drain()

    async def _drain(self) -> list[TagOutcome]:
        outcomes: list[TagOutcome] = []
        while self._outbox:
            item = self._outbox[0]
            try:
                await self._handle(item.tag)
            except (EbsUnavailable, EbsAuthRejected) as exc:
                # Order matters (an acceptance before its confirm), so the rest waits behind this one.
                self._failed(exc)
                log.warning(
                    "EBS not answering for %s; keeping %d tag(s) for later: %s",
                    item.key,
                    len(self._outbox),
                    exc,
                )
                outcomes.append(TagOutcome(item.key, "deferred", str(exc)))
                break
            except EbsRefused as exc:
                self._ok()
                log.warning("EBS refused %s (%s): %s", item.key, exc.code, exc)
                self.tail.forget(item.key)
                outcomes.append(TagOutcome(item.key, "refused", exc.code or str(exc)))
            else:
                self._ok()
                outcomes.append(TagOutcome(item.key, "done"))
            self._outbox.pop(0)
            self._save()
        self.status.outbox = len(self._outbox)
        return outcomes

    async def _handle(self, tag: Tag) -> None:
        match tag:
            case WhoReport():
                await self.ebs.verify_candidate(tag)
                log.info("verify-candidate sent for %s (online=%s)", tag.character_name, tag.online)
            case Accept(payout_id):
                name = await self._name_for(payout_id)
                await self.ebs.confirm_acceptance(payout_id, name)
                log.info("acceptance of %s recorded for %s", payout_id, name)
            case Confirm(payout_id):
                await self.ebs.patch_status(payout_id, "Sent")
                log.info("payout %s marked Sent", payout_id)
            case UpdateCheck():
                await self._answer_update_check()

    async def _name_for(self, payout_id: str) -> str:
        name = self._names.get(payout_id)
        if name is None:
            payout = await self.ebs.get_payout(payout_id)
            self._learn_names([payout])
            name = payout.character_name
        return name

    async def _answer_update_check(self) -> None:
        info = await self.ebs.get_version()
        parts = [f"EBS {info.get('version') or '?'}"]
        if info.get("minimumAddonVersion"):
            parts.append(f"addon >= {info['minimumAddonVersion']}")
        if info.get("releaseNotesUrl"):
            parts.append(str(info["releaseNotesUrl"]))
        try:
            await self.injector.inject(run_lines.chat_frame_message("[MGM] " + ", ".join(parts)))
        except (InjectorUnavailable, InjectionFailed, run_lines.RunLineError) as exc:
            log.warning("could not show the version in game: %s", exc)

    # ------------------------------------------------------------------ EBS → game

    async def poll_candidate(self) -> Candidate | None:
        """Ask the EBS whom to ``/who``; type ``MGM_RunWhoForSpin`` once per cycle."""
        candidate = await self.ebs.get_candidate()
        self._ok()
        if candidate is None or candidate.spin_cycle_id in self._who_requested:
            return candidate
        phase = (candidate.spin_phase or "").lower()
        if phase and phase not in {p.lower() for p in self.settings.who_phases}:
            return candidate
        deadline = candidate.verification_deadline
        if deadline is not None and self._clock.now() > deadline:
            return candidate
        line = run_lines.run_who_for_spin(candidate.spin_cycle_id, candidate.character_name)
        await self._inject(line)
        self._remember(self._who_requested, candidate.spin_cycle_id)
        self._save()
        return candidate

    async def poll_pending(self) -> list[Payout]:
        """Refresh the pending list (names for ``[MGM_ACCEPT]``); whisper each new winner once."""
        pending = await self.ebs.get_pending()
        self._ok()
        self._learn_names(pending)
        try:
            for payout in pending:
                if payout.id in self._notified:
                    continue
                await self._inject(run_lines.notify_winner_whisper(payout.id, payout.character_name))
                self._remember(self._notified, payout.id)
        finally:
            self._save()
        return pending

    async def _inject(self, line: str) -> None:
        try:
            await self.injector.inject(line)
        except (InjectorUnavailable, InjectionFailed) as exc:
            self._failed(exc)
            raise
        self.status.game_ready = True

    async def sync(self) -> SyncReport:
        """Operator's Sync/Inject: every Pending → InProgress, then type the ``ReceiveGold`` lines.

        Nothing moves when the game is absent. Payouts whose line could not be typed
        are put back to Pending so the next sync picks them up again.
        """
        report = SyncReport()
        if isinstance(self.injector, ReadinessProbe) and not await self.injector.ready():
            report.error = "World of Warcraft not found; nothing was moved"
            self.status.game_ready = False
            self.status.last_error = report.error
            return report
        pending = await self.ebs.get_pending()
        self._ok()
        self._learn_names(pending)
        moved: list[Payout] = []
        try:
            for payout in pending:
                try:
                    await self.ebs.patch_status(payout.id, "InProgress")
                except EbsRefused as exc:
                    log.warning("payout %s not moved to InProgress: %s", payout.id, exc)
                    continue
                moved.append(payout)
        except EbsError as exc:
            # Those already InProgress still get their gold typed; the rest waits for the next sync.
            self._failed(exc)
            report.error = str(exc)
        report.moved = [p.id for p in moved]
        if not moved:
            self._save()
            return report
        entries = [run_lines.GoldEntry.for_payout(p.id, p.character_name, p.gold_amount) for p in moved]
        report.lines = run_lines.receive_gold_lines(entries)
        for line in report.lines:
            try:
                await self._inject(line)
            except (InjectorUnavailable, InjectionFailed) as exc:
                report.error = str(exc)
                await self._unlock_untyped(report)
                break
            report.injected += 1
        try:
            self._learn_names(await self.ebs.get_pending())
        except EbsError as exc:
            self._failed(exc)
        self._save()
        return report

    async def _unlock_untyped(self, report: SyncReport) -> None:
        for line in report.lines[report.injected :]:
            command = run_lines.parse_run_line(line)
            assert isinstance(command, run_lines.ReceiveGold)
            for entry in run_lines.parse_receive_gold_payload(command.payload):
                try:
                    await self.ebs.patch_status(entry.payout_id, "Pending")
                    report.unlocked.append(entry.payout_id)
                except EbsError as exc:
                    log.error("payout %s stays InProgress without its gold typed: %s", entry.payout_id, exc)

    async def mark(self, payout_id: str, status: str) -> Payout | None:
        """Operator's manual Mark Sent / Failed / Cancelled, or Unlock (``Pending``)."""
        payout = await self.ebs.patch_status(payout_id, status)
        self._ok()
        return payout

    # ------------------------------------------------------------------ loop

    async def run(self, stop: asyncio.Event, *, monotonic: Callable[[], float] | None = None) -> None:
        """Tick, poll pending and poll the candidate at their intervals until ``stop`` is set.

        Failures are logged and shown in :attr:`status`; the loop itself keeps going.
        Setting ``stop`` also interrupts a call that is waiting out its retries.
        """
        now = monotonic or asyncio.get_running_loop().time
        jobs: list[tuple[float, Callable[[], Awaitable[Any]]]] = [
            (self.settings.tail_interval, self.tick),
            (self.settings.pending_poll_interval, self.poll_pending),
            (self.settings.candidate_poll_interval, self.poll_candidate),
        ]
        due = [now()] * len(jobs)
        stopped = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                for i, (interval, job) in enumerate(jobs):
                    if now() >= due[i]:
                        running = asyncio.ensure_future(self._guarded(job))
                        await asyncio.wait({running, stopped}, return_when=asyncio.FIRST_COMPLETED)
                        if not running.done():
                            running.cancel()
                            with contextlib.suppress(asyncio.CancelledError):
                                await running
                            return
                        due[i] = now() + interval
                    if stop.is_set():
                        return
                await asyncio.wait({stopped}, timeout=max(0.0, min(due) - now()))
        finally:
            stopped.cancel()

    async def _guarded(self, job: Callable[[], Awaitable[Any]]) -> None:
        try:
            await job()
        except (EbsError, InjectorUnavailable, InjectionFailed, OSError) as exc:
            self._failed(exc)
            log.warning("%s: %s", getattr(job, "__name__", "job"), exc)
        except Exception as exc:  # the Desktop must keep running whatever one pass does
            self._failed(exc)
            log.exception("unexpected failure in %s", getattr(job, "__name__", "job"))
