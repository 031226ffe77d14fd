#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_transfer
short_description: Move a server to another node of a Pelican panel
version_added: 1.1.0
description:
  - Transfer a server to another node (its files are copied by Wings from the old node to the new one), and by
    default wait until the panel shows it on the new node. Pterodactyl has no transfer API; on a Pterodactyl panel the
    module fails before any change, naming the panel.
  - Idempotent by node, not by allocation; a server already on O(node) is left as it is, whatever its allocation.
    A server that is being moved to O(node) (the panel gives it allocations there when the transfer starts) is not
    sent again; with O(wait=true) the task waits for it.
  - The panel answers C(406 Not Acceptable) when the node cannot take the server (not enough free memory, disk or CPU,
    or the node is not deployable); the module reports that without retrying.
  - The application API does not show a transfer in progress (the panel's C(transfer) include fails), so waiting
    means watching the server's node. A transfer that Wings gives up leaves the server on its old node; waiting then
    ends at O(wait_timeout) with a message saying so.
  - Uses the application API.
options:
  server:
    description: The server to move, by id, external id, identifier, UUID or name.
    type: str
    required: true
  node:
    description: The node to move it to, by id or name.
    type: str
    required: true
  allocation:
    description:
      - The allocation on O(node) that becomes the server's primary one, by id or as C(ip:port).
      - Leave it out to take the free allocation of O(node) with the lowest id.
    type: str
  additional_allocations:
    description: More allocations on O(node) for the server, by id or as C(ip:port).
    type: list
    elements: str
    default: []
  wait:
    description: Wait until the panel shows the server on O(node).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: int
    default: 900
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Drain node fra1 before its maintenance
  ptero.panel.server_transfer:
    url: https://panel.example.com
    api_key: "{{ pelican_application_key }}"
    server: "{{ item }}"
    node: fra2
  loop: "{{ servers_on_fra1 }}"

- name: Move the survival server onto a chosen port, without waiting
  ptero.panel.server_transfer:
    server: survival
    node: fra2
    allocation: "10.0.0.12:25565"
    wait: false
"""

RETURN = r"""
server:
  description: The server after the task (before the move finished with O(wait=false); the predicted server in check
    mode).
  returned: always
  type: dict
  sample: {id: 7, name: survival, node: 2, allocation: 41}
transferred:
  description: Whether the task started a transfer.
  returned: always
  type: bool
  sample: true
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_application_server, find_node
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    Outcome,
    PanelModule,
    TaskFailure,
    failure_context,
)
from ansible_collections.ptero.panel.plugins.module_utils._pelican import require_pelican, required_object

Item = dict[str, t.Any]


def parse_allocation(ref: str) -> tuple[str, int] | int:
    """An allocation option: an id, or (ip, port) from `ip:port`; TaskFailure for anything else."""
    if ref.isdigit():
        return int(ref)
    ip, sep, port = ref.rpartition(":")
    if not sep or not ip or not port.isdigit():
        raise TaskFailure(f"allocation: '{ref}' is neither an allocation id nor ip:port")
    return ip.strip("[]"), int(port)


