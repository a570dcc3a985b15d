"""The WoW client simulator's settings, named after the seed WoWMock's where they overlap.

Sources, later ones winning: defaults, environment variables, command-line
``Key=value`` arguments. A setting ``LogFilePath`` can be given as
``WOWMOCK_LogFilePath``, ``WOWMOCK_LOG_FILE_PATH`` or the seed's
``WOWMOCK_MockSettings__LogFilePath`` (names compare without case or
underscores), and on the command line as ``MockSettings:LogFilePath=…``,
``LogFilePath=…`` or ``--log-file-path=…``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from mgm_core import ports
from mgm_core.clock import Clock, SystemClock, VirtualClock

ENV_PREFIX: Final = "WOWMOCK_"
FROZEN_CLOCK_VARIABLE: Final = "MGM_MOCK_NOW"
_TRUE: Final = {"1", "true", "yes", "on"}
_FALSE: Final = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A setting has a value the simulator cannot use; the message names it."""


@dataclass(frozen=True)
class SimulatorSettings:
    """Start-up settings; the seed's names in ``metadata['name']``.

    The behaviour switches (delays, auto-confirm, mailbox…) are only starting
    values: the admin routes change them at run time.
    """

    log_file_path: Path = field(default=Path("Logs/WoWChatLog.txt"), metadata={"name": "LogFilePath"})
    host: str = field(default="127.0.0.1", metadata={"name": "Host"})
    api_port: int = field(default=ports.WOW_SIMULATOR, metadata={"name": "ApiPort"})
    command_processing_delay_ms: int = field(default=100, metadata={"name": "CommandProcessingDelayMs"})
    auto_confirm_accepts: bool = field(default=False, metadata={"name": "AutoConfirmAccepts"})
    echo_run_commands_to_chat_log: bool = field(default=False, metadata={"name": "EchoRunCommandsToChatLog"})
    who_delay_ms: int = field(default=300, metadata={"name": "WhoDelayMs"})
    reply_delay_ms: int = field(default=1000, metadata={"name": "ReplyDelayMs"})
    mail_send_delay_ms: int = field(default=500, metadata={"name": "MailSendDelayMs"})
    auto_send_mail: bool = field(default=False, metadata={"name": "AutoSendMail"})
    mailbox_open: bool = field(default=True, metadata={"name": "MailboxOpen"})
    roster: tuple[str, ...] = field(default=(), metadata={"name": "Roster"})
    # The seed's diagnostics file: when on, the simulator's log lines also go there.
    write_diagnostics_to_file: bool = field(default=False, metadata={"name": "WriteDiagnosticsToFile"})
    diagnostics_log_path: Path = field(default=Path("WoWMock.log"), metadata={"name": "DiagnosticsLogPath"})
    # ``Section:Key=value`` arguments the simulator cannot honour (the caller warns about them).
    ignored: tuple[str, ...] = field(default=(), compare=False, metadata={"name": None})
    # Stamps chat-log lines and /who times; frozen by MGM_MOCK_NOW like the other stand-ins.
    clock: Clock = field(default_factory=SystemClock, repr=False, compare=False, metadata={"name": None})

    def __post_init__(self) -> None:
        if not 0 <= self.api_port <= 65535:
            raise SettingsError(f"ApiPort must be 0..65535; got {self.api_port}")
        for f in _named_fields():
            if f.name.endswith("_ms") and getattr(self, f.name) < 0:
                raise SettingsError(f"{f.metadata['name']} cannot be negative")

    @property
    def log_path(self) -> Path:
        """The chat log's absolute path (relative settings resolve against the working directory)."""
        return self.log_file_path.absolute()

    def with_overrides(self, **changes: Any) -> SimulatorSettings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SimulatorSettings:
        """Settings from ``WOWMOCK_*`` variables (``os.environ`` by default)."""
        return cls.load(os.environ if environ is None else environ)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, argv: Sequence[str] = ()) -> SimulatorSettings:
        """Defaults, then ``WOWMOCK_*`` variables from ``environ``, then ``Key=value`` arguments.

        ``MGM_MOCK_NOW=<ISO-8601 instant>`` in ``environ`` freezes the clock there.
        """
        values: dict[str, Any] = {}
        environ = environ or {}
        frozen = environ.get(FROZEN_CLOCK_VARIABLE, "").strip()
        if frozen:
            values["clock"] = VirtualClock(_instant(frozen))
        for name, raw in environ.items():
            if name.upper().startswith(ENV_PREFIX):
                key = _field_for(name[len(ENV_PREFIX) :])
                if key:
                    values[key] = _convert(key, raw)
        ignored: list[str] = []
        for arg in argv:
            match = re.fullmatch(r"(?:--)?(?:MockSettings:)?([\w-]+)=(.*)", arg, re.IGNORECASE | re.DOTALL)
            key = _field_for(match[1]) if match else None
            if match is None or key is None:
                # An ASP.NET-style ``Section:Key=value`` (the seed's launcher passes such
                # settings) is configuration we cannot honour: ignored with a warning.
                if re.fullmatch(r"\w+(?::\w+)+=.*", arg, re.DOTALL):
                    ignored.append(arg.split("=", 1)[0])
                    continue
                raise SettingsError(f"unknown argument {arg!r}; expected Key=value, e.g. ApiPort=5001")
            values[key] = _convert(key, match[2])
        return cls(**values, ignored=tuple(ignored))


def _named_fields() -> list[dataclasses.Field[Any]]:
    return [f for f in fields(SimulatorSettings) if f.metadata.get("name")]


def _instant(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SettingsError(f"{FROZEN_CLOCK_VARIABLE} must be an ISO-8601 instant; got {text!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _norm(name: str) -> str:
    return re.sub(r"[_\-:]", "", name).upper()


_BY_NORM: Final = {_norm(f.metadata["name"]): f.name for f in _named_fields()}
_BY_NORM.update({_norm(f.name): f.name for f in _named_fields()})
_BY_NORM.update({"PORT": "api_port", "LOGFILE": "log_file_path"})
_TYPES: Final = {f.name: f.default for f in _named_fields()}


def _field_for(name: str) -> str | None:
    norm = _norm(name)
    if norm.startswith("MOCKSETTINGS"):
        norm = norm[len("MOCKSETTINGS") :]
    return _BY_NORM.get(norm)


def _convert(key: str, raw: str) -> Any:
    default = _TYPES[key]
    label = next(f.metadata["name"] for f in _named_fields() if f.name == key)
    text = raw.strip()
    if isinstance(default, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise SettingsError(f"{label} must be true or false; got {raw!r}")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError as exc:
            raise SettingsError(f"{label} must be a whole number; got {raw!r}") from exc
    if isinstance(default, Path):
        if not text:
            raise SettingsError(f"{label} cannot be empty")
        return Path(text)
    if isinstance(default, tuple):
        return tuple(n.strip() for n in text.split(",") if n.strip())
    return text
