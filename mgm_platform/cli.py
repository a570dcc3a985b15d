"""The platform's ``mgm`` subcommands: e2e, report, mock, desktop, stack, steps, backends.

:func:`register` is the ``mgm.cli`` entry point: ``mgm_core.cli`` calls it with
the subcommand table, exactly as it calls a third party's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mgm_core import ports
from mgm_core.port_range import PortRange

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _e2e(args: argparse.Namespace) -> int:
    from mgm_platform.e2e import run_e2e

    return run_e2e(
        args.marker,
        args.alluredir,
        args.pytest_args,
        profile=args.profile,
        keyword=args.keyword,
        workers=args.numprocesses,
        ports=args.ports,
    )


def _report(args: argparse.Namespace) -> int:
    from mgm_platform.report.command import run_report

    return run_report(args)


def _port_range(text: str) -> PortRange:
    try:
        return PortRange.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _mock(args: argparse.Namespace) -> int:
    host = ["--host", args.host] if args.host is not None else []
    port = ["--port", str(args.port)] if args.port is not None else []
    try:
        if args.name == "wow":
            from mgm_wow.simulator_app import main as run_simulator

            # Only what was given is passed on, so WOWMOCK_* variables keep their say.
            return run_simulator([*host, *port, *args.settings])
        from mgm_mocks.__main__ import main as run_mock

        return run_mock([args.name, *host, *port, *args.settings])
    except OSError as exc:
        print(f"mgm mock {args.name}: cannot listen: {exc}", file=sys.stderr)
        return 1


def _desktop(args: argparse.Namespace) -> int:
    from mgm_platform.stack.commands import desktop

    flags = {
        name: getattr(args, name)
        for name in ("ebs_url", "api_key", "chat_log", "wow_dir", "state_dir", "injector", "simulator_url")
    }
    return desktop(flags, log_level=args.log_level)


def _stack_up(args: argparse.Namespace) -> int:
    from mgm_platform.stack import LISTENING, StackOptions
    from mgm_platform.stack.commands import stack_up

    chosen = {name: getattr(args, f"port_{name}") for name in LISTENING}
    options = StackOptions(
        host=args.host,
        ports={name: port for name, port in chosen.items() if port is not None},
        ports_offset=args.ports_offset,
        virtual_clock=args.virtual_clock,
        run_dir=Path(args.run_dir) if args.run_dir else None,
        ready_timeout=args.ready_timeout,
    )
    return stack_up(options, log_level=args.log_level)


def _steps(args: argparse.Namespace) -> int:
    from mgm_platform.catalog import print_steps

    return print_steps(args.text)


def _backends(args: argparse.Namespace) -> int:
    from mgm_platform.backends import print_backends

    return print_backends()


def register(sub: argparse._SubParsersAction) -> None:
    """Add the platform's subcommands to ``mgm``."""
    e2e = sub.add_parser("e2e", help="boot the embedded stack and run the Gherkin scenarios against it")
    e2e.add_argument("-m", "--marker", default="tier_a or tier_b", help="pytest marker expression")
    e2e.add_argument("-k", "--keyword", default=None, help="pytest keyword expression")
    e2e.add_argument("-n", "--numprocesses", default=None, help="pytest-xdist workers (a number or auto)")
    e2e.add_argument("--profile", default=None, help="the --mgm-profile to run against (default local)")
    e2e.add_argument("--alluredir", default="allure-results", help="where Allure results are written")
    e2e.add_argument(
        "--ports",
        type=_port_range,
        default=None,
        metavar="FROM-TO",
        help="services the scenarios start (EBS instances, mocks, simulator) listen on ports of this "
        "range instead of ephemeral ones, e.g. 24000-24999 (sets MGM_PORTS for the run)",
    )
    e2e.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra arguments for pytest (after --)")
    e2e.set_defaults(func=_e2e)

    from mgm_platform.report.command import add_arguments as add_report_arguments

    report = sub.add_parser("report", help="render the Allure HTML report and signoff.md (docs/report.md)")
    add_report_arguments(report)
    report.set_defaults(func=_report)

    mock = sub.add_parser(
        "mock",
        help="run one mock service in the foreground (seed ports by default)",
        epilog="wow: the WoW client simulator; WOWMOCK_* variables and Key=value settings "
        "(MockSettings:LogFilePath=..., AutoSendMail=true) work as for `python -m mgm_wow`, "
        "and `mgm mock wow --help` lists its own options",
    )
    mock.add_argument("name", choices=["eventsub", "jwt", "helix", "desktop", "wow"])
    mock.add_argument("--host", default=None, help="interface to listen on (default 127.0.0.1)")
    mock.add_argument("--port", type=int, default=None, help="default: the seed's port; 0 = any free port")
    mock.add_argument(
        "settings", nargs=argparse.REMAINDER, metavar="...", help="after the name: more options for that mock"
    )
    mock.set_defaults(func=_mock)

    desktop = sub.add_parser(
        "desktop",
        help="run the Desktop bridge in the foreground (settings: MGM_DESKTOP_* variables or flags)",
        epilog="Each flag stands for its MGM_DESKTOP_* variable (docs/desktop-bridge.md); "
        "prefer MGM_DESKTOP_API_KEY to --api-key, which other users can see in the process list.",
    )
    desktop.add_argument("--ebs-url", help="EBS root (MGM_DESKTOP_EBS_URL, default http://127.0.0.1:8080)")
    desktop.add_argument("--api-key", help="Desktop API key (MGM_DESKTOP_API_KEY, else MGM_API_KEY)")
    desktop.add_argument("--chat-log", help="WoWChatLog.txt or its folder (MGM_DESKTOP_CHAT_LOG)")
    desktop.add_argument("--wow-dir", help="WoW folder, used when no chat log is given (MGM_DESKTOP_WOW_DIR)")
    desktop.add_argument("--state-dir", help="where the bridge keeps its state (MGM_DESKTOP_STATE_DIR)")
    desktop.add_argument(
        "--injector",
        choices=["windows", "simulator", "record"],
        help="how lines are typed (MGM_DESKTOP_INJECTOR)",
    )
    desktop.add_argument(
        "--simulator-url", help="WoW client simulator root (MGM_DESKTOP_SIMULATOR_URL, default :5001)"
    )
    desktop.add_argument("--log-level", default="INFO", type=str.upper, choices=_LOG_LEVELS)
    desktop.set_defaults(func=_desktop)

    stack = sub.add_parser("stack", help="the whole local platform in one process (docs/stack.md)")
    stack_sub = stack.add_subparsers(dest="stack_command", required=True)
    up = stack_sub.add_parser(
        "up",
        help="start the EBS, the mocks, the WoW client simulator and the Desktop bridge; Ctrl-C stops all",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Every service listens on its seed port plus --ports-offset unless --port-<service>\n"
        "names its port (0 = any free port). The offset is added to each seed port; it is not\n"
        "a first port (the highest seed port, 9054, plus the offset must stay <= 65535):\n\n"
        f"{ports.offset_table(10000, 20000)}\n\n"
        "Configuration comes from the usual MGM_*, MGM_DESKTOP_*, WOWMOCK_* and seed variables;\n"
        "unset ones default to the seed's CI environment.",
    )
    up.add_argument("--host", default="127.0.0.1", help="interface every service listens on")
    up.add_argument(
        "--ports-offset", type=int, default=0, metavar="N", help="add N to every seed port (table below)"
    )
    for name, seed in ports.BY_SERVICE.items():
        up.add_argument(f"--port-{name}", type=int, default=None, metavar="PORT", help=f"default {seed}")
    up.add_argument(
        "--virtual-clock", action="store_true", help="run the EBS on a virtual clock (MGM_CLOCK=virtual)"
    )
    up.add_argument("--run-dir", help="chat log and bridge state (default <MGM_DATA_DIR>/stack)")
    up.add_argument(
        "--ready-timeout", type=float, default=60.0, metavar="SECONDS", help="per-service readiness wait"
    )
    up.add_argument("--log-level", default="INFO", type=str.upper, choices=_LOG_LEVELS)
    up.set_defaults(func=_stack_up)

    steps = sub.add_parser("steps", help="list the Gherkin step library: phrase, meaning, backends")
    steps.add_argument("text", nargs="?", default=None, help="only phrases containing TEXT, or closest to it")
    steps.set_defaults(func=_steps)

    backends = sub.add_parser("backends", help="list the test backends and the capabilities they offer")
    backends.set_defaults(func=_backends)
