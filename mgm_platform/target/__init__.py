"""Shared targets: scenarios driving an EBS that runs elsewhere (``--mgm-ebs stack`` or a URL).

A scenario on a shared target runs **alone**: it holds the target's exclusive
lock (:mod:`.lock`), resets the EBS through the development route
``POST /api/e2e/reset``, sets its virtual clock to the scenario's start and
drives it over HTTP with :class:`.remote.RemoteEbs`, which offers the same
interface as the in-process :class:`mgm_core.testing.ebs.RunningEbs`.
docs/decisions.md ("Shared targets") says why.
"""

from mgm_platform.target.remote import RemoteEbs, TargetError
from mgm_platform.target.spec import TargetSpec

__all__ = ["RemoteEbs", "TargetError", "TargetSpec"]
