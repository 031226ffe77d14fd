#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: allocation_info
short_description: List the allocations of a Pterodactyl node
version_added: 0.1.0
description:
  - Returns a node's allocations, filtered by the panel.
  - Uses the application API.
options:
  node:
    description: The node, by name or id.
    type: str
    required: true
  ip:
    description: Only allocations on this IP address.
    type: str
  port:
    description: Only allocations on this port.
    type: int
  assigned:
    description:
      - V(true) for allocations a server uses, V(false) for free ones; unset for both.
    type: bool
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes.info
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Free ports on a node
  ptero.panel.allocation_info:
    node: fra1-node1
    assigned: false
  register: free
"""

RETURN = r"""
allocations:
  description: The matching allocations.
  returned: always
  type: list
  elements: dict
  sample: [{id: 41, ip: 203.0.113.10, alias: null, port: 25565, notes: null, assigned: false}]
"""

from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_node


def main():
    module = PanelModule(
        {"node": {"type": "str", "required": True}, "ip": {"type": "str"}, "port": {"type": "int"}, "assigned": {"type": "bool"}},
        api="application",
    )
    params = module.params
    node = module.step("Could not look up the node", find_node, module.client, params["node"])
    if node is None:
        module.fail_json(msg=f"node: no node '{params['node']}' exists on the panel")
    query = {}
    if params["ip"] is not None:
        query["filter[ip]"] = params["ip"]
    if params["port"] is not None:
        query["filter[port]"] = params["port"]
    if params["assigned"] is False:
        # The panel's server_id filter answers unassigned allocations for a non-numeric value.
        query["filter[server_id]"] = "none"
    allocations = module.collect("application.allocations.list", {"node": node["id"]}, query=query or None,
                                 what="Could not list allocations")
    if params["assigned"] is not None:
        allocations = [a for a in allocations if a.get("assigned") is params["assigned"]]
    module.exit_json(changed=False, allocations=allocations)


if __name__ == "__main__":
    main()
