"""The ``mgm`` command: serve the EBS, run the scenario suite, run mocks, the bridge or the whole stack."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from mgm_core import __version__, ports
from mgm_core.config import Config, ConfigError

log = logging.getLogger("mgm_core.cli")

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _serve(args: argparse.Namespace) -> int:
    from mgm_core import logs
    from mgm_core.serving import serve_until_signalled
    from mgm_core.web.app import create_app

    try:
        config = Config.from_env().with_overrides(host=args.host, port=args.port).validate()
    except ConfigError as exc:
        print(f"mgm serve: configuration error: {exc}", file=sys.stderr)
        return 2
    logs.configure(
        args.log_level,
        secrets=(config.api_key, config.eventsub_secret, config.extension_secret, config.broadcaster_token),
    )
    log.info("starting EBS", extra={"config": config.public_summary()})

    def started(port: int) -> None:
        log.info("EBS listening", extra={"url": f"http://{config.host}:{port}"})

    try:
        asyncio.run(serve_until_signalled(create_app(config), config.host, config.port, on_started=started))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # start-up failures: say what failed, without a traceback
        log.error("EBS could not start", extra={"error": f"{type(exc).__name__}: {exc}"})
        print(f"mgm serve: could not start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def _e2e(args: argparse.Namespace) -> int:
    from mgm_core.e2e import run_e2e

    return run_e2e(args.marker, args.alluredir, args.pytest_args)


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
    from mgm_core.stack.commands import desktop

    flags = {
        name: getattr(args, name)
        for name in ("ebs_url", "api_key", "chat_log", "wow_dir", "state_dir", "injector", "simulator_url")
    }
    return desktop(flags, log_level=args.log_level)


def _stack_up(args: argparse.Namespace) -> int:
    from mgm_core.stack import LISTENING, StackOptions
    from mgm_core.stack.commands import stack_up

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


def _plugins(args: argparse.Namespace) -> int:
    from mgm_core.plugins.manager import create_plugin_manager, describe

    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"mgm plugins: configuration error: {exc}", file=sys.stderr)
        return 2
    manager = create_plugin_manager(allow=config.plugins, deny=config.disabled_plugins)
    loaded = describe(manager)
    if args.json:
        import json

        print(json.dumps([vars(p) | {"hooks": list(p.hooks)} for p in loaded], indent=2))
        return 0
    width = max((len(p.name) for p in loaded), default=6)
    print(f"{'plugin':<{width}}  {'distribution':<28} {'version':<10} hooks")
    for plugin in loaded:
        dist = plugin.distribution or "-"
        print(f"{plugin.name:<{width}}  {dist:<28} {plugin.version or '-':<10} {', '.join(plugin.hooks)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mgm", description="Mimiron's Gold-o-Matic EBS and test platform")
    parser.add_argument("--version", action="version", version=f"mgm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the EBS (configuration from MGM_* environment variables)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--log-level", default="INFO")
    serve.set_defaults(func=_serve)

    e2e = sub.add_parser("e2e", help="boot the embedded stack and run the Gherkin scenarios against it")
    e2e.add_argument("-m", "--marker", default="tier_a or tier_b", help="pytest marker expression")
    e2e.add_argument("--alluredir", default="allure-results", help="where Allure results are written")
    e2e.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra arguments for pytest (after --)")
    e2e.set_defaults(func=_e2e)

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
        epilog="Every service listens on its seed port plus --ports-offset unless --port-<service> "
        "names its port (0 = any free port). Configuration comes from the usual MGM_*, MGM_DESKTOP_*, "
        "WOWMOCK_* and seed variables; unset ones default to the seed's CI environment.",
    )
    up.add_argument("--host", default="127.0.0.1", help="interface every service listens on")
    up.add_argument("--ports-offset", type=int, default=0, metavar="N", help="add N to every seed port")
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

    plugins = sub.add_parser("plugins", help="list the loaded plugins, their versions and hooks")
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    plugins.set_defaults(func=_plugins)

    from mgm_core.testing.clean_command import add_parser as add_clean_parser

    add_clean_parser(sub)

    from mgm_twitch.eventsub_admin import add_parser as add_twitch_parser

    add_twitch_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
