#!/usr/bin/python
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
  - ptero.panel.matching
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

from ansible_collections.ptero.panel.plugins.module_utils._info import NODE, Criterion, InfoQuery, Match, run_info
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule


def by_assignment(assigned: bool, reading: object) -> Criterion:
    # The panel's server_id filter answers the unassigned allocations for a non-numeric value.
    return Criterion("assigned", assigned, {} if assigned else {"filter[server_id]": "none"})


QUERY = InfoQuery(
    "allocations",
    "application.allocations.list",
    scope=NODE,
    filters={"ip": Match("ip", "ip"), "port": Match("port", "port"), "assigned": by_assignment},
)


def main():
    module = PanelModule(
        {
            "node": {"type": "str", "required": True},
            "ip": {"type": "str"},
            "port": {"type": "int"},
            "assigned": {"type": "bool"},
        },
        api="application",
    )
    run_info(module, QUERY)


if __name__ == "__main__":
    main()
