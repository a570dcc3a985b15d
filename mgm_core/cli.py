"""The ``mgm`` command: serve the EBS, run the scenario suite, run mocks."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from mgm_core import __version__
from mgm_core.config import Config, ConfigError

log = logging.getLogger("mgm_core.cli")


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
    except OSError as exc:
        log.error("EBS could not start", extra={"error": str(exc)})
        return 1
    return 0


def _e2e(args: argparse.Namespace) -> int:
    from mgm_core.e2e import run_e2e

    return run_e2e(args.marker, args.alluredir, args.pytest_args)


def _mock(args: argparse.Namespace) -> int:
    from mgm_mocks.__main__ import main as run_mock

    extra = ["--host", args.host] + (["--port", str(args.port)] if args.port is not None else [])
    return run_mock([args.name, *extra])


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

    mock = sub.add_parser("mock", help="run one mock service in the foreground (seed ports by default)")
    mock.add_argument("name", choices=["eventsub", "jwt", "helix", "desktop"])
    mock.add_argument("--host", default="127.0.0.1")
    mock.add_argument("--port", type=int, default=None, help="default: the seed's port; 0 = any free port")
    mock.set_defaults(func=_mock)

    plugins = sub.add_parser("plugins", help="list the loaded plugins, their versions and hooks")
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    plugins.set_defaults(func=_plugins)

    from mgm_twitch.eventsub_admin import add_parser as add_twitch_parser

    add_twitch_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
