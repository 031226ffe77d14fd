"""ptero.panel.power is idempotent from the server's current state for every state but `restarted` (HTTP level).

The state is read from the panel's resource usage here (no websocket library); test_power_wait.py covers the
websocket path."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import power

CLIENT = "https://panel.example.test/api/client"
SERVER = {
    "identifier": "1a7ce997",
    "uuid": "1a7ce997-0000-4000-8000-000000000001",
    "name": "Survival",
    "is_suspended": False,
}


def resources(state: str) -> dict:
    return {
        "object": "stats",
        "attributes": {
            "current_state": state,
            "is_suspended": False,
            "resources": {"uptime": 0 if state in ("offline", "stopped") else 1000},
        },
    }


@pytest.fixture
def panel_in(monkeypatch):
    """The panel with the server in a power state; the power route accepts every signal."""
    monkeypatch.setattr(power, "HAS_WEBSOCKET", False)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:

        def prepare(state: str) -> responses.RequestsMock:
            mock.get(f"{CLIENT}/servers/{SERVER['identifier']}", json={"object": "server", "attributes": SERVER})
            mock.get(f"{CLIENT}/servers/{SERVER['uuid']}/resources", json=resources(state))
            mock.post(f"{CLIENT}/servers/{SERVER['uuid']}/power", status=204)
            return mock

        yield prepare


def signals(panel: responses.RequestsMock) -> list[str]:
    return [json.loads(call.request.body)["signal"] for call in panel.calls if call.request.method == "POST"]


# (state option, current power state) pairs that are already satisfied: nothing is sent, nothing changes.
SATISFIED = [
    ("killed", "offline"),
    ("killed", "stopped"),
    ("stopped", "offline"),
    ("stopped", "stopping"),
    ("started", "running"),
    ("started", "starting"),
]


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize(("state", "current"), SATISFIED)
def test_a_satisfied_state_sends_nothing_and_reports_no_change(panel_in, run_module, state, current, check_mode):
    panel = panel_in(current)
    outcome = run_module(power.main, {"server": SERVER["identifier"], "state": state}, check_mode=check_mode)
    assert not outcome.failed, outcome.result
    assert outcome.result["changed"] is False
    assert outcome.result["signal"] is None
    assert outcome.result["previous_state"] == current
    assert outcome.result["diff"] == {"before": {"state": current}, "after": {"state": current}}
    assert signals(panel) == []


@pytest.mark.parametrize(
    ("state", "current", "signal"),
    [
        ("killed", "running", "kill"),
        ("killed", "starting", "kill"),
        ("killed", "stopping", "kill"),  # a stop that hangs is what a kill is for
        ("restarted", "running", "restart"),
        ("restarted", "offline", "restart"),  # restarted keeps always acting
        ("stopped", "running", "stop"),
        ("started", "offline", "start"),
    ],
)
def test_an_unsatisfied_state_sends_its_signal_once(panel_in, run_module, state, current, signal):
    panel = panel_in(current)
    outcome = run_module(power.main, {"server": SERVER["identifier"], "state": state})
    assert outcome.result["changed"] is True and outcome.result["signal"] == signal
    assert signals(panel) == [signal]


def test_check_mode_reports_the_kill_it_would_send_and_sends_nothing(panel_in, run_module):
    panel = panel_in("running")
    outcome = run_module(power.main, {"server": SERVER["identifier"], "state": "killed"}, check_mode=True)
    assert outcome.result["changed"] is True and outcome.result["signal"] == "kill"
    assert outcome.result["current_state"] == "offline"
    assert signals(panel) == []
