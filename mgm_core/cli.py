"""The ``mgm`` command: ``serve`` the EBS, list its ``plugins``; other packages add subcommands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from mgm_core import __version__
from mgm_core.config import Config, ConfigError

log = logging.getLogger("mgm_core.cli")

COMMANDS_GROUP = "mgm.cli"


def _serve(args: argparse.Namespace) -> int:
    from mgm_core import logs
    from mgm_core.serving import event_loop_factory, serve_until_signalled
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
        app = create_app(config)
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(
                serve_until_signalled(
                    app, config.host, config.port, on_started=started, reuse_port=args.reuse_port
                )
            )
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # start-up failures: say what failed, without a traceback
        log.error("EBS could not start", extra={"error": f"{type(exc).__name__}: {exc}"})
        print(f"mgm serve: could not start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


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


def _add_entry_point_commands(sub: argparse._SubParsersAction) -> None:
    """Subcommands of other distributions: each ``mgm.cli`` entry point is ``register(subparsers)``.

    The platform (``mgm e2e``, ``mgm stack``…) and the Twitch plugin (``mgm twitch``) arrive this
    way, as a third party's would; one that cannot load is reported and the rest still work.
    """
    from importlib.metadata import entry_points

    for entry in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        try:
            entry.load()(sub)
        except Exception as exc:
            print(f"mgm: commands of {entry.name} ({entry.value}) unavailable: {exc}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mgm", description="Mimiron's Gold-o-Matic EBS and test platform")
    parser.add_argument("--version", action="version", version=f"mgm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the EBS (configuration from MGM_* environment variables)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--log-level", default="INFO")
    serve.add_argument(
        "--reuse-port",
        action="store_true",
        help="share the port with other `mgm serve --reuse-port` processes (SO_REUSEPORT)",
    )
    serve.set_defaults(func=_serve)

    plugins = sub.add_parser("plugins", help="list the loaded plugins, their versions and hooks")
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    plugins.set_defaults(func=_plugins)

    from mgm_core.outbox_cli import add_parser as add_outbox_parser
    from mgm_core.testing.clean_command import add_parser as add_clean_parser

    add_outbox_parser(sub)  # an operator's command on the EBS's own database: part of the core
    add_clean_parser(sub)  # leftovers of killed test runs (mgm_core.testing's own databases)
    _add_entry_point_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