class Transfer:
    """One server's move to a node."""

    def __init__(self, module: PanelModule) -> None:
        self.module = module
        self.client = module.client
        self.params = module.params
        self.server: Item = required_object(self.client, self.params["server"], "server", find_application_server)
        self.node: Item = required_object(self.client, self.params["node"], "node", find_node)
        self.label = f"server '{self.server['name']}'"

    def node_allocations(self, query: dict[str, t.Any] | None = None) -> list[Item]:
        with failure_context(f"Could not list the allocations of node '{self.node['name']}'"):
            return self.client.collect("application.allocations.list", {"node": self.node["id"]}, query=query)

    def moving_here(self) -> bool:
        """Whether a transfer to the node is running: the panel gives the server its new allocations when the
        transfer starts, and moves the server itself only when Wings has finished."""
        return bool(self.node_allocations({"filter[server_id]": self.server["id"]}))

    def pick(self, allocations: list[Item], ref: str, option: str) -> int:
        """The id of the allocation `ref` names; it must be on the node and free."""
        wanted = parse_allocation(ref)
        found = next(
            (
                a
                for a in allocations
                if (a["id"] == wanted if isinstance(wanted, int) else (a.get("ip"), a.get("port")) == wanted)
            ),
            None,
        )
        if found is None:
            raise TaskFailure(f"{option}: node '{self.node['name']}' has no allocation '{ref}'")
        if found.get("assigned"):
            raise TaskFailure(
                f"{option}: allocation '{ref}' of node '{self.node['name']}' is already assigned to a server"
            )
        return int(found["id"])

    def allocation_ids(self) -> tuple[int, list[int]]:
        """(primary allocation id, additional ids) on the target node."""
        allocations = self.node_allocations()
        extra = [self.pick(allocations, ref, "additional_allocations") for ref in self.params["additional_allocations"]]
        if self.params["allocation"] is not None:
            return self.pick(allocations, self.params["allocation"], "allocation"), extra
        free = sorted(int(a["id"]) for a in allocations if not a.get("assigned") and int(a["id"]) not in extra)
        if not free:
            raise TaskFailure(
                f"node '{self.node['name']}' has no free allocation for {self.label}; add one, or "
                "name one with the allocation option"
            )
        return free[0], extra

    def start(self, primary: int, extra: list[int]) -> None:
        body = {"node_id": self.node["id"], "allocation_id": primary, "allocation_additional": extra}
        try:
            self.client.call("application.servers.transfer", {"server": self.server["id"]}, body=body)
        except PanelError as error:
            if error.status == 406:
                raise TaskFailure.from_error(
                    error,
                    f"Node '{self.node['name']}' cannot take {self.label} (the panel found it not viable: not "
                    "enough free memory, disk or CPU for the server, or the node is not deployable; the panel also "
                    "answers so while the server is being transferred already, then run the task again later)",
                ) from None
            raise TaskFailure.from_error(error, f"Could not start the transfer of {self.label}") from None
        self.module.record_write(f"started the transfer of {self.label} to node '{self.node['name']}'")

    def read_server(self) -> Item:
        return self.client.call("application.servers.get", {"server": self.server["id"]})

    def wait(self) -> Item:
        def describe(server: Item) -> str:
            return (
                f"still on node {server.get('node')}; the transfer may still run, or Wings gave it up (the server "
                "then stays on its old node: see the panel's activity log)"
            )

        return self.module.wait_for(
            self.read_server,
            lambda server: server.get("node") == self.node["id"],
            self.params["wait_timeout"],
            f"{self.label} to arrive on node '{self.node['name']}'",
            describe,
        )

    def ensure(self) -> Outcome:
        before = {"node": self.server["node"], "allocation": self.server.get("allocation")}
        if self.server["node"] == self.node["id"]:
            return Outcome("server", False, self.server, before, before, existed=True, extra={"transferred": False})
        if self.moving_here():
            # Started by an earlier run: sending it again would fail; wait for it like the run that started it.
            server = self.wait() if self.params["wait"] and not self.module.check_mode else self.server
            after = {"node": server["node"], "allocation": server.get("allocation")}
            return Outcome("server", False, server, before, after, existed=True, extra={"transferred": False})
        primary, extra = self.allocation_ids()
        after = {"node": self.node["id"], "allocation": primary}
        server = {**self.server, **after}
        if not self.module.check_mode:
            self.start(primary, extra)
            server = self.wait() if self.params["wait"] else self.read_server()
        return Outcome("server", True, server, before, after, existed=True, extra={"transferred": True})


def main() -> None:
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "node": {"type": "str", "required": True},
            "allocation": {"type": "str"},
            "additional_allocations": {"type": "list", "elements": "str", "default": []},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 900},
        },
        api="application",
    )
    if module.params["wait_timeout"] < 0:
        module.fail_json(msg=f"wait_timeout: must be 0 or more, not {module.params['wait_timeout']}")
    with module.failures_reported():
        require_pelican(module.client, "server_transfer", "server transfers")
        outcome = Transfer(module).ensure()
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
