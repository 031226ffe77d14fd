#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: power
short_description: Start, stop, restart or kill a Pterodactyl or Pelican server
version_added: 0.1.0
description:
  - Brings a server to a power state by sending the panel's power signals.
  - V(started) is satisfied by a server that is running or starting, V(stopped) by one that is offline or stopping,
    V(killed) by one that is offline; then nothing is sent and no change is reported. V(restarted) always sends its
    signal and always reports a change.
  - The state is read, and waited for, on the server's live console (the Wings websocket the panel's console page
    uses), which reports every change at once. This needs the C(websocket-client) Python library and a network path
    to the node running Wings; the signal itself is always sent through the panel.
  - Without them (or when the websocket cannot be used) the state is read from the panel's resource usage of the
    server, which the panel caches for up to 20 seconds; a state read shortly after another power action can then
    be out of date, and waits take longer. Use O(wait=true) when power tasks follow each other quickly.
  - A suspended server, a server that is installing or restoring a backup, or a server whose node is in maintenance
    cannot be controlled; the task fails with the panel's explanation.
  - Panels 1.12.0 and later, and Pelican, allow 5 websocket tokens per minute per server. The task fetches one token
    and, when the panel answers 429, waits as long as the panel asks (C(Retry-After)) within the retry budget
    (O(retries)).
  - The websocket is opened with the C(Origin) of O(url) (scheme, host and port); when Wings refuses it, once more
    with a trailing slash, which Pelican needs when its C(APP_URL) is configured with one.
  - When Wings closes the console because the key's user lost or changed access (subuser permissions changed or
    removed, owner or password changed; panel and Wings 1.12 and later), or refuses a token without a C(scope)
    (Wings 1.12.2 and later with a panel older than 1.12.3) or, on Pelican, a token without C(user_uuid) or
    C(server_uuid), the task fails and says what to do, instead of falling back to the panel.
  - Uses the client API.
options:
  server:
    description: The server, by identifier (the 8-character one or, on any panel, the C(serv_...) one), UUID or name.
    type: str
    required: true
  state:
    description:
      - V(started) starts the server unless it is running or starting. A server that is stopping is first awaited
        until it is offline (at most O(wait_timeout) seconds), because Wings ignores a start signal until then.
      - V(stopped) stops the server unless it is offline or stopping.
      - V(restarted) restarts it (an offline server is started).
      - V(killed) kills its process at once unless it is offline (a server that is stopping is killed).
    type: str
    required: true
    choices: [started, stopped, restarted, killed]
  wait:
    description:
      - Wait until the server has reached the state; V(started) and V(restarted) wait for C(running), V(stopped)
        and V(killed) for C(offline).
      - A server whose game never reports that it is ready stays C(starting); waiting for it times out.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: int
    default: 300
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
requirements:
  - websocket-client (optional; without it the state is read from the panel's resource usage)
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Make sure the survival server runs
  ptero.panel.power:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_client_key }}"
    server: survival
    state: started
    wait: true

- name: Restart it after a plugin update
  ptero.panel.power:
    server: 1a7ce997
    state: restarted
    wait: true
    wait_timeout: 120
"""

RETURN = r"""
previous_state:
  description:
    - The power state the panel reported before the task, C(offline), C(starting), C(running) or C(stopping).
    - C(stopped) means the node reported no state; it is treated like C(offline).
  returned: always
  type: str
  sample: offline
current_state:
  description:
    - The power state when the task finished.
    - Without O(wait), after a signal was sent, this is the state expected once the signal has taken effect.
  returned: always
  type: str
  sample: running
signal:
  description: The power signal sent (C(start), C(stop), C(restart) or C(kill)); V(null) when none was needed.
  returned: always
  type: str
  sample: start
resources:
  description:
    - The last resource usage seen, in the shape of the panel's resource usage; with RV(state_source=websocket)
      taken from Wings' live statistics.
  returned: always
  type: dict
  sample: {current_state: running, is_suspended: false, resources: {memory_bytes: 536870912, cpu_absolute: 12.5,
           disk_bytes: 104857600, network_rx_bytes: 1500, network_tx_bytes: 3700, uptime: 61000}}
state_source:
  description:
    - Where the states came from; V(websocket) (the server's live console) or V(panel) (the panel's resource usage,
      cached by the panel for up to 20 seconds; also when the websocket failed during a wait).
  returned: always
  type: str
  sample: websocket
