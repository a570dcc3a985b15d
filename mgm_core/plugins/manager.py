"""Building the plugin manager and calling hooks that may be async."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pluggy

from mgm_core.plugins import hookspecs
from mgm_core.plugins.markers import PROJECT

log = logging.getLogger("mgm_core.plugins")

ENTRY_POINT_GROUP = "mgm"


@dataclass(frozen=True)
class LoadedPlugin:
    """What ``mgm plugins`` reports for one registered plugin."""

    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering which distribution each entry-point plugin came from."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.distributions: dict[str, tuple[str, str]] = {}  # plugin name -> (distribution, version)


def create_plugin_manager(
    *,
    allow: Iterable[str] | None = None,
    deny: Iterable[str] = (),
    extra: Iterable[object] = (),
) -> PluginManager:
    """The one way to build a manager: specs, the ``mgm`` entry points, then ``extra``.

    Built-in plugins are entry points of this project's own distribution, so they
    load exactly like a third party's. ``allow`` (``None`` = everything) and
    ``deny`` select entry-point names; ``extra`` plugins (tests' inline plugins)
    are registered after them; one that is already registered (an installed plugin's
    module passed again) is logged and left as it is. Raises :class:`pluggy.PluginValidationError` for an
    implementation whose hook has no spec.
    """
    manager = PluginManager()
    manager.add_hookspecs(hookspecs)
    allowed = None if allow is None else set(allow)
    denied = set(deny)
    entry_names: set[str] = set()
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if entry.name in denied or (allowed is not None and entry.name not in allowed):
            log.info("plugin not loaded", extra={"plugin": entry.name, "reason": "not selected"})
            continue
        if manager.has_plugin(entry.name):
            continue
        plugin = entry.load()
        manager.register(plugin, name=entry.name)
        entry_names.add(entry.name)
        if entry.dist is not None:
            manager.distributions[entry.name] = (entry.dist.name, entry.dist.version)
    for plugin in extra:
        name = manager.get_name(plugin)
        if name is not None:
            # An installed plugin handed in again (a plugin author's ``ebs_with_plugins(my_plugin)``):
            # it already runs under its entry-point name; registering it twice would raise.
            reason = "loaded through its entry point" if name in entry_names else "passed twice"
            log.info(
                "plugin already registered; not registered again", extra={"plugin": name, "reason": reason}
            )
            continue
        manager.register(plugin)
    manager.check_pending()
    return manager


def describe(manager: PluginManager) -> list[LoadedPlugin]:
    """Every registered plugin with its distribution, version and implemented hooks."""
    described = []
    for name, plugin in manager.list_name_plugin():
        if plugin is None:
            continue
        hooks = tuple(sorted(caller.name for caller in manager.get_hookcallers(plugin) or ()))
        distribution, version = manager.distributions.get(name, (None, None))
        described.append(LoadedPlugin(name, distribution, version, hooks))
    return sorted(described, key=lambda p: p.name)


def _implementations(hook: pluggy.HookCaller) -> list[pluggy.HookImpl]:
    # pluggy calls the last registered first and tryfirst before the rest: reversed order.
    return [impl for impl in reversed(hook.get_hookimpls()) if not (impl.hookwrapper or impl.wrapper)]


async def _call(impl: pluggy.HookImpl, kwargs: dict[str, Any]) -> Any:
    result = impl.function(**{name: kwargs[name] for name in impl.argnames})
    if inspect.isawaitable(result):
        result = await result
    return result


async def _results(hook: pluggy.HookCaller, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
    """Each implementation's (awaited) result in call order; a raising one is logged and skipped."""
    for impl in _implementations(hook):
        try:
            yield await _call(impl, kwargs)
        except Exception:
            _failed(hook, impl)


def _failed(hook: pluggy.HookCaller, impl: pluggy.HookImpl) -> None:
    log.exception("plugin hook failed", extra={"hook": hook.name, "plugin": impl.plugin_name})


async def first_result(hook: pluggy.HookCaller, **kwargs: Any) -> Any:
    """Call implementations in pluggy's order until one returns non-None; await async ones.

    A raising implementation is logged and counts as ``None``. A plain loop, not
    :func:`_results`: this runs once per chat enrollment (the subscriber check).
    """
    for impl in _implementations(hook):
        try:
            result = impl.function(**{name: kwargs[name] for name in impl.argnames})
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            _failed(hook, impl)
            continue
        if result is not None:
            return result
    return None


async def call_all(hook: pluggy.HookCaller, **kwargs: Any) -> list[Any]:
    """Call every implementation (awaiting async ones); return the non-None results.

    A raising implementation is logged; the others still run.
    """
    return [result async for result in _results(hook, kwargs) if result is not None]
