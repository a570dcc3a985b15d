"""One scenario at a time on a shared target: an exclusive ``flock`` on a file every run agrees on.

The lock covers the pytest processes of one machine (``-n 2`` workers, two
terminals) that name the same stack directory or URL; it is released when the
scenario ends or its process dies.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

LOCK_NAME = "scenarios.lock"


def lock_path(stack_dir: Path | None, ebs_url: str) -> Path:
    """``<stack dir>/scenarios.lock`` beside stack.json, else a file in the temporary folder per URL."""
    if stack_dir is not None:
        return stack_dir / LOCK_NAME
    digest = hashlib.sha256(ebs_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"mgm-target-{digest}.lock"


class TargetLock:
    """``with TargetLock(path):`` blocks until no other scenario holds the target."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> TargetLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