"""

import time
import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._console import (
    FATAL_KINDS,
    HAS_WEBSOCKET,
    KIND_AUTH,
    KIND_CONFLICT,
    KIND_NOT_FOUND,
    KIND_PANEL,
    KIND_TIMEOUT,
    ConsoleClient,
    ConsoleError,
    ConsoleSession,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, TaskFailure
from ansible_collections.ptero.panel.plugins.module_utils._servers import client_server, server_path

# The panel reports "stopped" when Wings gives no state at all: it counts as offline.
OFFLINE = ("offline", "stopped")
# state option -> (signal, power states that already satisfy it without a signal, states that mean it is reached)
TARGETS = {
    "started": ("start", ("running", "starting"), ("running",)),
    "stopped": ("stop", (*OFFLINE, "stopping"), OFFLINE),
    "restarted": ("restart", (), ("running",)),
    # Idempotent like "stopped", but a server that is stopping is still killed: that is what a kill is for.
    "killed": ("kill", OFFLINE, OFFLINE),
}
# A restart has begun once the server left "running".
LEFT_RUNNING = ("stopping", "offline", "starting")
# Connecting to the console must not hold a task up for long when Wings cannot be reached: polling still works.
SOCKET_CONNECT_SECONDS = 10.0
# How long Wings may take to answer a request for statistics.
STATS_SECONDS = 2.0
# Websocket failures the panel path reports by itself (refused key, missing server, suspended...): no warning.
PANEL_REPORTED = (KIND_AUTH, KIND_NOT_FOUND, KIND_CONFLICT, KIND_PANEL)


def restarted_since(sent_at: float) -> t.Callable[[dict], bool]:
    """Whether stats show a process started after the restart signal: running, with an uptime (ms) shorter than
    the time since the signal. The state alone cannot tell, since the server was running before too."""

    def done(stats: dict) -> bool:
        uptime = (stats.get("resources") or {}).get("uptime")
        if stats.get("current_state") != "running" or not isinstance(uptime, (int, float)):
            return False
        return uptime <= (time.monotonic() - sent_at) * 1000

    return done


def resources_from_stats(status: str | None, stats: dict | None, is_suspended: bool) -> dict:
    """Wings' `stats` event in the shape of the panel's resource usage (the panel builds it from the same data)."""
    stats = stats or {}
    network = stats.get("network") or {}
    return {
        "current_state": status,
        "is_suspended": is_suspended,
        "resources": {
            "memory_bytes": stats.get("memory_bytes", 0),
            "cpu_absolute": stats.get("cpu_absolute", 0),
            "disk_bytes": stats.get("disk_bytes", 0),
            "network_rx_bytes": network.get("rx_bytes", 0),
            "network_tx_bytes": network.get("tx_bytes", 0),
            "uptime": stats.get("uptime", 0),
        },
    }


class PanelStates:
    """Power states from the panel's resource usage, polled while waiting (the panel caches it for up to 20 s)."""

    source = "panel"

    def __init__(self, module: PanelModule, server: dict) -> None:
        self.module = module
        self.path = server_path(server)
        self.name = f"server '{server['name']}'"
        self.sent_at = 0.0

    def read(self) -> dict:
        return self.module.call(
            "client.servers.resources", self.path, what=f"Could not read the power state of {self.name}"
        )

    def signal_sent(self) -> None:
        self.sent_at = time.monotonic()

    def await_state(self, reached: tuple, restart: bool = False, timeout: float | None = None) -> dict:
        done = restarted_since(self.sent_at) if restart else (lambda stats: stats.get("current_state") in reached)
        return self.module.wait_for(
            self.read,
            done,
            self.module.params["wait_timeout"] if timeout is None else timeout,
            f"{self.name} to be {reached[0]}",
            describe=lambda stats: f"state {stats.get('current_state')!r}",
        )

    def close(self) -> None:
        pass


