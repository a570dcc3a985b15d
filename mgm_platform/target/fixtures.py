"""The ``mgm_target`` fixture: the shared EBS held for one scenario, reset and at the scenario's start."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from mgm_platform.target.lock import TargetLock, lock_path
from mgm_platform.target.remote import RemoteEbs, TargetError


@pytest.fixture
def mgm_target(mgm_platform, mgm_clock_start: datetime) -> Iterator[RemoteEbs]:  # noqa: ANN001 - Platform
    """Hold the shared target (one scenario at a time), reset it, and drive it over HTTP.

    The stack's Helix mock, when there is one, is emptied too (journal, faults), so
    every scenario starts as it would on a fresh local EBS.
    """
    spec = mgm_platform.target
    if spec is None:
        pytest.fail("mgm_target needs --mgm-ebs stack or a URL")
    lock = TargetLock(lock_path(spec.stack_dir, spec.ebs_url))
    lock.acquire()
    ebs = RemoteEbs(spec, start=mgm_clock_start)
    try:
        try:
            ebs.prepare()
        except TargetError as exc:
            pytest.skip(f"shared target unusable: {exc}")
        except httpx.TransportError as exc:  # a stack.json whose stack is gone: fail, never skip quietly
            pytest.fail(f"the shared EBS at {spec.ebs_url} does not answer ({exc!r}); is the stack running?")
        if "helix" in spec.urls:
            httpx.post(f"{spec.urls['helix']}/api/mock/reset", timeout=10).raise_for_status()
        yield ebs
    finally:
        ebs.stop()
        lock.release()
