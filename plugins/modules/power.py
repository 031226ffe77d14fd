#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: power
short_description: Start, stop, restart or kill a Pterodactyl server
version_added: 0.1.0
description:
  - Brings a server to a power state by sending the panel's power signals.
  - The current state is read from the panel's resource usage of the server (C(current_state)). V(started) is
    satisfied by a server that is running or starting, V(stopped) by one that is offline or stopping; then nothing
    is sent. V(restarted) and V(killed) always send their signal and always report a change.
  - The panel caches the resource usage of a server for up to 20 seconds, so a state read shortly after another
    power action can be out of date. Use O(wait=true) when power tasks follow each other quickly.
  - A suspended server, a server that is installing or restoring a backup, or a server whose node is in maintenance
    cannot be controlled; the task fails with the panel's explanation.
  - Uses the client API.
options:
  server:
    description: The server, by identifier, UUID or name.
    type: str
    required: true
  state:
    description:
      - V(started) starts the server unless it is running or starting. A server that is stopping is first awaited
        until it is offline (at most O(wait_timeout) seconds), because Wings ignores a start signal until then.
      - V(stopped) stops the server unless it is offline or stopping.
      - V(restarted) restarts it (an offline server is started).
      - V(killed) kills its process at once.
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
  description: The last resource usage read from the panel.
  returned: always
  type: dict
  sample: {current_state: running, is_suspended: false, resources: {memory_bytes: 536870912, cpu_absolute: 12.5,
           disk_bytes: 104857600, network_rx_bytes: 1500, network_tx_bytes: 3700, uptime: 61000}}
"""

import time

from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._client_resources import require_client_server, server_path

# The panel reports "stopped" when Wings gives no state at all: it counts as offline.
OFFLINE = ("offline", "stopped")
# state option -> (signal, power states that already satisfy it without a signal, states that mean it is reached)
TARGETS = {
    "started": ("start", ("running", "starting"), ("running",)),
    "stopped": ("stop", OFFLINE + ("stopping",), OFFLINE),
    "restarted": ("restart", (), ("running",)),
    "killed": ("kill", (), OFFLINE),
}


class Power:
    def __init__(self, module: PanelModule, server: dict) -> None:
        self.module = module
        self.path = server_path(server)
        self.name = f"server '{server['name']}'"

    def read(self) -> dict:
        return self.module.call("client.servers.resources", self.path, what=f"Could not read the power state of {self.name}")

    def await_state(self, reached: tuple, done=None) -> dict:
        what = f"{self.name} to be {reached[0]}"
        return self.module.wait_for(self.read, done or (lambda stats: stats.get("current_state") in reached),
                                    self.module.params["wait_timeout"], what,
                                    describe=lambda stats: f"state {stats.get('current_state')!r}")

    def send(self, signal: str) -> float:
        self.module.call("client.servers.power", self.path, body={"signal": signal},
                         what=f"Could not send the {signal} signal to {self.name}")
        return time.monotonic()


def restarted_since(sent_at: float):
    """Whether stats show a process started after the restart signal: running, with an uptime (ms) shorter than
    the time since the signal. The state alone cannot tell, since the server was running before too."""
    def done(stats: dict) -> bool:
        uptime = (stats.get("resources") or {}).get("uptime")
        return (stats.get("current_state") == "running" and isinstance(uptime, (int, float))
                and uptime <= (time.monotonic() - sent_at) * 1000)
    return done


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
    server = require_client_server(module, module.params["server"])
    power = Power(module, server)
    signal, satisfied, reached = TARGETS[module.params["state"]]
    stats = power.read()
    previous = stats.get("current_state")
    diff = {"before": {"state": previous}, "after": {"state": previous}}
    if previous in satisfied:
        if module.params["wait"] and previous not in reached and not module.check_mode:
            stats = power.await_state(reached)
        module.exit_json(changed=False, previous_state=previous, current_state=stats.get("current_state"),
                         signal=None, resources=stats, diff=diff)
    diff["after"] = {"state": reached[0]}
    if module.check_mode:
        module.exit_json(changed=True, previous_state=previous, current_state=reached[0], signal=signal, resources=stats,
                         diff=diff)
    if signal == "start" and previous == "stopping":
        power.await_state(OFFLINE)
    sent_at = power.send(signal)
    current = reached[0]
    if module.params["wait"]:
        stats = power.await_state(reached, restarted_since(sent_at) if signal == "restart" else None)
        current = stats.get("current_state")
    module.exit_json(changed=True, previous_state=previous, current_state=current, signal=signal, resources=stats,
                     diff=diff)


if __name__ == "__main__":
    main()
