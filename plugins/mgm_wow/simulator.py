"""A WoW 3.3.5a client running our addon, reduced to what the Desktop can observe.

The Desktop talks to the game in one direction only: it types ``/run`` lines
into the client, and reads what the addon prints from ``WoWChatLog.txt``. This
model plays both ends of that: it accepts injected lines, behaves as the addon
(``/who``, whispers, the mail queue), and appends the lines a real client would
log — the addon's tags among them — to a real file.

Timing is injectable: ``clock`` stamps lines and ``sleep`` waits out the
configured delays, so tests can run it fast and deterministically. Everything
runs on one event loop; no locks are needed around the state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Final

from mgm_core import texts
from mgm_core.clock import Clock
from mgm_wow import tags
from mgm_wow.chatlog import ChatLogWriter, format_seed_line, format_wow_line
from mgm_wow.run_lines import (
    ChatFrameMessage,
    NotifyWinnerWhisper,
    ReceiveGold,
    RunCall,
    RunLineError,
    RunWhoForSpin,
    parse_receive_gold_payload,
    parse_run_line,
)
from mgm_wow.settings import SimulatorSettings

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

WHO_BUSY_LINE: Final = "[MGM] /who already pending; try again."
ACCEPT_REPLY: Final = "!twgold"
# The seed WoWMock's looser pattern for auto-confirm (8 to 64 hex digits and dashes).
SEED_ACCEPT_PATTERN: Final = re.compile(r"\[MGM_ACCEPT:([0-9a-fA-F-]{8,64})\]")
RUN_RECEIVED_PREFIX: Final = "[MGM_RUN_RECEIVED] "


def same_character(a: str, b: str) -> bool:
    """WoW's name match: letter case and any ``-Realm`` suffix ignored."""
    return character_key(a) == character_key(b)


def character_key(name: str) -> str:
    """A name reduced for comparison: no realm suffix, case-folded, trimmed."""
    return name.strip().split("-", 1)[0].casefold()


@dataclass
class Behaviour:
    """The run-time switches the admin routes change (starting values come from settings)."""

    command_processing_delay_ms: int = 100
    auto_confirm_accepts: bool = False
    echo_run_commands_to_chat_log: bool = False
    who_delay_ms: int = 300
    reply_delay_ms: int = 1000
    mail_send_delay_ms: int = 500
    auto_send_mail: bool = False
    mailbox_open: bool = True
    fail_next_mail: bool = False
    default_reply: str | None = None

    @classmethod
    def from_settings(cls, settings: SimulatorSettings) -> Behaviour:
        """The starting values: every switch the settings name, the rest at their defaults."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls) if hasattr(settings, f.name)})


@dataclass(frozen=True)
class WinnerScript:
    """How a winner answers the notification whisper: ``reply`` after ``delay_ms``, or never (None)."""

    reply: str | None
    delay_ms: int | None = None


@dataclass
class JournalEntry:
    """One injected command, as received, with what the client made of it (filled in once run)."""

    command: str
    received_at: datetime
    source: str
    outcome: str


@dataclass(frozen=True)
class Whisper:
    """A whisper sent (``out``) or received (``in``) by the streamer's character."""

    direction: str
    character_name: str
    text: str
    at: datetime


@dataclass
class QueuedMail:
    """A payout waiting in the addon's mail queue."""

    payout_id: str
    recipient: str
    copper: int
    queued_at: datetime
    attempts: int = 0


@dataclass(frozen=True)
class SentMail:
    """A mail that left the mailbox; ``armed`` when the addon's MGM queue sent it."""

    recipient: str
    subject: str
    copper: int
    payout_id: str | None
    armed: bool
    at: datetime


@dataclass(frozen=True)
class MailFailure:
    """A send that did not happen, and why (``mailbox_closed``, ``mail_failed``)."""

    recipient: str
    payout_id: str | None
    reason: str
    at: datetime


@dataclass(frozen=True)
class MailResult:
    """What a send attempt did."""

    sent: bool
    reason: str | None = None
    mail: SentMail | None = None


@dataclass
class _PendingAcceptance:
    payout_id: str
    character_name: str


