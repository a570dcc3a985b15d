"""Small JSON state files the bridge keeps between runs, written atomically.

A crash while saving leaves the previous file in place (write to a sibling,
then rename over), so a restart never reads half a file. An unreadable file is
reported and treated as absent: the bridge starts fresh rather than not at all.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def load_state(path: Path) -> dict[str, Any] | None:
    """The saved object at ``path``, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable state file %s: %s", path, exc)
        return None
    if not isinstance(data, dict):
        log.warning("ignoring state file %s: not a JSON object", path)
        return None
    return data


def save_state(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` with ``data`` in one step (folders created on demand)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(path.name + ".tmp")
    with scratch.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(scratch, path)
