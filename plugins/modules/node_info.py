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
  - On Pelican, O(tags) selects nodes by their tags.
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
  tags:
    description:
      - Pelican only. Only the nodes that carry every one of these tags; a node may carry more.
      - Each tag is matched exactly and case-sensitively, like the other options (see the notes); V(fra1) does not
        find a node tagged V(FRA1) or V(fra1-ssd).
      - Pelican's migration made each Pterodactyl location's short code a tag of that location's nodes, so
        O(tags=[fra1]) finds the nodes of the former location C(fra1).
      - Pelican's node listing has no tag filter, so the module reads every page of it (or, with O(id), the one
        node) and keeps the nodes that carry the tags.
      - An empty list (the default) does not filter by tag.
      - On Pterodactyl, whose nodes have no tags but each belong to one location, a non-empty list fails the task
        before any node is read (with O(panel=pterodactyl), before any request). There, find the location with
        M(ptero.panel.location_info) and keep the nodes whose C(location_id) is that location's C(id).
    type: list
    elements: str
    default: []
    version_added: 1.1.0
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

- name: The Pelican nodes of the former location fra1 that also carry the tag ssd
  ptero.panel.node_info:
    tags: [fra1, ssd]
  register: fra1_ssd_nodes
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

from ansible_collections.ptero.panel.plugins.module_utils._flavour import PELICAN
from ansible_collections.ptero.panel.plugins.module_utils._info import (
    InfoQuery,
    Match,
    Reading,
    get_by,
    includes,
    read_objects,
    run_info,
)
from ansible_collections.ptero.panel.plugins.module_utils._lookup import same_value
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, TaskFailure, failure_context
from ansible_collections.ptero.panel.plugins.module_utils._servers import NO_LOCATIONS, refuse_on_pelican

NODES = InfoQuery(
    "nodes",
    "application.nodes.list",
    filters={"name": Match("name", "name"), "fqdn": Match("fqdn", "fqdn")},
    lookups={"id": get_by("application.nodes.get", "node")},
    query=includes,
)


NO_NODE_TAGS = (
    "tags: Pelican only; Pterodactyl nodes have no tags, each belongs to one location instead. Find the location "
    "with ptero.panel.location_info and keep the nodes whose location_id is that location's id"
)


def refuse_tags_on_pterodactyl(reading: Reading) -> None:
    """Fail before any node is read when tags are asked of a panel whose nodes have none."""
    with failure_context("Could not tell which panel this is"):
        pelican = reading.client.flavour == PELICAN
    if not pelican:
        raise TaskFailure(NO_NODE_TAGS)


def carries_every_tag(node: t.Mapping[str, t.Any], tags: t.Iterable[str]) -> bool:
    """Whether the node carries each of `tags`, each compared by the collection's one rule (exactly)."""
    # Pelican's column is nullable: a node without tags may show null.
    held = node.get("tags") or []
    return all(any(same_value("tags", have, wanted) for have in held) for wanted in tags)


def read_nodes(reading: Reading) -> dict[str, t.Any]:
    tags = reading.params["tags"] or []
    if tags:
        refuse_tags_on_pterodactyl(reading)
    if "location" in reading.params["include"]:
        # Pelican would ignore the include: say why there is no location instead.
        refuse_on_pelican(reading.client, f"include: location cannot be read. {NO_LOCATIONS}")
    result = read_objects(NODES, reading)
    # The listing has no tag filter (Pelican filters nodes by uuid, name, fqdn and daemon token only).
    return {**result, "nodes": [node for node in result["nodes"] if carries_every_tag(node, tags)]}


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
            "tags": {"type": "list", "elements": "str", "default": []},
        },
        api="application",
    )
    run_info(module, QUERY)


if __name__ == "__main__":
    main()
