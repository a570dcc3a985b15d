"""The platform's hook: how a backend tells the platform what it can do.

Backend packages implement it with ``pluggy.HookimplMarker("mgm_platform")`` in a
module named by an ``mgm.backends`` entry point; the built-in backends do the same
(:mod:`mgm_platform.builtin_backends`), so a backend never imports the platform.
"""

from __future__ import annotations

import pluggy

PROJECT = "mgm_platform"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def mgm_platform_backends() -> list[dict]:
    """Describe the test backends this plugin provides.

    Called once per process, when the platform first needs its backend table
    (a pytest session's configuration, ``mgm backends``), with no arguments.

    Return a list of plain dicts, one per backend, with the keys:

    * ``role`` — what it stands in for: ``ebs``, ``twitch``, ``helix`` or ``wow``;
    * ``name`` — the value that selects it (``--mgm-helix real`` selects ``real``);
      ``ebs`` backends may name ``url`` to accept any ``http(s)://`` value;
    * ``capabilities`` — the capability names it offers (:data:`mgm_platform.backends.CAPABILITIES`);
    * ``description`` — one line for ``mgm backends``;
    * ``credentials`` (optional) — environment variables it needs; while one is
      unset the backend offers nothing and skipped scenarios name the missing ones;
    * ``unavailable`` (optional) — a non-empty reason when the backend can offer
      nothing on this machine whatever the variables (e.g. the real game's
      injector off Windows); skipped scenarios quote it.

    A return of ``[]`` or ``None`` adds nothing. Two backends with the same role
    and name are a usage error naming both plugins.
    """
