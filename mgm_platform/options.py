"""The platform's choices and where they come from: command line > environment > profile > ini > default.

Every choice is a pytest option ``--mgm-NAME``, an environment variable
``MGM_NAME`` and an ini key ``mgm_NAME``. A *profile* is a named set of choices:
the built-ins below, or ``[tool.mgm.profiles.NAME]`` in the project's
``pyproject.toml`` (values may name environment variables as ``$VAR``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

# name -> (default, help)
CHOICES: Final[dict[str, tuple[str, str]]] = {
    "ebs": ("local", "the EBS the scenarios drive: local (one in process per scenario), stack, or a URL"),
    "twitch": ("mock", "who delivers chat messages: mock (signed by test code) or real"),
    "helix": ("mock", "where announcements go: mock (MockHelixApi) or real"),
    "wow": ("simulator", "the game: simulator (WoW client simulator + Desktop bridge) or real"),
    "stack": (".mgm", "the data directory of a running `mgm stack up` (its stack.json)"),
}
PROFILE_HELP: Final = "a named set of the choices: local, stack, staging or [tool.mgm.profiles.NAME]"

BUILTIN_PROFILES: Final[dict[str, dict[str, str]]] = {
    "local": {"ebs": "local", "twitch": "mock", "helix": "mock", "wow": "simulator"},
    "stack": {"ebs": "stack", "twitch": "mock", "helix": "mock", "wow": "simulator"},
    "staging": {"ebs": "$MGM_STAGING_EBS_URL", "twitch": "real", "helix": "real", "wow": "real"},
}
DEFAULT_PROFILE: Final = "local"
_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)\}")


class ChoiceError(ValueError):
    """An unknown profile or key; the message lists the known ones."""


def env_name(name: str) -> str:
    return f"MGM_{name.upper()}"


def ini_name(name: str) -> str:
    return f"mgm_{name}"


def option_name(name: str) -> str:
    return f"--mgm-{name}"


def user_profiles(rootpath: Path) -> dict[str, dict[str, str]]:
    """``[tool.mgm.profiles.*]`` of ``rootpath/pyproject.toml`` (none when the file or table is absent)."""
    pyproject = rootpath / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    with pyproject.open("rb") as handle:
        data = tomllib.load(handle)
    profiles = data.get("tool", {}).get("mgm", {}).get("profiles", {})
    if not isinstance(profiles, dict):
        raise ChoiceError(f"{pyproject}: [tool.mgm.profiles] must be a table of tables")
    found: dict[str, dict[str, str]] = {}
    for name, table in profiles.items():
        if not isinstance(table, dict):
            raise ChoiceError(f"{pyproject}: [tool.mgm.profiles.{name}] must be a table")
        unknown = sorted(set(table) - set(CHOICES))
        if unknown:
            raise ChoiceError(
                f"{pyproject}: [tool.mgm.profiles.{name}] has unknown key {', '.join(unknown)};"
                f" known keys: {', '.join(CHOICES)}"
            )
        found[name] = {key: str(value) for key, value in table.items()}
    return found


def variables_in(value: str) -> list[str]:
    """The environment variables a profile value names (``$VAR`` or ``${VAR}``)."""
    return [m.group(1) or m.group(2) for m in _VARIABLE.finditer(value)]


def _expand(value: str, environ: Mapping[str, str]) -> str:
    return _VARIABLE.sub(lambda m: environ.get(m.group(1) or m.group(2), ""), value)


@dataclass(frozen=True)
class Selection:
    """The resolved choices and, for each, where it came from (for the report header)."""

    profile: str
    values: Mapping[str, str]
    sources: Mapping[str, str]

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v or '(unset)'} [{self.sources[k]}]" for k, v in self.values.items())
        return f"profile {self.profile} [{self.sources['profile']}]: {shown}"


def resolve(
    cli: Mapping[str, str | None],
    ini: Mapping[str, str | None],
    environ: Mapping[str, str],
    profiles: Mapping[str, Mapping[str, str]],
) -> Selection:
    """Resolve every choice: command line > environment > profile > ini > default.

    ``cli`` and ``ini`` map choice names (and ``profile``) to their values, ``None``
    or ``""`` when not given; ``profiles`` holds built-in and user profiles.
    """
    sources: dict[str, str] = {}

    def first(name: str, *layers: tuple[str, str | None]) -> str | None:
        for source, value in layers:
            if value:
                sources[name] = source
                return value
        return None

    profile = first(
        "profile",
        (option_name("profile"), cli.get("profile")),
        (env_name("profile"), environ.get(env_name("profile"))),
        (ini_name("profile"), ini.get("profile")),
    )
    if profile is None:
        profile, sources["profile"] = DEFAULT_PROFILE, "default"
    if profile not in profiles:
        raise ChoiceError(f"unknown profile {profile!r} ({sources['profile']}); known: {', '.join(profiles)}")
    chosen = profiles[profile]
    values: dict[str, str] = {}
    for name, (default, _) in CHOICES.items():
        profile_value = chosen.get(name)
        value = first(
            name,
            (option_name(name), cli.get(name)),
            (env_name(name), environ.get(env_name(name))),
            (f"profile {profile}", _expand(profile_value, environ) if profile_value is not None else None),
            (ini_name(name), ini.get(name)),
        )
        if value is None:
            if profile_value is not None:  # the profile named an unset variable
                value, sources[name] = "", f"profile {profile}"
            else:
                value, sources[name] = default, "default"
        values[name] = value
    return Selection(profile, values, sources)


def all_profiles(rootpath: Path) -> dict[str, dict[str, str]]:
    """The built-in profiles, then the project's (which may redefine a built-in)."""
    return {**BUILTIN_PROFILES, **user_profiles(rootpath)}
