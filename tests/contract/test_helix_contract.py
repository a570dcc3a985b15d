"""Helix contract: the Helix mock (always) and real Twitch (when configured) answer like the recordings."""

import pytest

from .helix_checks import CHECKS


@pytest.mark.parametrize("recording", sorted(CHECKS))
def test_helix_answers_like_the_recording(helix_target, recording):
    CHECKS[recording](helix_target)
