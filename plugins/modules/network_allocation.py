#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: network_allocation
short_description: Manage the network allocations of a Pterodactyl server
version_added: 0.1.0
description:
  - With O(count), makes sure a server has at least that many allocations (IP and port pairs), letting the panel pick
    new ones. The panel must allow automatic allocation, and the server's allocation limit must leave room.
  - With O(ip) and O(port), manages one allocation the server already has; its notes, whether it is the primary
    allocation, or removing it from the server.
  - Uses the client API. Assigning a particular allocation to a server is an administrator task
    (see M(ptero.panel.server)).
options:
  server:
    description:
      - The server, by its 8-character identifier, its uuid or its name.
    type: str
    required: true
  count:
    description:
      - The number of allocations the server must have at least, the primary included. Missing ones are added one by
        one; extra ones are left alone.
    type: int
  ip:
    description:
      - IP address (or its alias) of the allocation to manage.
    type: str
  port:
    description:
      - Port of the allocation to manage.
    type: int
  notes:
    description:
      - Notes of the allocation. V("") clears them.
    type: str
  primary:
    description:
      - V(true) makes the allocation the server's primary one.
      - V(false) is only accepted for an allocation that is not the primary; make another one primary instead.
    type: bool
  state:
    description:
      - V(present) keeps the allocation on the server, V(absent) removes it from the server (the panel keeps it
        for the node). The primary allocation cannot be removed.
      - O(count) only works with V(present).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: The server needs three ports
  ptero.panel.network_allocation:
    server: Survival
    count: 3
  register: ports

- name: Label the map port
  ptero.panel.network_allocation:
    server: Survival
    ip: 10.0.0.10
    port: 25566
    notes: Dynmap

- name: Make it the primary port
  ptero.panel.network_allocation:
    server: Survival
    ip: 10.0.0.10
    port: 25566
    primary: true

- name: Give a port back
  ptero.panel.network_allocation:
    server: Survival
    ip: 10.0.0.10
    port: 25565
    state: absent
"""

RETURN = r"""
allocation:
  description: The allocation after the task; V(null) when it was removed. Only with O(ip) and O(port).
  returned: when O(ip) and O(port) are set
  type: dict
  contains:
    id:
      description: Panel id of the allocation.
      type: int
      sample: 12
    ip:
      description: IP address.
      type: str
      sample: 10.0.0.10
    ip_alias:
      description: Alias of the IP address, or V(null).
      type: str
      sample: mc.example.com
    port:
      description: Port.
      type: int
      sample: 25566
    notes:
      description: Notes, or V(null).
      type: str
      sample: Dynmap
    is_default:
      description: Whether this is the server's primary allocation.
      type: bool
      sample: false
allocations:
  description: Every allocation of the server after the task (with O(count)); in check mode the ones to add are missing.
  returned: when O(count) is set
  type: list
  elements: dict
  sample: [{id: 1, ip: 10.0.0.10, ip_alias: mc.example.com, port: 25565, notes: null, is_default: true}]
added:
  description: The allocations the task added (with O(count)); in check mode, empty.
  returned: when O(count) is set
  type: list
  elements: dict
  sample: [{id: 31, ip: 10.0.0.10, ip_alias: mc.example.com, port: 25611, notes: null, is_default: false}]
changed_fields:
  description: The fields an update changed.
  returned: when an allocation was changed
  type: list
  elements: str
  sample: [notes]
