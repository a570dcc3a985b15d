"""Running the bridge as a process: its ``MGM_DESKTOP_*`` settings and its assembly."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from mgm_core import ports
from mgm_core.clock import Clock
from mgm_wow.bridge.bridge import BridgeSettings, DesktopBridge
from mgm_wow.bridge.ebs_client import EbsClient
from mgm_wow.bridge.injector import HttpSimulatorInjector, Injector, RecordingInjector, WindowsInjector
from mgm_wow.bridge.tail import ChatLogTail

InjectorKind = Literal["windows", "simulator", "record"]
CHAT_LOG_NAME: Final = "WoWChatLog.txt"
_TRUE: Final = {"1", "true", "yes", "on"}
_FALSE: Final = {"0", "false", "no", "off", ""}


class DesktopConfigError(ValueError):
    """A bridge setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class DesktopConfig:
    """Everything the bridge process needs."""

    ebs_url: str = f"http://127.0.0.1:{ports.EBS}"
    api_key: str = field(default="", repr=False)
    chat_log: Path = Path("Logs") / CHAT_LOG_NAME
    state_dir: Path = Path(".mgm") / "desktop"
    injector: InjectorKind = "simulator"
    simulator_url: str = f"http://127.0.0.1:{ports.WOW_SIMULATOR}"
    start_at_end: bool = False
    bridge: BridgeSettings = field(default_factory=BridgeSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DesktopConfig:
        """Read ``MGM_DESKTOP_*`` (the API key falls back to ``MGM_API_KEY``)."""
        env = os.environ if environ is None else environ

        def text(name: str, default: str = "") -> str:
            return env.get(name, default).strip()

        def seconds(name: str, default: float, low: float, high: float) -> float:
            raw = text(name)
            try:
                value = float(raw) if raw else default
            except ValueError as exc:
                raise DesktopConfigError(f"{name} must be a number of seconds; got {raw!r}") from exc
            return min(max(value, low), high)

        chat_log = Path(text("MGM_DESKTOP_CHAT_LOG") or "")
        if not str(chat_log) or str(chat_log) == ".":
            wow_dir = text("MGM_DESKTOP_WOW_DIR")
            chat_log = Path(wow_dir) / "Logs" / CHAT_LOG_NAME if wow_dir else cls.chat_log
        elif chat_log.is_dir():
            chat_log = chat_log / CHAT_LOG_NAME
        injector = text("MGM_DESKTOP_INJECTOR").lower() or (
            "windows" if sys.platform == "win32" else "simulator"
        )
        if injector not in ("windows", "simulator", "record"):
            raise DesktopConfigError(
                f"MGM_DESKTOP_INJECTOR must be windows, simulator or record; got {injector!r}"
            )
        start_at_end = text("MGM_DESKTOP_START_AT_END").lower()
        if start_at_end not in _TRUE | _FALSE:
            raise DesktopConfigError(f"MGM_DESKTOP_START_AT_END must be true or false; got {start_at_end!r}")
        return cls(
            ebs_url=text("MGM_DESKTOP_EBS_URL") or cls.ebs_url,
            api_key=text("MGM_DESKTOP_API_KEY") or text("MGM_API_KEY"),
            chat_log=chat_log,
            state_dir=Path(text("MGM_DESKTOP_STATE_DIR") or cls.state_dir),
            injector=injector,  # type: ignore[arg-type]
            simulator_url=text("MGM_DESKTOP_SIMULATOR_URL") or cls.simulator_url,
            start_at_end=start_at_end in _TRUE,
            bridge=BridgeSettings(
                tail_interval=seconds("MGM_DESKTOP_TAIL_INTERVAL_SECONDS", 0.75, 0.05, 60),
                # The seed clamps the pending poll to 5..600 s.
                pending_poll_interval=seconds("MGM_DESKTOP_PENDING_POLL_SECONDS", 15, 5, 600),
                candidate_poll_interval=seconds("MGM_DESKTOP_CANDIDATE_POLL_SECONDS", 5, 1, 600),
                who_phases=frozenset(
                    p.strip().lower()
                    for p in text("MGM_DESKTOP_WHO_PHASES", "spinning,verification").split(",")
                )
                - {""},
            ),
        )


def make_injector(config: DesktopConfig) -> Injector:
    """The injector the configuration names."""
    if config.injector == "windows":
        return WindowsInjector()
    if config.injector == "record":
        return RecordingInjector()
    return HttpSimulatorInjector(config.simulator_url)


def build_bridge(config: DesktopConfig, *, clock: Clock, ebs: EbsClient | None = None) -> DesktopBridge:
    """A bridge wired from ``config``; its state files live in ``config.state_dir``.

    ``clock`` is the bridge's notion of now: required, so a bridge never compares the
    EBS's (possibly virtual) deadlines with another clock by accident.
    """
    tail = ChatLogTail(
        config.chat_log, config.state_dir / "tail-state.json", start_at_end=config.start_at_end
    )
    return DesktopBridge(
        ebs or EbsClient(config.ebs_url, config.api_key),
        make_injector(config),
        tail,
        state_path=config.state_dir / "bridge-state.json",
        settings=config.bridge,
        clock=clock,
    )