class WowClientSimulator:
    """The game client plus our addon, observable through its chat log and its journals."""

    def __init__(
        self, settings: SimulatorSettings, *, clock: Clock | None = None, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.settings = settings
        self.log = ChatLogWriter(settings.log_path)
        self.behaviour = Behaviour.from_settings(settings)
        self.roster: list[str] = list(settings.roster)
        self.winner_scripts: dict[str, tuple[str, WinnerScript]] = {}
        self.journal: list[JournalEntry] = []
        self.whispers: list[Whisper] = []
        self.mail_queue: list[QueuedMail] = []
        self.sent_mail: list[SentMail] = []
        self.mail_failures: list[MailFailure] = []
        self._clock = clock or settings.clock
        self._sleep = sleep
        self._who_pending = False
        self._acceptance: _PendingAcceptance | None = None
        self._mail_runner: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle

    def open(self) -> None:
        """Create the chat log (and its folders) if it does not exist yet."""
        self.log.ensure_exists()

    async def close(self) -> None:
        """Cancel every delayed action still waiting."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def reset(self) -> None:
        """Back to start-up state: journals, queues, scripts, switches; the log is emptied."""
        await self.close()
        self.behaviour = Behaviour.from_settings(self.settings)
        self.roster = list(self.settings.roster)
        self.winner_scripts.clear()
        self.journal.clear()
        self.whispers.clear()
        self.mail_queue.clear()
        self.sent_mail.clear()
        self.mail_failures.clear()
        self._who_pending = False
        self._acceptance = None
        self._mail_runner = None
        self.log.truncate()

    def now(self) -> datetime:
        return self._clock.now()

    # ------------------------------------------------------------------ chat log

    def print_line(self, text: str) -> None:
        """Show ``text`` in the default chat frame, which logs it with the client's timestamp."""
        self.log.append_line(format_wow_line(text, self.now()))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulated client action failed", exc_info=task.exception())

    async def _wait_ms(self, ms: int) -> None:
        if ms > 0:
            await self._sleep(ms / 1000)

    async def idle(self, timeout: float = 5.0) -> None:
        """Wait until no delayed action is pending (for tests driving the model directly)."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ------------------------------------------------------------------ injection

    async def run_line(self, line: str, source: str = "run") -> JournalEntry:
        """Type ``line`` into the client, as the Desktop's injector does."""
        outcome = self._dispatch(line)
        entry = JournalEntry(line, self.now(), source, outcome)
        self.journal.append(entry)
        return entry

    def _dispatch(self, line: str) -> str:
        try:
            command = parse_run_line(line)
        except RunLineError as exc:
            # The client shows a Lua error dialog; nothing reaches the chat log.
            log.info("Lua error for injected line %r: %s", line, exc)
            return "lua_error"
        match command:
            case None:
                return "not_a_run_command"
            case RunWhoForSpin(spin_cycle_id, name):
                return self._run_who(spin_cycle_id, name)
            case NotifyWinnerWhisper(payout_id, name):
                return self._notify_winner(payout_id, name)
            case ReceiveGold(payload):
                return self._receive_gold(payload)
            case ChatFrameMessage(text):
                self.print_line(text)
                return "chat_frame_message"
            case RunCall():
                return "unknown_function"
        return "unknown_function"

    async def add_message(self, content: str) -> datetime:
        """The seed WoWMock's ``add-message``: log ``content`` and react like the seed did.

        ``/run`` lines are journaled, echoed after the processing delay when echo
        is on, and then run by the addon; an ``[MGM_ACCEPT:…]`` line is followed by
        its ``[MGM_CONFIRM:…]`` after the delay when auto-confirm is on.
        """
        if not content.strip():
            raise ValueError("content is required")
        stamped = self.now()
        self.log.append_line(format_seed_line(content, stamped))
        if content[:5].lower() == "/run ":
            entry = JournalEntry(content, stamped, "add-message", "received")
            self.journal.append(entry)
            await self._wait_ms(self.behaviour.command_processing_delay_ms)
            if self.behaviour.echo_run_commands_to_chat_log:
                self.log.append_line(format_seed_line(RUN_RECEIVED_PREFIX + content, self.now()))
            entry.outcome = self._dispatch(content)
            return stamped
        accept = SEED_ACCEPT_PATTERN.search(content)
        if accept and self.behaviour.auto_confirm_accepts:
            await self._wait_ms(self.behaviour.command_processing_delay_ms)
            self.log.append_line(format_seed_line(tags.format_confirm(accept[1]), self.now()))
        return stamped

    # ------------------------------------------------------------------ /who

    def _run_who(self, spin_cycle_id: str, name: str) -> str:
        if self._who_pending:
            self.print_line(WHO_BUSY_LINE)
            return "who_busy"
        self._who_pending = True
        self._spawn(self._answer_who(spin_cycle_id, name))
        return "who_sent"

    async def _answer_who(self, spin_cycle_id: str, name: str) -> None:
        try:
            await self._wait_ms(self.behaviour.who_delay_ms)
            online = any(same_character(member, name) for member in self.roster)
            captured = self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.print_line(tags.format_who(spin_cycle_id, name, online, captured))
        finally:
            self._who_pending = False

    @property
    def who_pending(self) -> bool:
        return self._who_pending

    # ------------------------------------------------------------------ whispers

    def set_winner_script(self, name: str, script: WinnerScript) -> None:
        """Decide how ``name`` answers the next notification whisper."""
        self.winner_scripts[character_key(name)] = (name, script)

    def remove_winner_script(self, name: str) -> bool:
        return self.winner_scripts.pop(character_key(name), None) is not None

    def _script_for(self, name: str) -> WinnerScript:
        found = self.winner_scripts.get(character_key(name))
        return found[1] if found else WinnerScript(self.behaviour.default_reply)

    @property
    def pending_acceptance(self) -> tuple[str, str] | None:
        """(payoutId, name) the addon waits on, or None; the addon remembers only one."""
        pending = self._acceptance
        return (pending.payout_id, pending.character_name) if pending else None

    def _whisper_out(self, name: str, text: str) -> None:
        self.whispers.append(Whisper("out", name, text, self.now()))
        self.print_line(f"To [{name}]: {text}")

    def _notify_winner(self, payout_id: str, name: str) -> str:
        self._whisper_out(name, texts.WINNER_WHISPER)
        self._acceptance = _PendingAcceptance(payout_id, name)
        script = self._script_for(name)
        if script.reply is not None:
            delay = self.behaviour.reply_delay_ms if script.delay_ms is None else script.delay_ms
            self._spawn(self._reply_later(name, script.reply, delay))
        return "winner_notified"

    async def _reply_later(self, name: str, text: str, delay_ms: int) -> None:
        await self._wait_ms(delay_ms)
        self.receive_whisper(name, text)

    def receive_whisper(self, sender: str, text: str) -> bool:
        """A player whispers the streamer; True when it was the pending winner's ``!twgold``."""
        self.whispers.append(Whisper("in", sender, text, self.now()))
        self.print_line(f"[{sender}] whispers: {text}")
        pending = self._acceptance
        consent = text.strip().lower() == ACCEPT_REPLY
        if pending and consent and same_character(sender, pending.character_name):
            self._acceptance = None
            self.print_line(tags.format_accept(pending.payout_id))
            return True
        return False

    # ------------------------------------------------------------------ mail

    def _receive_gold(self, payload: str) -> str:
        try:
            entries = parse_receive_gold_payload(payload)
        except RunLineError as exc:
            self.print_line(f"[MGM] ReceiveGold rejected: {exc}; nothing queued.")
            return "receive_gold_rejected"
        queued = {item.payout_id for item in self.mail_queue}
        added = 0
        for entry in entries:
            # A re-injected payload must not queue the same payout twice.
            if entry.payout_id in queued:
                continue
            queued.add(entry.payout_id)
            self.mail_queue.append(
                QueuedMail(entry.payout_id, entry.character_name, entry.copper, self.now())
            )
            added += 1
        self.print_line(f"[MGM] ReceiveGold: {added} payout(s) queued, {len(self.mail_queue)} waiting.")
        if self.behaviour.auto_send_mail and (self._mail_runner is None or self._mail_runner.done()):
            self._mail_runner = self._spawn(self._send_queue())
        return "receive_gold_queued"

    async def _send_queue(self) -> None:
        # One pass over what is queued; a failure stops the pass and leaves the rest for the operator.
        while self.mail_queue:
            await self._wait_ms(self.behaviour.mail_send_delay_ms)
            if not self.send_mail().sent:
                return

    def send_mail(self, payout_id: str | None = None) -> MailResult:
        """Press Send on the armed MGM mail for ``payout_id`` (default: the head of the queue)."""
        item = next(
            (m for m in self.mail_queue if payout_id is None or m.payout_id.lower() == payout_id.lower()),
            None,
        )
        if item is None:
            return MailResult(False, "queue_empty" if payout_id is None else "not_queued")
        item.attempts += 1
        failure = self._mail_refusal()
        if failure:
            self.mail_failures.append(MailFailure(item.recipient, item.payout_id, failure, self.now()))
            return MailResult(False, failure)
        self.mail_queue.remove(item)
        mail = SentMail(item.recipient, texts.MAIL_SUBJECT, item.copper, item.payout_id, True, self.now())
        self.sent_mail.append(mail)
        # MAIL_SEND_SUCCESS of an armed send: the tag first, then the completion whisper.
        self.print_line(tags.format_confirm(item.payout_id))
        self._whisper_out(item.recipient, texts.MAIL_COMPLETION_WHISPER)
        return MailResult(True, mail=mail)

    def send_manual_mail(self, recipient: str, copper: int, subject: str = "") -> MailResult:
        """A mail the streamer sends by hand: the addon is not armed, so no tag and no whisper."""
        failure = self._mail_refusal()
        if failure:
            self.mail_failures.append(MailFailure(recipient, None, failure, self.now()))
            return MailResult(False, failure)
        mail = SentMail(recipient, subject, copper, None, False, self.now())
        self.sent_mail.append(mail)
        return MailResult(True, mail=mail)

    def _mail_refusal(self) -> str | None:
        if not self.behaviour.mailbox_open:
            return "mailbox_closed"
        if self.behaviour.fail_next_mail:
            self.behaviour.fail_next_mail = False
            return "mail_failed"
        return None
