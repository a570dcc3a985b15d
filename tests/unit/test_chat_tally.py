"""The per-minute tally of chat delivery outcomes."""

import logging
from datetime import UTC, datetime, timedelta

from mgm_core.web.chat_tally import ChatTally

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_counts_are_written_once_the_minute_is_over_and_at_flush(caplog):
    caplog.set_level(logging.INFO)
    tally = ChatTally(logging.getLogger("mgm_core.test_tally"))
    tally.count("enrolled", T0)
    tally.count("enrolled", T0 + timedelta(seconds=30))
    tally.count("replay", T0 + timedelta(seconds=59))
    assert not caplog.records
    tally.count("enrolled", T0 + timedelta(seconds=60))
    [first] = caplog.records
    assert first.counts == {"enrolled": 2, "replay": 1} and first.seconds == 60.0
    tally.flush(T0 + timedelta(seconds=70))
    assert caplog.records[-1].counts == {"enrolled": 1}
    tally.flush(T0 + timedelta(seconds=80))  # nothing counted since: no line
    assert len(caplog.records) == 2
