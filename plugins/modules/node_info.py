#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_info
short_description: List Pterodactyl and Pelican nodes
version_added: 0.1.0
description:
  - Returns nodes, all of them or those matching the options.
  - Works on Pterodactyl and Pelican. Pelican nodes have no C(location_id); they have C(tags) (a migrated
    location's short code is one of them), C(cpu), C(cpu_overallocate), C(daemon_connect) and C(daemon_sftp_alias).
  - Uses the application API.
options:
  id:
    description: Only the node with this id.
    type: int
  name:
    description: Only the node with this name.
    type: str
  fqdn:
    description: Only nodes with this address.
    type: str
  include:
    description:
      - Related objects to add under C(relationships) of each node.
      - V(location) is Pterodactyl only and fails the task on Pelican, whose nodes carry C(tags) instead.
    type: list
    elements: str
    choices: [allocations, location, servers]
    default: []
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes.info
  - ptero.panel.matching
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: All nodes with their location
  ptero.panel.node_info:
    include: [location]
  register: result
"""

RETURN = r"""
nodes:
  description: The matching nodes, as the M(ptero.panel.node) module returns them.
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, name: fra1-node1, location_id: 1, fqdn: node1.fra1.example.com, memory: 65536, disk: 512000}]
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._info import (
    InfoQuery,
    Match,
    Reading,
    get_by,
    includes,
    read_objects,
    run_info,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._servers import NO_LOCATIONS, refuse_on_pelican

NODES = InfoQuery(
    "nodes",
    "application.nodes.list",
    filters={"name": Match("name", "name"), "fqdn": Match("fqdn", "fqdn")},
    lookups={"id": get_by("application.nodes.get", "node")},
    query=includes,
)


def read_nodes(reading: Reading) -> dict[str, t.Any]:
    if "location" in reading.params["include"]:
        # Pelican would ignore the include: say why there is no location instead.
        refuse_on_pelican(reading.client, f"include: location cannot be read. {NO_LOCATIONS}")
    return read_objects(NODES, reading)


QUERY = InfoQuery("nodes", read=read_nodes)


def main():
    module = PanelModule(
        {
            "id": {"type": "int"},
            "name": {"type": "str"},
            "fqdn": {"type": "str"},
            "include": {
                "type": "list",
                "elements": "str",
                "choices": ["allocations", "location", "servers"],
                "default": [],
            },
        },
        api="application",
    )
    run_info(module, QUERY)


if __name__ == "__main__":
    main()