class SocketStates:
    """Power states from the server's console websocket: Wings announces every change at once."""

    source = "websocket"

    def __init__(self, module: PanelModule, server: dict, session: ConsoleSession) -> None:
        self.module = module
        self.server = server
        self.session = session
        self.name = f"server '{server['name']}'"
        self.mark = 0
        self.sent_at = 0.0

    def read(self) -> dict:
        return resources_from_stats(self.session.status, self.fresh_stats(), bool(self.server.get("is_suspended")))

    def fresh_stats(self) -> dict | None:
        """Ask Wings for statistics now (`send stats`) and read until they come; the last ones seen otherwise."""
        before = self.session.protocol.last_stats
        try:
            self.session.request("send stats")
            deadline = time.monotonic() + STATS_SECONDS
            while self.session.protocol.last_stats is before and (remaining := deadline - time.monotonic()) > 0:
                self.session.pump(remaining)
        except ConsoleError as error:
            fail_if_fatal(self.module, self.name, error)
            # Otherwise the state is known; a broken socket shows again (and falls back) when it is waited on.
        return self.session.protocol.last_stats

    def signal_sent(self) -> None:
        self.mark = len(self.session.protocol.status_history)
        self.sent_at = time.monotonic()

    def await_state(self, reached: tuple, restart: bool = False, timeout: float | None = None) -> dict:
        timeout = self.module.params["wait_timeout"] if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            mark = self.mark
            since_mark = self.session.protocol.status_history[mark:]
            still_running = self.session.status == "running" and all(state == "running" for state in since_mark)
            if restart and still_running:
                self.session.wait_for_status(LEFT_RUNNING, timeout)
            self.session.wait_for_status(reached, max(0.0, deadline - time.monotonic()))
            return self.read()
        except ConsoleError as error:
            fail_if_fatal(self.module, self.name, error)
            if error.kind == KIND_TIMEOUT:
                raise TaskFailure(
                    f"Timed out after {timeout:g}s waiting for {self.name} to be {reached[0]}; "
                    f"last seen: state {self.session.status!r}"
                ) from None
            self.module.warn(
                f"The console websocket of {self.name} failed ({error.message}); waiting by polling the panel instead."
            )
        self.source = PanelStates.source
        panel = PanelStates(self.module, self.server)
        panel.sent_at = self.sent_at
        return panel.await_state(reached, restart, max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        self.session.close()


def fail_if_fatal(module: PanelModule, name: str, error: ConsoleError) -> None:
    """A socket closed by deauthorization, or a token Wings refuses for lack of `scope`, ends the task: polling the
    panel instead would hide a lost access or a panel/Wings version mismatch."""
    if error.kind in FATAL_KINDS:
        raise TaskFailure(f"Console of {name}: {error.message}", kind=error.kind)


def open_states(module: PanelModule, server: dict) -> PanelStates | SocketStates:
    """The console websocket when it can be used, else the panel's resource usage."""
    if not HAS_WEBSOCKET:
        return PanelStates(module, server)
    session = ConsoleSession(
        ConsoleClient.for_module(module),
        server["identifier"],
        validate_certs=module.params["validate_certs"],
        timeout=min(module.params["timeout"], SOCKET_CONNECT_SECONDS),
    )
    try:
        session.connect()
    except ConsoleError as error:
        fail_if_fatal(module, f"server '{server['name']}'", error)
        # A 429 (the panel's token limit, beyond the retry budget) is no failure of the panel path: say why.
        if module.params["wait"] and (error.kind not in PANEL_REPORTED or error.status == 429):
            module.warn(
                f"Cannot use the console websocket of server '{server['name']}' ({error.message}); the state "
                "is read from the panel's resource usage, which the panel caches for up to 20 seconds."
            )
        return PanelStates(module, server)
    return SocketStates(module, server, session)


def send_signal(module: PanelModule, server: dict, signal: str) -> None:
    module.call(
        "client.servers.power",
        server_path(server),
        body={"signal": signal},
        what=f"Could not send the {signal} signal to server '{server['name']}'",
    )


def main():
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "state": {"type": "str", "required": True, "choices": list(TARGETS)},
            "wait": {"type": "bool", "default": False},
            "wait_timeout": {"type": "int", "default": 300},
        },
        api="client",
    )
    with module.failures_reported():
        server = client_server(module.client, module.params["server"])
        states = open_states(module, server)
        try:
            result = reach_state(module, server, states)
        finally:
            states.close()
    module.exit_json(**result)


def reach_state(module: PanelModule, server: dict, states: PanelStates | SocketStates) -> dict:
    """The result of bringing the server to the `state` option: no signal when its current state satisfies it."""
    signal, satisfied, reached = TARGETS[module.params["state"]]
    stats = states.read()
    previous = stats.get("current_state")
    if previous in satisfied:
        if module.params["wait"] and previous not in reached and not module.check_mode:
            stats = states.await_state(reached)
        return outcome(previous, previous, stats.get("current_state"), None, stats, states)
    if module.check_mode:
        return outcome(previous, reached[0], reached[0], signal, stats, states)
    if signal == "start" and previous == "stopping":
        states.await_state(OFFLINE)
    send_signal(module, server, signal)
    states.signal_sent()
    current: str | None = reached[0]
    if module.params["wait"]:
        stats = states.await_state(reached, restart=signal == "restart")
        current = stats.get("current_state")
    return outcome(previous, reached[0], current, signal, stats, states)


def outcome(
    previous: str | None,
    target: str | None,
    current: str | None,
    signal: str | None,
    stats: dict,
    states: PanelStates | SocketStates,
) -> dict:
    """The module result; a change is a signal sent (or, in check mode, one that would be)."""
    # The source is read last: a websocket that failed while waiting left the rest to the panel.
    return {
        "changed": signal is not None,
        "previous_state": previous,
        "current_state": current,
        "signal": signal,
        "resources": stats,
        "state_source": states.source,
        "diff": {"before": {"state": previous}, "after": {"state": target}},
    }


if __name__ == "__main__":
    main()
