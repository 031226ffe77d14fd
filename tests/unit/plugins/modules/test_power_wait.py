"""When the power module counts a restart as done."""
from __future__ import annotations

import time

from ansible_collections.ptero.panel.plugins.modules.power import restarted_since


def stats(state: str, uptime_ms: int | None) -> dict:
    return {"current_state": state, "resources": {} if uptime_ms is None else {"uptime": uptime_ms}}


def test_restart_is_done_only_for_a_process_younger_than_the_signal():
    done = restarted_since(time.monotonic() - 5.0)
    assert done(stats("running", 4000))
    assert not done(stats("running", 6000))  # still the process from before the signal
    assert not done(stats("starting", 100))
    assert not done(stats("running", None))
