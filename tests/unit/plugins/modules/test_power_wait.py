"""When the power module counts a restart as done."""

from __future__ import annotations

import json
import time
import typing as t

import pytest
import responses

from ansible_collections.ptero.panel.plugins.module_utils import _console as console
from ansible_collections.ptero.panel.plugins.module_utils._console import ConsoleError
from ansible_collections.ptero.panel.plugins.modules import power
from ansible_collections.ptero.panel.plugins.modules.power import restarted_since


def stats(state: str, uptime_ms: int | None) -> dict:
    return {"current_state": state, "resources": {} if uptime_ms is None else {"uptime": uptime_ms}}


def test_restart_is_done_only_for_a_process_younger_than_the_signal():
    done = restarted_since(time.monotonic() - 5.0)
    assert done(stats("running", 4000))
    assert not done(stats("running", 6000))  # still the process from before the signal
    assert not done(stats("starting", 100))
    assert not done(stats("running", None))


# ------------------------------------------------------------------------------------------------ websocket waits
# The power module with its console session replaced by a fake that replays Wings' status events, and the panel
# mocked. The fake answers `send stats` with a snapshot and plays the events a power signal causes.

CLIENT = "https://panel.example.test/api/client"
SERVER = {
    "identifier": "1a7ce997",
    "uuid": "1a7ce997-0000-4000-8000-000000000001",
    "name": "Survival",
    "is_suspended": False,
}
# What Wings reports after each signal, from a running server (start/restart from offline skip the stop part).
EVENTS = {
    "start": ["starting", "running"],
    "stop": ["stopping", "offline"],
    "kill": ["offline"],
    "restart": ["stopping", "offline", "starting", "running"],
}


class FakeProtocol:
    def __init__(self) -> None:
        self.status: str | None = None
        self.status_history: list[str] = []
        self.last_stats: dict | None = None


class FakeSession:
    instances: t.ClassVar[list] = []

    def __init__(self, client, server, **options) -> None:
        self.client = client
        self.server = server
        self.options = options
        self.protocol = FakeProtocol()
        self.queue: list[tuple[str, t.Any]] = []
        self.connect_error: ConsoleError | None = None
        self.fail_after: int | None = None  # raise KIND_CLOSED after this many more events
        self.closed = False
        FakeSession.instances.append(self)

    @property
    def status(self):
        return self.protocol.status

    def connect(self):
        if self.connect_error is not None:
            raise self.connect_error
        self.protocol.status = self.initial
        self.protocol.status_history.append(self.initial)
        return self

    def request(self, event: str) -> None:
        if event == "send stats":
            uptime = 0 if self.status == "offline" else 1500
            self.queue.append(
                (
                    "stats",
                    {
                        "memory_bytes": 5,
                        "cpu_absolute": 1.5,
                        "disk_bytes": 7,
                        "uptime": uptime,
                        "network": {"rx_bytes": 11, "tx_bytes": 13},
                        "state": self.status,
                    },
                )
            )

    def pump(self, wait: float) -> bool:
        if not self.queue:
            return False
        if self.fail_after is not None:
            if self.fail_after == 0:
                raise ConsoleError(console.KIND_CLOSED, "the websocket closed unexpectedly with code 1006")
            self.fail_after -= 1
        kind, value = self.queue.pop(0)
        if kind == "status":
            self.protocol.status = value
            self.protocol.status_history.append(value)
        else:
            self.protocol.last_stats = value
        return True

    def wait_for_status(self, states, timeout: float) -> str:
        while self.status not in set(states):
            if not self.pump(timeout):
                raise ConsoleError(console.KIND_TIMEOUT, "did not reach it")
        return self.status

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def wings(monkeypatch):
    """Set up the next session: wings(status=, connect_error=, fail_after=, queued=[status events]); returns the
    list of sessions the module creates."""
    FakeSession.instances = []
    prepared: dict = {}

    def factory(*args, **options):
        session = FakeSession(*args, **options)
        session.initial = prepared.get("status", "offline")
        session.connect_error = prepared.get("connect_error")
        session.fail_after = prepared.get("fail_after")
        session.queue.extend(("status", state) for state in prepared.get("queued", []))
        return session

    monkeypatch.setattr(power, "ConsoleSession", factory)
    monkeypatch.setattr(power, "HAS_WEBSOCKET", True)

    def prepare(**options):
        prepared.update(options)
        return FakeSession.instances

    return prepare


