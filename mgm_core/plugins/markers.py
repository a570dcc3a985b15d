"""The project's pluggy markers, created once (project name ``mgm``)."""

import pluggy

PROJECT = "mgm"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
