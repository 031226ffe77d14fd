#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: allocation
short_description: Manage the IP and port allocations of a Pterodactyl or Pelican node
version_added: 0.1.0
description:
  - Ensures that a node has, or does not have, allocations for an IP address and a set of ports.
  - Each allocation is identified by node, IP and port.
  - The panel cannot change an existing allocation's alias; a different O(alias) on existing allocations fails
    unless O(force=true), which leaves those allocations as they are and warns.
  - Works on Pterodactyl and Pelican. The existing allocations are always listed first and only the missing ones
    are created, since Pelican answers a request holding an existing allocation with a 500 and creates none of the
    batch.
  - Uses the application API.
options:
  node:
    description:
      - The node, by name or id.
    type: str
    required: true
  ip:
    description:
      - IP address (IPv4 or IPv6), CIDR block (/25 to /32, every address is used) or host name
        (resolved to IPv4 on the controller, as Pterodactyl does; Pelican only takes addresses, so the
        resolved address is what is sent to either panel).
    type: str
    required: true
  ports:
    description:
      - Ports, each a single port (V("25565")) or an inclusive range (V("25565-25570")).
      - Ports must be above 1024 (on Pelican 1024 or above) and at most 65535; a range may hold at most 1000 ports.
    type: list
    elements: str
    required: true
  alias:
    description:
      - Alias shown instead of the IP address. Only set on allocations this task creates.
    type: str
  force:
    description:
      - With V(true), a different O(alias) on existing allocations only warns.
    type: bool
    default: false
  state:
    description:
      - V(present) creates the missing allocations, V(absent) deletes the existing ones.
      - The panel refuses to delete an allocation assigned to a server; the task then fails and names the
        allocations, and deletes none of the requested ones.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Game ports on the node's public address
  ptero.panel.allocation:
    node: fra1-node1
    ip: 203.0.113.10
    ports:
      - "25565-25600"
      - "27015"
    alias: play.example.com

- name: Remove unused ports
  ptero.panel.allocation:
    node: fra1-node1
    ip: 203.0.113.10
    ports: ["25590-25600"]
    state: absent
"""

RETURN = r"""
allocations:
  description: The node's allocations for O(ip) and O(ports) after the task.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Allocation id (absent for allocations predicted in check mode).
      type: int
      sample: 41
    ip:
      description: IP address.
      type: str
      sample: 203.0.113.10
    port:
      description: Port.
      type: int
      sample: 25565
    alias:
      description: Alias, or null.
      type: str
      sample: play.example.com
    assigned:
      description: Whether a server uses the allocation.
      type: bool
      sample: false
created:
  description: C(ip:port) of the allocations created.
  returned: always
  type: list
  elements: str
  sample: ["203.0.113.10:25565"]
deleted:
  description: C(ip:port) of the allocations deleted.
  returned: always
  type: list
  elements: str
  sample: []
"""

import ipaddress
import re
import socket
import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient
from ansible_collections.ptero.panel.plugins.module_utils._flavour import PELICAN
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_node
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    Outcome,
    PanelModule,
    TaskFailure,
    failure_context,
)

# IP and port expansion as the panel does it (ranges, /25-/32 blocks), then the exact filters to list what exists.
PORT_PATTERN = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
MAX_RANGE = 1000
# Pterodactyl takes ports above 1024, Pelican from 1024 on.
PTERODACTYL_LOWEST_PORT = 1025
PELICAN_LOWEST_PORT = 1024
# Ports listed per request with the exact `filter[port]` (a comma list is an IN query); keeps URLs short.
PORTS_PER_QUERY = 200


class AllocationInputError(TaskFailure, ValueError):
    """Bad `ip` or `ports`; the message names the option."""


def expand_ports(entries: t.Iterable[str], lowest: int = PTERODACTYL_LOWEST_PORT) -> list[int]:
    """The ports `entries` name; `lowest` is the first port the panel allows."""
    ports: set[int] = set()
    for entry in entries:
        text = str(entry).strip()
        match = PORT_PATTERN.match(text)
        if not match:
            raise AllocationInputError(f"ports: '{entry}' is not a port or a range like 25565-25570")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first:
            raise AllocationInputError(f"ports: range '{entry}' ends before it starts")
        if last - first + 1 > MAX_RANGE:
            raise AllocationInputError(f"ports: range '{entry}' has more than {MAX_RANGE} ports, the panel's limit")
        if first < lowest or last > 65535:
            raise AllocationInputError(f"ports: '{entry}' is outside {lowest}-65535, the ports the panel allows")
        ports.update(range(first, last + 1))
    if not ports:
        raise AllocationInputError("ports: give at least one port")
    return sorted(ports)


def expand_ips(value: str) -> list[str]:
    text = value.strip()
    if "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise AllocationInputError(f"ip: '{value}' is not a valid CIDR block") from None
        if not 25 <= network.prefixlen <= 32 or network.version != 4:
            raise AllocationInputError(f"ip: '{value}': the panel only expands IPv4 blocks from /25 to /32")
        return [str(addr) for addr in network] if network.prefixlen < 32 else [str(network.network_address)]
    try:
        return [str(ipaddress.ip_address(text))]
    except ValueError:
        pass
    try:
        return [socket.gethostbyname(text)]
    except OSError:
        raise AllocationInputError(f"ip: '{value}' is neither an IP address nor a resolvable host name") from None


def list_node_allocations(
    client: PanelClient, node_id: int, ips: list[str], ports: list[int]
) -> list[dict[str, t.Any]]:
    """The node's allocations on `ips` x `ports`, found with the exact ip/port filters."""
    found: list[dict[str, t.Any]] = []
    wanted_ports = set(ports)
    for ip in ips:
        for start in range(0, len(ports), PORTS_PER_QUERY):
            end = start + PORTS_PER_QUERY
            chunk = ports[start:end]
            query = {"filter[ip]": ip, "filter[port]": ",".join(str(p) for p in chunk)}
            found.extend(
                a
                for a in client.collect("application.allocations.list", {"node": node_id}, query=query)
                if a["ip"] == ip and int(a["port"]) in wanted_ports
            )
    return found


