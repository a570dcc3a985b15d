"""``stack.json``: what a running ``mgm stack up`` tells the ``stack`` profile.

Written into the stack's data directory (``MGM_DATA_DIR``, default ``.mgm``)
once every service is ready, removed when the stack stops. It holds each
service's URL, whether the EBS's clock is virtual, the development secrets
a scenario needs to act as Twitch and the Desktop (file mode 0600), and how the
stack's own Desktop bridge acts on the game (``desktopBridge.injector``:
``record`` leaves candidates and payouts to the scenarios).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

FILE_NAME: Final = "stack.json"
FORMAT: Final = 1


class StackFileError(ValueError):
    """No usable stack.json; the message says where it was looked for and what to run."""


@dataclass(frozen=True)
class StackFile:
    urls: dict[str, str]
    virtual_clock: bool
    secrets: dict[str, str]
    path: Path
    bridge_injector: str | None = None  # None: the stack runs no Desktop bridge (or an older stack.json)

    @property
    def ebs_url(self) -> str:
        return self.urls["ebs"]


def write(
    data_dir: Path,
    urls: dict[str, str],
    *,
    virtual_clock: bool,
    secrets: dict[str, str],
    bridge_injector: str | None = None,
) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FILE_NAME
    body: dict[str, Any] = {"format": FORMAT, "urls": urls, "virtualClock": virtual_clock, "secrets": secrets}
    if bridge_injector is not None:
        body["desktopBridge"] = {"injector": bridge_injector}
    temporary = path.with_suffix(".json.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(body, handle, indent=2)
    temporary.replace(path)
    return path


def remove(data_dir: Path) -> None:
    (data_dir / FILE_NAME).unlink(missing_ok=True)


def read(location: Path) -> StackFile:
    """Read ``location/stack.json`` (or ``location`` when it names the file itself)."""
    path = location if location.suffix == ".json" else location / FILE_NAME
    try:
        body: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StackFileError(f"no {path}: start `mgm stack up` first, or pass --mgm-stack PATH") from None
    except (OSError, ValueError) as exc:
        raise StackFileError(f"{path} is not readable: {exc}") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT or not isinstance(body.get("urls"), dict):
        raise StackFileError(f"{path} is not a stack.json of format {FORMAT}")
    if "ebs" not in body["urls"]:
        raise StackFileError(f"{path} names no ebs URL")
    return StackFile(
        urls={str(k): str(v) for k, v in body["urls"].items()},
        virtual_clock=bool(body.get("virtualClock")),
        secrets={str(k): str(v) for k, v in dict(body.get("secrets") or {}).items()},
        path=path,
        bridge_injector=_injector(body.get("desktopBridge")),
    )


def _injector(bridge: Any) -> str | None:
    if isinstance(bridge, dict) and bridge.get("injector") is not None:
        return str(bridge["injector"])
    return None
