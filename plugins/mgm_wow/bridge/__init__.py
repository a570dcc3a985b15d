"""The Desktop's bridge between ``WoWChatLog.txt``, the game and the EBS.

* :class:`ChatLogTail` follows the log (restart-, truncation- and rotation-safe);
* :class:`EbsClient` makes the Desktop's EBS calls with bounded retries;
* :class:`Injector` types ``/run`` lines into the game (Windows, the simulator, or a recorder);
* :class:`DesktopBridge` ties them together (``tick``, ``poll_pending``,
  ``poll_candidate``, ``sync``, ``run``).

``python -m mgm_wow.bridge`` runs it as a process configured by ``MGM_DESKTOP_*``
variables (see ``docs/desktop-bridge.md``).
"""

from mgm_wow.bridge.bridge import BridgeSettings, BridgeStatus, DesktopBridge, SyncReport, TagOutcome
from mgm_wow.bridge.ebs_client import (
    Candidate,
    EbsAuthRejected,
    EbsClient,
    EbsError,
    EbsRefused,
    EbsUnavailable,
    Payout,
    RetryPolicy,
)
from mgm_wow.bridge.injector import (
    HttpSimulatorInjector,
    InjectionFailed,
    Injector,
    InjectorUnavailable,
    RecordingInjector,
    WindowsInjector,
)
from mgm_wow.bridge.tail import ChatLogTail, TailedTag

__all__ = [
    "BridgeSettings",
    "BridgeStatus",
    "Candidate",
    "ChatLogTail",
    "DesktopBridge",
    "EbsAuthRejected",
    "EbsClient",
    "EbsError",
    "EbsRefused",
    "EbsUnavailable",
    "HttpSimulatorInjector",
    "InjectionFailed",
    "Injector",
    "InjectorUnavailable",
    "Payout",
    "RecordingInjector",
    "RetryPolicy",
    "SyncReport",
    "TagOutcome",
    "TailedTag",
    "WindowsInjector",
]