"""

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    Outcome,
    PanelModule,
    PanelResource,
    TaskFailure,
    differs,
    failure_context,
)
from ansible_collections.ptero.panel.plugins.module_utils._servers import client_server, server_path


class Allocation(PanelResource):
    result_key = "allocation"
    managed_fields = ("ip", "port", "notes", "is_default")

    def __init__(self, module, server):
        super().__init__(module)
        self.server = server

    def describe(self, obj=None):
        return f"allocation {self.params['ip']}:{self.params['port']} of server '{self.server['name']}'"

    def path(self, allocation=None):
        return server_path(self.server, **({"allocation": allocation["id"]} if allocation else {}))

    def find(self):
        ip, port = self.params["ip"], self.params["port"]
        allocations = self.client.call("client.allocations.list", self.path())
        found = next((a for a in allocations if port == a["port"] and ip in (a["ip"], a.get("ip_alias"))), None)
        # Checked here, before the engine's check-mode shortcut, so check mode reports the same failure.
        if found is not None and found["is_default"] and self.params["state"] == "absent":
            raise TaskFailure(
                f"{self.describe()} is the server's primary allocation and cannot be removed; "
                "make another allocation primary first"
            )
        return found

    def desired(self):
        if self.current is None:
            raise TaskFailure(
                f"{self.describe()}: the server has no such allocation; with the client API, add "
                "allocations with count (the panel picks them), or assign this one with "
                "ptero.panel.server"
            )
        desired = {}
        if self.params["notes"] is not None:
            desired["notes"] = self.params["notes"]
        primary = self.params["primary"]
        if primary is not None:
            if not primary and self.current["is_default"]:
                raise TaskFailure(
                    f"primary: {self.describe()} is the primary allocation; make another allocation primary instead"
                )
            desired["is_default"] = True if primary else self.current["is_default"]
        return desired

    def update(self, current, desired):
        after = current
        if "notes" in desired and differs(current.get("notes"), desired["notes"]):
            after = self.client.call(
                "client.allocations.update_notes", self.path(current), body={"notes": desired["notes"] or None}
            )
        if desired.get("is_default") and not current["is_default"]:
            after = self.client.call("client.allocations.set_primary", self.path(current))
        return after

    def delete(self, current):
        self.client.call("client.allocations.delete", self.path(current))


def ensure_count(module, server):
    """Add allocations until the server has `count`; the limit is checked first so a doomed task writes nothing."""
    count = module.params["count"]
    path = server_path(server)
    with failure_context(f"Could not list the allocations of server '{server['name']}'"):
        allocations = module.client.call("client.allocations.list", path)
    missing = count - len(allocations)
    if missing <= 0:
        return Outcome(
            "allocations",
            False,
            allocations,
            {"count": len(allocations)},
            {"count": len(allocations)},
            existed=True,
            extra={"added": []},
        )
    limit = (server.get("feature_limits") or {}).get("allocations")
    if not limit or count > limit:
        shown = "no allocation limit set (so the panel adds none)" if not limit else f"an allocation limit of {limit}"
        raise TaskFailure(
            f"count: server '{server['name']}' has {shown}; {count} allocations cannot be reached "
            "with the client API (an administrator can raise the limit)"
        )
    added = []
    if not module.check_mode:
        for _number in range(missing):
            try:
                added.append(module.client.call("client.allocations.create", path))
            except PanelError as error:
                raise TaskFailure.from_error(
                    error, f"Could not add an allocation to server '{server['name']}'", changed=bool(added), added=added
                ) from None
            module.record_write(f"added {added[-1].get('ip')}:{added[-1].get('port')}")
    return Outcome(
        "allocations",
        True,
        allocations + added,
        {"count": count - missing},
        {"count": count},
        existed=True,
        extra={"added": added},
    )


def main():
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "count": {"type": "int"},
            "ip": {"type": "str"},
            "port": {"type": "int"},
            "notes": {"type": "str"},
            "primary": {"type": "bool"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="client",
        required_one_of=[("count", "port")],
        required_together=[("ip", "port")],
        mutually_exclusive=[("count", "ip"), ("count", "port"), ("count", "notes"), ("count", "primary")],
    )
    count = module.params["count"]
    if count is not None and module.params["state"] == "absent":
        module.fail_json(msg="count: only used with state=present; remove one allocation with ip and port")
    if count is not None and count < 1:
        module.fail_json(msg=f"count: must be 1 or more, not {count} (a server always keeps its primary allocation)")
    port = module.params["port"]
    if port is not None and not 1 <= port <= 65535:
        module.fail_json(msg=f"port: {port} is not a TCP/UDP port (1-65535)")
    with module.failures_reported():
        server = client_server(module.client, module.params["server"])
        if count is not None:
            outcome = ensure_count(module, server)
        else:
            outcome = module.ensure(Allocation(module, server), module.params["state"])
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
