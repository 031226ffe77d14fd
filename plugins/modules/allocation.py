#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: allocation
short_description: Manage the IP and port allocations of a Pterodactyl node
version_added: 0.1.0
description:
  - Ensures that a node has, or does not have, allocations for an IP address and a set of ports.
  - Each allocation is identified by node, IP and port.
  - The panel cannot change an existing allocation's alias; a different O(alias) on existing allocations fails
    unless O(force=true), which leaves those allocations as they are and warns.
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
        (resolved to IPv4 on the controller, as the panel does).
    type: str
    required: true
  ports:
    description:
      - Ports, each a single port (V("25565")) or an inclusive range (V("25565-25570")).
      - Ports must be above 1024 and at most 65535; a range may hold at most 1000 ports.
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

from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_node
from ansible_collections.ptero.panel.plugins.module_utils._allocations import (
    AllocationInputError,
    expand_ips,
    expand_ports,
    list_node_allocations,
)


def address(allocation):
    return f"{allocation['ip']}:{allocation['port']}"


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
    params = module.params
    try:
        ips = expand_ips(params["ip"])
        ports = expand_ports(params["ports"])
    except AllocationInputError as error:
        module.fail_json(msg=str(error))

    node = module.step("Could not look up the node", find_node, module.client, params["node"])
    if node is None:
        module.fail_json(msg=f"node: no node '{params['node']}' exists on the panel")
    existing = module.step("Could not list the node's allocations", list_node_allocations, module.client, node["id"], ips, ports)
    wanted = {(ip, port) for ip in ips for port in ports}
    have = {(a["ip"], a["port"]): a for a in existing}

    if params["state"] == "absent":
        doomed = [have[key] for key in sorted(have)]
        assigned = [address(a) for a in doomed if a.get("assigned")]
        if assigned:
            module.fail_json(msg=f"ports: {', '.join(assigned)} on node '{node['name']}' are assigned to a server and "
                                 "cannot be deleted; remove them from the server first (nothing was deleted)")
        if not module.check_mode:
            for allocation in doomed:
                module.call("application.allocations.delete", {"node": node["id"], "allocation": allocation["id"]},
                            what=f"Could not delete allocation {address(allocation)}")
                module.record_write(f"deleted {address(allocation)}")
        module.exit_json(changed=bool(doomed), allocations=[], created=[], deleted=[address(a) for a in doomed],
                         diff={"before": {"allocations": [address(a) for a in doomed]}, "after": {"allocations": []}})

    missing = sorted(wanted - set(have))
    alias = params["alias"]
    if alias is not None:
        drifted = [address(a) for a in existing if (a.get("alias") or None) != (alias or None)]
        if drifted:
            message = (f"alias: the panel cannot change the alias of existing allocations ({', '.join(drifted[:10])}"
                       f"{' ...' if len(drifted) > 10 else ''} have a different one)")
            if not params["force"]:
                module.fail_json(msg=message + "; delete and recreate them, or set force=true to leave them")
            module.warn(message + "; left as they are")

    created = [f"{ip}:{port}" for ip, port in missing]
    after = existing
    if missing:
        if module.check_mode:
            after = existing + [{"ip": ip, "port": port, "alias": alias, "notes": None, "assigned": False}
                                for ip, port in missing]
        else:
            for ip in sorted({key[0] for key in missing}):
                body = {"ip": ip, "ports": [str(port) for i, port in missing if i == ip]}
                if alias is not None:
                    body["alias"] = alias
                module.call("application.allocations.create", {"node": node["id"]}, body=body,
                            what=f"Could not create allocations on node '{node['name']}'")
                module.record_write(f"created {', '.join(f'{ip}:{port}' for port in body['ports'])}")
            after = module.step("Could not list the node's allocations", list_node_allocations, module.client,
                                node["id"], ips, ports)
    after = sorted(after, key=lambda a: (a["ip"], a["port"]))
    module.exit_json(changed=bool(missing), allocations=after, created=created, deleted=[],
                     diff={"before": {"allocations": sorted(address(a) for a in existing)},
                           "after": {"allocations": sorted(address(a) for a in after)}})


if __name__ == "__main__":
    main()