def resources(state: str) -> dict:
    return {
        "object": "stats",
        "attributes": {
            "current_state": state,
            "is_suspended": False,
            "resources": {"uptime": 0 if state == "offline" else 1000},
        },
    }


@pytest.fixture
def panel():
    """The panel: the server, its power route (which plays the signal's events on the session), and a resource
    usage that is always stale ("running"), as the panel's 20 s cache can be."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{CLIENT}/servers/{SERVER['identifier']}", json={"object": "server", "attributes": SERVER})
        mock.get(f"{CLIENT}/servers/{SERVER['uuid']}/resources", json=resources("running"))

        def power_signal(request):
            signal = json.loads(request.body)["signal"]
            session = FakeSession.instances[-1] if FakeSession.instances else None
            if session is not None and not session.closed:
                events = EVENTS[signal]
                if signal in ("start", "restart") and session.status == "offline":
                    events = ["starting", "running"]
                session.queue.extend(("status", state) for state in events)
            return (204, {}, "")

        mock.add_callback(responses.POST, f"{CLIENT}/servers/{SERVER['uuid']}/power", callback=power_signal)
        yield mock


def run(run_module, **args):
    return run_module(power.main, {"server": SERVER["identifier"], **args})


def signals(panel) -> list[str]:
    return [json.loads(call.request.body)["signal"] for call in panel.calls if call.request.method == "POST"]


def resource_reads(panel) -> int:
    return sum(call.request.url.endswith("/resources") for call in panel.calls)


def test_stats_take_the_panel_shape():
    stats = {
        "memory_bytes": 5,
        "memory_limit_bytes": 9,
        "cpu_absolute": 1.5,
        "disk_bytes": 7,
        "uptime": 42,
        "network": {"rx_bytes": 11, "tx_bytes": 13},
        "state": "running",
    }
    assert power.resources_from_stats("running", stats, False) == {
        "current_state": "running",
        "is_suspended": False,
        "resources": {
            "memory_bytes": 5,
            "cpu_absolute": 1.5,
            "disk_bytes": 7,
            "network_rx_bytes": 11,
            "network_tx_bytes": 13,
            "uptime": 42,
        },
    }
    assert power.resources_from_stats("offline", None, True)["resources"]["uptime"] == 0


def test_the_live_state_wins_over_the_cached_resources(run_module, panel, wings):
    wings(status="offline")
    outcome = run(run_module, state="stopped")
    assert outcome.result["changed"] is False and outcome.result["previous_state"] == "offline"
    assert outcome.result["state_source"] == "websocket" and resource_reads(panel) == 0
    assert outcome.result["resources"]["resources"]["uptime"] == 0  # from the stats snapshot


def test_start_waits_for_running_on_the_socket(run_module, panel, wings):
    sessions = wings(status="offline")
    outcome = run(run_module, state="started", wait=True, wait_timeout=5)
    assert outcome.result["changed"] and outcome.result["current_state"] == "running"
    assert outcome.result["resources"]["current_state"] == "running"
    assert signals(panel) == ["start"] and resource_reads(panel) == 0
    assert sessions[0].protocol.status_history == ["offline", "starting", "running"] and sessions[0].closed


def test_restart_waits_until_the_server_left_running_and_came_back(run_module, panel, wings):
    sessions = wings(status="running")
    outcome = run(run_module, state="restarted", wait=True, wait_timeout=5)
    assert outcome.result["current_state"] == "running" and signals(panel) == ["restart"]
    assert sessions[0].protocol.status_history == ["running", "stopping", "offline", "starting", "running"]
    assert sessions[0].queue == []


def test_a_restart_that_never_happens_times_out(run_module, panel, wings, monkeypatch):
    monkeypatch.setitem(EVENTS, "restart", [])  # Wings refused it (e.g. another power action)
    wings(status="running")
    outcome = run(run_module, state="restarted", wait=True, wait_timeout=3)
    assert outcome.failed
    assert outcome.result["msg"].startswith(
        "Timed out after 3s waiting for server 'Survival' to be running; last seen: state 'running'. "
        "Already done before this failure: sent a power signal (POST "
    )
    assert outcome.result["changed"] is True  # the signal was sent (issue 17)


def test_start_while_stopping_waits_for_offline_first(run_module, panel, wings, monkeypatch):
    sessions = wings(status="stopping", queued=["offline"])  # Wings finishes the stop by itself
    seen_at_signal: list[list[str]] = []
    original = power.send_signal

    def send(module, server, signal):
        seen_at_signal.append(list(sessions[0].protocol.status_history))
        original(module, server, signal)

    monkeypatch.setattr(power, "send_signal", send)
    outcome = run(run_module, state="started", wait=True, wait_timeout=5)
    assert outcome.result["previous_state"] == "stopping" and outcome.result["current_state"] == "running"
    assert seen_at_signal == [["stopping", "offline"]] and signals(panel) == ["start"]


def test_check_mode_reads_on_the_socket_and_sends_nothing(run_module, panel, wings):
    wings(status="running")
    outcome = run_module(power.main, {"server": SERVER["identifier"], "state": "stopped"}, check_mode=True)
    assert outcome.result["changed"] and outcome.result["previous_state"] == "running"
    assert signals(panel) == [] and outcome.result["state_source"] == "websocket"


def test_without_the_library_the_panel_is_polled(run_module, panel, monkeypatch):
    FakeSession.instances = []
    monkeypatch.setattr(power, "HAS_WEBSOCKET", False)
    outcome = run(run_module, state="started", wait=True, wait_timeout=5)
    assert outcome.result["changed"] is False and outcome.result["state_source"] == "panel"  # the stale "running"
    assert resource_reads(panel) == 1 and FakeSession.instances == []
    assert outcome.result["warnings"] == []


@pytest.mark.parametrize(
    ("kind", "warned"),
    [
        (console.KIND_ORIGIN, True),
        (console.KIND_CONNECT, True),
        (console.KIND_CONFLICT, False),
        (console.KIND_AUTH, False),
    ],
)
def test_a_websocket_that_cannot_be_used_falls_back_to_polling(run_module, panel, wings, kind, warned):
    panel.add(responses.GET, f"{CLIENT}/servers/{SERVER['uuid']}/resources", json=resources("offline"))
    wings(connect_error=ConsoleError(kind, "nope"))
    outcome = run(run_module, state="stopped", wait=True, wait_timeout=5)
    assert outcome.result["state_source"] == "panel" and signals(panel) == ["stop"]
    assert outcome.result["current_state"] == "offline" and resource_reads(panel) == 2
    assert bool(outcome.result["warnings"]) is warned


def test_without_wait_a_failed_websocket_is_not_warned_about(run_module, panel, wings):
    wings(connect_error=ConsoleError(console.KIND_ORIGIN, "nope"))
    outcome = run(run_module, state="stopped")
    assert outcome.result["state_source"] == "panel" and outcome.result["warnings"] == []


def test_a_socket_lost_while_waiting_continues_by_polling(run_module, panel, wings):
    panel.replace(responses.GET, f"{CLIENT}/servers/{SERVER['uuid']}/resources", json=resources("offline"))
    wings(status="running", fail_after=1)  # the stats answer, then the connection drops
    outcome = run(run_module, state="stopped", wait=True, wait_timeout=5)
    assert outcome.result["current_state"] == "offline" and outcome.result["state_source"] == "panel"
    assert "waiting by polling the panel instead" in outcome.result["warnings"][0]
    assert resource_reads(panel) == 1
