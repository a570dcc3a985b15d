"""EBS configuration, read from ``MGM_*`` environment variables.

:meth:`Config.from_env` parses and validates; a bad value raises
:class:`ConfigError` naming the variable, so the process refuses to start with
a message an operator can act on. Secrets are kept out of ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from mgm_core.clock import parse_clock_start

Environment = Literal["development", "production"]
ClockKind = Literal["system", "virtual"]

DEV_EXTENSION_KEY = hashlib.sha256(b"mgm-dev-extension-secret-change-me").digest()
DEFAULT_HELIX_BASE_URL = "https://api.twitch.tv"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class RateLimit:
    """A fixed-window budget: ``requests`` per ``window_seconds``."""

    requests: int
    window_seconds: int

    @classmethod
    def parse(cls, text: str, variable: str) -> RateLimit:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match or int(match[1]) < 1 or int(match[2]) < 1:
            raise ConfigError(
                f"{variable} must look like '<requests>/<seconds>' with both above 0, "
                f"e.g. '5/60'; got {text!r}"
            )
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.requests}/{self.window_seconds}"


def _secret() -> Any:
    return field(default="", repr=False)


@dataclass(frozen=True)
class Config:
    """Everything the EBS needs to know at start-up."""

    env: Environment = "development"
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str | None = field(default=None, repr=False)
    data_dir: Path = Path(".mgm")
    api_key: str = _secret()
    eventsub_secret: str = _secret()
    extension_secret: str = _secret()
    extension_client_id: str = ""
    broadcaster_id: str = ""
    broadcaster_token: str = _secret()
    helix_client_id: str = ""
    helix_base_url: str = DEFAULT_HELIX_BASE_URL
    helix_timeout_seconds: float = 10.0
    enable_e2e_harness: bool = False
    dev_skip_subscriber_check: bool = False
    rate_limit: RateLimit = RateLimit(5, 60)
    desktop_rate_limit: RateLimit = RateLimit(600, 60)
    clock: ClockKind = "system"
    clock_start: datetime | None = None  # where a virtual clock starts (MGM_CLOCK_START); None = now
    subscriber_badges: frozenset[str] = frozenset({"subscriber", "founder"})
    max_body_bytes: int = 64 * 1024
    plugins: frozenset[str] | None = None  # allow-list of entry-point names; None = all
    disabled_plugins: frozenset[str] = frozenset()
    version: str = ""
    release_notes_url: str | None = None
    minimum_desktop_version: str | None = None
    minimum_addon_version: str | None = None
    minimum_extension_version: str | None = None

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @property
    def harness_enabled(self) -> bool:
        """The e2e harness routes exist only in development with the explicit flag."""
        return self.is_development and self.enable_e2e_harness

    @property
    def skip_subscriber_check(self) -> bool:
        return self.is_development and self.dev_skip_subscriber_check

    @property
    def virtual_clock(self) -> bool:
        return self.is_development and self.clock == "virtual"

    def extension_key(self) -> bytes:
        """The HS256 key for Extension JWTs: the decoded secret, or the dev key."""
        if self.extension_secret:
            return _decode_extension_secret(self.extension_secret)
        if self.is_development:
            return DEV_EXTENSION_KEY
        raise ConfigError("MGM_EXTENSION_SECRET is required in production")

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)

    def validate(self) -> Config:
        """Refuse settings that cannot run; returns ``self`` for chaining."""
        if self.env == "production":
            for variable, value in (
                ("MGM_API_KEY", self.api_key),
                ("MGM_EVENTSUB_SECRET", self.eventsub_secret),
                ("MGM_EXTENSION_SECRET", self.extension_secret),
            ):
                if not value.strip():
                    raise ConfigError(f"{variable} must be set when MGM_ENV=production")
        if self.extension_secret:
            _decode_extension_secret(self.extension_secret)
        if self.eventsub_secret and not 10 <= len(self.eventsub_secret) <= 100:
            raise ConfigError("MGM_EVENTSUB_SECRET must be 10 to 100 ASCII characters (Twitch's rule)")
        if self.eventsub_secret and not self.eventsub_secret.isascii():
            raise ConfigError("MGM_EVENTSUB_SECRET must be ASCII (Twitch's rule)")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be 0..65535; got {self.port}")
        if not 0 < self.helix_timeout_seconds <= 120:
            raise ConfigError("MGM_HELIX_TIMEOUT_SECONDS must be above 0 and at most 120")
        if self.max_body_bytes < 1024:
            raise ConfigError("MGM_MAX_BODY_BYTES must be at least 1024")
        return self

    def dev_only_settings_ignored(self) -> list[str]:
        """Development-only switches that are set but inert because env is production."""
        if self.is_development:
            return []
        ignored = []
        if self.enable_e2e_harness:
            ignored.append("MGM_ENABLE_E2E_HARNESS")
        if self.dev_skip_subscriber_check:
            ignored.append("MGM_DEV_SKIP_SUBSCRIBER_CHECK")
        if self.clock == "virtual":
            ignored.append("MGM_CLOCK")
        return ignored

    def public_summary(self) -> dict[str, Any]:
        """Settings safe to log: secrets are reported only as set or not set."""
        summary: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if not f.repr:
                summary[f.name] = "set" if value else "unset"
            elif isinstance(value, frozenset):
                summary[f.name] = sorted(value)
            elif value is None or isinstance(value, str | int | float | bool):
                summary[f.name] = value
            elif isinstance(value, RateLimit | Path):
                summary[f.name] = str(value)
            else:
                summary[f.name] = value
        return summary

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Build a validated config from ``MGM_*`` variables (``os.environ`` by default)."""
        env = os.environ if environ is None else environ

        def text(name: str, default: str = "") -> str:
            return env.get(name, default).strip()

        def flag(name: str) -> bool:
            value = text(name).lower()
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
            raise ConfigError(f"{name} must be true or false; got {env[name]!r}")

        def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = text(name, default).lower() or default
            if value not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
            return value

        def optional(name: str) -> str | None:
            return text(name) or None

        badges = frozenset(
            b.strip().lower() for b in text("MGM_SUBSCRIBER_BADGES", "subscriber,founder").split(",")
        ) - {""}
        if not badges:
            raise ConfigError("MGM_SUBSCRIBER_BADGES must name at least one badge set id")
        try:
            max_body = int(text("MGM_MAX_BODY_BYTES", "65536"))
        except ValueError as exc:
            raise ConfigError("MGM_MAX_BODY_BYTES must be a whole number of bytes") from exc
        try:
            helix_timeout = float(text("MGM_HELIX_TIMEOUT_SECONDS", "10"))
        except ValueError as exc:
            raise ConfigError("MGM_HELIX_TIMEOUT_SECONDS must be a number of seconds") from exc

        def names(name: str) -> frozenset[str]:
            return frozenset(n.strip() for n in text(name).split(",")) - {""}

        clock_start = None
        if text("MGM_CLOCK_START"):
            try:
                clock_start = parse_clock_start(text("MGM_CLOCK_START"))
            except ValueError as exc:
                raise ConfigError(f"MGM_CLOCK_START: {exc}") from None

        config = cls(
            env=choice("MGM_ENV", ("development", "production"), "development"),  # type: ignore[arg-type]
            database_url=optional("MGM_DATABASE_URL"),
            data_dir=Path(text("MGM_DATA_DIR", ".mgm") or ".mgm"),
            api_key=text("MGM_API_KEY"),
            eventsub_secret=text("MGM_EVENTSUB_SECRET"),
            extension_secret=text("MGM_EXTENSION_SECRET"),
            extension_client_id=text("MGM_EXTENSION_CLIENT_ID"),
            broadcaster_id=text("MGM_BROADCASTER_ID"),
            broadcaster_token=text("MGM_BROADCASTER_TOKEN"),
            helix_client_id=text("MGM_HELIX_CLIENT_ID"),
            helix_base_url=(text("MGM_HELIX_BASE_URL") or DEFAULT_HELIX_BASE_URL).rstrip("/"),
            enable_e2e_harness=flag("MGM_ENABLE_E2E_HARNESS"),
            dev_skip_subscriber_check=flag("MGM_DEV_SKIP_SUBSCRIBER_CHECK"),
            rate_limit=RateLimit.parse(text("MGM_RATE_LIMIT", "5/60"), "MGM_RATE_LIMIT"),
            desktop_rate_limit=RateLimit.parse(
                text("MGM_DESKTOP_RATE_LIMIT", "600/60"), "MGM_DESKTOP_RATE_LIMIT"
            ),
            clock=choice("MGM_CLOCK", ("system", "virtual"), "system"),  # type: ignore[arg-type]
            clock_start=clock_start,
            subscriber_badges=badges,
            max_body_bytes=max_body,
            helix_timeout_seconds=helix_timeout,
            plugins=names("MGM_PLUGINS") if text("MGM_PLUGINS") else None,
            disabled_plugins=names("MGM_DISABLE_PLUGINS"),
            version=text("MGM_VERSION"),
            release_notes_url=optional("MGM_RELEASE_NOTES_URL"),
            minimum_desktop_version=optional("MGM_MINIMUM_DESKTOP_VERSION"),
            minimum_addon_version=optional("MGM_MINIMUM_ADDON_VERSION"),
            minimum_extension_version=optional("MGM_MINIMUM_EXTENSION_VERSION"),
        )
        return config.validate()


class LiveConfig:
    """The configuration a running EBS acts on: its start-up :class:`Config`, or a development change.

    Handlers and plugins read :attr:`current` on every request, so a change
    (``POST /api/e2e/config``, development only) applies from the next request
    on, and :meth:`restore` (``POST /api/e2e/reset``) brings back the start-up
    configuration. Both are plain assignments of a whole, validated ``Config``:
    a request sees the old settings or the new ones, never a mix.
    """

    def __init__(self, startup: Config) -> None:
        self.startup = startup
        self.current = startup

    def apply(self, config: Config) -> Config:
        self.current = config.validate()
        return self.current

    def restore(self) -> Config:
        self.current = self.startup
        return self.current


def _decode_extension_secret(secret: str) -> bytes:
    try:
        key = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("MGM_EXTENSION_SECRET must be base64 (as the Twitch console shows it)") from exc
    if not key:
        raise ConfigError("MGM_EXTENSION_SECRET decodes to an empty key")
    return key
