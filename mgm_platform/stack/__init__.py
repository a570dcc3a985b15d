"""The whole local platform in one process: ``mgm stack up``.

One event loop serves the EBS (embedded PostgreSQL unless ``MGM_DATABASE_URL``),
the four seed mocks, the WoW client simulator, and runs the Desktop bridge
against them, configured like the seed's CI environment (``docs/stack.md``)::

    stack = Stack(StackOptions(ports=dict.fromkeys(LISTENING, 0)))
    await stack.start()
    stack.url("ebs"), stack.services["helix"].status
    await stack.stop()

:mod:`mgm_platform.stack.commands` holds the foreground commands (``mgm stack up``,
``mgm desktop``); :mod:`mgm_platform.stack.logs` the compact log format.
"""

from mgm_platform.stack.orchestrator import ServiceInfo, Stack, format_table
from mgm_platform.stack.plan import (
    LISTENING,
    SEED_CI_DEFAULTS,
    SERVICES,
    ServiceSpec,
    StackConfigError,
    StackOptions,
    StackStartError,
    plan_ports,
)

__all__ = [
    "LISTENING",
    "SEED_CI_DEFAULTS",
    "SERVICES",
    "ServiceInfo",
    "ServiceSpec",
    "Stack",
    "StackConfigError",
    "StackOptions",
    "StackStartError",
    "format_table",
    "plan_ports",
]