def address(allocation):
    return f"{allocation['ip']}:{allocation['port']}"


def addresses(allocations):
    return {"allocations": sorted(address(a) for a in allocations)}


class NodeAllocations:
    """The allocations of one node on the `ip` x `ports` the task names. Allocations are created in bulk and have
    no update, so this is not an engine resource: `present` and `absent` return the outcome."""

    def __init__(self, module: PanelModule) -> None:
        self.module = module
        self.client = module.client
        self.params = module.params
        self.ips = expand_ips(self.params["ip"])
        self.ports = self.expand_ports()
        with failure_context("Could not look up the node"):
            node = find_node(self.client, self.params["node"])
        if node is None:
            raise TaskFailure(f"node: no node '{self.params['node']}' exists on the panel")
        self.node: dict[str, t.Any] = node
        self.existing = self.list()

    def expand_ports(self) -> list[int]:
        """The ports of the task; the panel is only asked which it is when port 1024 makes the difference."""
        try:
            return expand_ports(self.params["ports"], PTERODACTYL_LOWEST_PORT)
        except AllocationInputError:
            with failure_context("Could not tell which panel this is"):
                if self.client.flavour != PELICAN:
                    raise
            return expand_ports(self.params["ports"], PELICAN_LOWEST_PORT)

    def list(self):
        with failure_context("Could not list the node's allocations"):
            return list_node_allocations(self.client, self.node["id"], self.ips, self.ports)

    def absent(self) -> Outcome:
        doomed = sorted(self.existing, key=lambda a: (a["ip"], a["port"]))
        assigned = [address(a) for a in doomed if a.get("assigned")]
        if assigned:
            raise TaskFailure(
                f"ports: {', '.join(assigned)} on node '{self.node['name']}' are assigned to a server "
                "and cannot be deleted; remove them from the server first (nothing was deleted)"
            )
        if not self.module.check_mode:
            for allocation in doomed:
                with failure_context(f"Could not delete allocation {address(allocation)}"):
                    self.client.call(
                        "application.allocations.delete", {"node": self.node["id"], "allocation": allocation["id"]}
                    )
                self.module.record_write(f"deleted {address(allocation)}")
        return Outcome(
            "allocations",
            bool(doomed),
            [],
            {"allocations": [address(a) for a in doomed]},
            {"allocations": []},
            existed=bool(doomed),
            extra={"created": [], "deleted": [address(a) for a in doomed]},
        )

    def check_alias(self) -> None:
        """The panel cannot change an alias: refuse a different one, unless `force` says to leave them."""
        alias = self.params["alias"]
        drifted = [address(a) for a in self.existing if (a.get("alias") or None) != (alias or None)]
        if alias is None or not drifted:
            return
        message = (
            f"alias: the panel cannot change the alias of existing allocations ({', '.join(drifted[:10])}"
            f"{' ...' if len(drifted) > 10 else ''} have a different one)"
        )
        if not self.params["force"]:
            raise TaskFailure(message + "; delete and recreate them, or set force=true to leave them")
        self.module.warn(message + "; left as they are")

    def present(self) -> Outcome:
        have = {(a["ip"], a["port"]) for a in self.existing}
        missing = sorted({(ip, port) for ip in self.ips for port in self.ports} - have)
        self.check_alias()
        after = self.existing
        if missing and self.module.check_mode:
            after = self.existing + [
                {"ip": ip, "port": port, "alias": self.params["alias"], "notes": None, "assigned": False}
                for ip, port in missing
            ]
        elif missing:
            self.create(missing)
            after = self.list()
        after = sorted(after, key=lambda a: (a["ip"], a["port"]))
        return Outcome(
            "allocations",
            bool(missing),
            after,
            addresses(self.existing),
            addresses(after),
            existed=not missing,
            extra={"created": [f"{ip}:{port}" for ip, port in missing], "deleted": []},
        )

    def create(self, missing) -> None:
        """One request per ip, with all its ports (the panel expands them)."""
        for ip in sorted({key[0] for key in missing}):
            body = {"ip": ip, "ports": [str(port) for i, port in missing if i == ip]}
            if self.params["alias"] is not None:
                body["alias"] = self.params["alias"]
            with failure_context(f"Could not create allocations on node '{self.node['name']}'"):
                self.client.call("application.allocations.create", {"node": self.node["id"]}, body=body)
            self.module.record_write(f"created {', '.join(f'{ip}:{port}' for port in body['ports'])}")


def main():
    module = PanelModule(
        {
            "node": {"type": "str", "required": True},
            "ip": {"type": "str", "required": True},
            "ports": {"type": "list", "elements": "str", "required": True},
            "alias": {"type": "str"},
            "force": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="application",
    )
    with module.failures_reported():
        allocations = NodeAllocations(module)
        outcome = allocations.absent() if module.params["state"] == "absent" else allocations.present()
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
