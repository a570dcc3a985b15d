"""The plugin host: the EBS's pluggy hooks, and how plugins are found and loaded.

Writing a plugin
================

A plugin is a module (or object) with functions named after the hooks in
:mod:`mgm_core.plugins.hookspecs`, each decorated with :data:`hookimpl`::

    from mgm_core.plugins import hookimpl

    @hookimpl
    def mgm_payout_transition(transition, context):
        context.log.info("payout %s is now %s", transition.payout.id, transition.new_status)

Install it as a distribution that names the module in the ``mgm`` entry-point
group, exactly as the built-in plugins do::

    [project.entry-points.mgm]
    my_channel = "my_package.plugin"

``MGM_PLUGINS`` (an allow-list of entry-point names) and
``MGM_DISABLE_PLUGINS`` (a deny-list) decide which are loaded; ``mgm plugins``
lists what was loaded, with versions and hooks. Hooks may be plain functions
or ``async def``; the host awaits what they return.

Testing a plugin: :func:`mgm_core.testing.plugins.register_plugin` (a pytest
fixture factory) registers an inline plugin on the EBS a test starts. The
plugin author's guide is ``docs/plugins.md``.
"""

from mgm_core.plugins.markers import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
