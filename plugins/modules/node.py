#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node
short_description: Manage Pterodactyl nodes
version_added: 0.1.0
description:
  - Create, update and delete nodes, the machines running Wings.
  - The node is identified by O(name).
  - Every update sends the node's complete settings, because the panel replaces what a request leaves out
    (an omitted C(daemon_base) would silently be reset to its default).
  - When the panel saves a change but cannot reach Wings to send it the new configuration
    (C(ConfigurationNotPersistedException)), the task reports the change (C(changed=true)) and fails with a
    message saying how to get the configuration to Wings; a later run would find the panel already right.
  - Uses the application API.
options:
  name:
    description:
      - Node name; it identifies the node. Letters, digits, spaces, C(_), C(.) and C(-), at most 100 characters.
    type: str
    required: true
  description:
    description:
      - The node's description. V("") clears it.
      - Needs panel 1.12.0 or later; older panels ignore it through the API, and setting a different value there
        fails the task naming this option (it never reports a change that did not happen).
    type: str
  location:
    description:
      - Location the node belongs to, as a short code or an id. Required to create the node.
    type: str
  fqdn:
    description:
      - Domain name or IP address the panel and clients use to reach Wings. Required to create the node.
    type: str
  scheme:
    description:
      - Whether Wings is reached over V(https) or V(http). Default on create V(https).
    type: str
    choices: [http, https]
  behind_proxy:
    description:
      - Whether Wings sits behind a TLS-terminating proxy. Default on create V(false).
    type: bool
  public:
    description:
      - Whether automatic deployment may place servers on this node. Default on create V(true).
    type: bool
  maintenance_mode:
    description:
      - Whether the node is in maintenance mode (client API calls for its servers are refused). Default on create V(false).
    type: bool
  memory:
    description:
      - Total memory for servers, in MiB. Required to create the node.
    type: int
  memory_overallocate:
    description:
      - Percentage of memory that may be over-allocated; V(-1) disables the check. Default on create V(0).
    type: int
  disk:
    description:
      - Total disk space for servers, in MiB. Required to create the node.
    type: int
  disk_overallocate:
    description:
      - Percentage of disk that may be over-allocated; V(-1) disables the check. Default on create V(0).
    type: int
  upload_size:
    description:
      - Largest file upload through the web panel, in MiB, at least 1. Default on create V(100).
      - Panels before 1.12.0 allow at most 1024; newer ones have no upper bound.
    type: int
  daemon_listen:
    description:
      - Port Wings listens on for the API and websockets. Default on create V(8080).
    type: int
  daemon_sftp:
    description:
      - Port of Wings' SFTP server. Default on create V(2022).
    type: int
  daemon_base:
    description:
      - Directory where Wings keeps server data. Default on create V(/var/lib/pterodactyl/volumes).
    type: str
  wings_configuration:
    description:
      - Also return the node's Wings configuration (C(config.yml) content) as RV(configuration).
      - It contains the node's daemon token, a secret; register the result with C(no_log) where that matters.
      - From panel 1.13.0 this needs an application key with write access to nodes (Nodes Read & Write).
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the node, V(absent) deletes it.
      - The panel refuses to delete a node that still has servers.
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
- name: Ensure node fra1-node1 exists
  ptero.panel.node:
    name: fra1-node1
    location: fra1
    fqdn: node1.fra1.example.com
    memory: 65536
    disk: 512000
  register: node

- name: Put a node into maintenance
  ptero.panel.node:
    name: fra1-node1
    maintenance_mode: true

- name: Fetch the Wings configuration
  ptero.panel.node:
    name: fra1-node1
    wings_configuration: true
  register: wings
  no_log: true
"""

RETURN = r"""
node:
  description: The node after the task; V(null) when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Panel id.
      type: int
      sample: 3
    uuid:
      description: Node UUID.
      type: str
      sample: 0f1d2c3b-4a59-4687-b7c8-d9e0f1a2b3c4
    name:
      description: Name.
      type: str
      sample: fra1-node1
    description:
      description: Description.
      type: str
      sample: Frankfurt rack 3
    location_id:
      description: Id of the node's location.
      type: int
      sample: 1
    fqdn:
      description: Address of Wings.
      type: str
      sample: node1.fra1.example.com
    scheme:
      description: V(http) or V(https).
      type: str
      sample: https
    memory:
      description: Memory in MiB.
      type: int
      sample: 65536
    disk:
      description: Disk in MiB.
      type: int
      sample: 512000
    daemon_listen:
      description: Wings API port.
      type: int
      sample: 8080
    daemon_sftp:
      description: Wings SFTP port.
      type: int
      sample: 2022
    daemon_base:
      description: Server data directory.
      type: str
      sample: /var/lib/pterodactyl/volumes
    allocated_resources:
      description: Memory and disk allocated to the node's servers.
      type: dict
      sample: {memory: 4096, disk: 20480}
configuration:
  description: The Wings configuration of the node, including its daemon token (a secret).
  returned: when O(wings_configuration=true) and the node exists
  type: dict
  sample: {uuid: 0f1d2c3b-4a59-4687-b7c8-d9e0f1a2b3c4, api: {port: 8080}, system: {data: /var/lib/pterodactyl/volumes}}
changed_fields:
  description: Names of the fields an update changed.
  returned: when an existing node was changed
  type: list
  elements: str
  sample: [maintenance_mode]
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    PanelResource,
    TaskFailure,
    changed_fields,
    differs,
    failure_context,
    without_none,
)
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_location, find_node

# The panel saved the node, then could not send Wings its new configuration.
NOT_PERSISTED = "ConfigurationNotPersistedException"
# The first panel version whose application API sets a node's description.
DESCRIPTION_SINCE = "1.12.0"

SETTINGS = (
    "location_id", "fqdn", "scheme", "behind_proxy", "public", "maintenance_mode", "memory", "memory_overallocate",
    "disk", "disk_overallocate", "upload_size", "daemon_listen", "daemon_sftp", "daemon_base",
)


class Node(PanelResource):
    result_key = "node"
    managed_fields = ("name", "description") + SETTINGS
    create_requires = ("location", "fqdn", "memory", "disk")
    create_defaults = {
        "scheme": "https", "behind_proxy": False, "public": True, "maintenance_mode": False,
        "memory_overallocate": 0, "disk_overallocate": 0, "upload_size": 100, "daemon_listen": 8080,
        "daemon_sftp": 2022, "daemon_base": "/var/lib/pterodactyl/volumes",
    }

    def describe(self, obj=None):
        return f"node '{(obj or self.params)['name']}'"

    def find(self):
        return find_node(self.client, self.params["name"])

    def desired(self):
        desired = without_none({field: self.params.get(field) for field in ("name", "description") + SETTINGS})
        if self.params["location"] is not None:
            with failure_context("Could not look up the location"):
                location = find_location(self.client, self.params["location"])
            if location is None:
                raise TaskFailure(f"location: no location '{self.params['location']}' exists on the panel")
            desired["location_id"] = location["id"]
        return desired

    def create(self, desired):
        try:
            created = self.client.call("application.nodes.create", body=desired)
        except PanelError as error:
            if error.code != NOT_PERSISTED:
                raise
            # Defensive: panels up to 1.14 do not contact Wings on create, but the node would exist if one did.
            self.module.record_write("created the node in the panel")
            self.fail_not_pushed(self.find() or desired, error)
        self.module.record_write("created the node")
        self.require_description(created, desired)
        return created

    def update(self, current, desired):
        # The full set every time: an omitted daemon_base would be reset. description only when it is managed,
        # so panels before 1.12 (which do not accept it) see the body they know.
        body = {field: current.get(field) for field in ("name",) + SETTINGS}
        body.update(desired)
        changes = self.compare(current, desired)
        try:
            updated = self.client.call("application.nodes.update", {"node": current["id"]}, body=body)
        except PanelError as error:
            if error.code != NOT_PERSISTED:
                raise
            self.module.record_write(f"saved {', '.join(changes)} in the panel, "
                                     "not in Wings")
            self.fail_not_pushed(self.find() or current, error)
        self.require_description(updated, desired, current)
        return updated

    def require_description(self, node: dict[str, t.Any], desired: dict[str, t.Any],
                            before: dict[str, t.Any] | None = None) -> None:
        """Fail when the panel ignored `description` (before 1.12.0); a write that changed nothing is no change."""
        if "description" not in desired or not differs(node.get("description"), desired["description"]):
            return
        if before is not None and not changed_fields(before, {k: v for k, v in desired.items() if k != "description"}):
            self.module.forget_writes()  # the PATCH re-sent the values the node already had
        raise TaskFailure(
            f"description: the panel did not store the description of {self.describe(node)} (it still has "
            f"{node.get('description')!r}); setting it through the API needs Pterodactyl panel {DESCRIPTION_SINCE} "
            "or later. Set it in the admin area, or leave description out",
            node=node)

    def fail_not_pushed(self, node: t.Mapping[str, t.Any], error: PanelError) -> t.NoReturn:
        name, node_id = node.get("name") or self.params["name"], node.get("id")
        wings = f"{node.get('scheme') or 'https'}://{node.get('fqdn')}:{node.get('daemon_listen')}"
        raise TaskFailure(
            f"{self.describe(node)}: the panel saved the change, but Wings ({wings}) did not get its new "
            f"configuration ({error.code}). Wings keeps running with the old one, and running this task again "
            "will not send it, because the panel already has these values. Once Wings can be reached, push the "
            f"configuration again: save the node in the admin area (Nodes > {name} > Settings), or on the node run "
            f"'wings configure --panel-url <panel URL> --token <application API key> --node {node_id}' "
            "and restart Wings",
            error=error.to_dict(), node=dict(node))

    def delete(self, current):
        self.client.call("application.nodes.delete", {"node": current["id"]})


def main():
    module = PanelModule(
        {
            "name": {"type": "str", "required": True},
            "description": {"type": "str"},
            "location": {"type": "str"},
            "fqdn": {"type": "str"},
            "scheme": {"type": "str", "choices": ["http", "https"]},
            "behind_proxy": {"type": "bool"},
            "public": {"type": "bool"},
            "maintenance_mode": {"type": "bool"},
            "memory": {"type": "int"},
            "memory_overallocate": {"type": "int"},
            "disk": {"type": "int"},
            "disk_overallocate": {"type": "int"},
            "upload_size": {"type": "int"},
            "daemon_listen": {"type": "int"},
            "daemon_sftp": {"type": "int"},
            "daemon_base": {"type": "str"},
            "wings_configuration": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="application",
    )
    state = module.params["state"]
    with module.failures_reported():
        outcome = module.ensure(Node(module), state)
        if module.params["wings_configuration"] and state == "present" and (outcome.obj or {}).get("id") is not None:
            outcome.extra["configuration"] = wings_configuration(module.client, outcome.obj)
    module.exit_json(**outcome.result())


def wings_configuration(client, node):
    """The node's Wings configuration (it holds the daemon token)."""
    try:
        return client.call("application.nodes.configuration", {"node": node["id"]})
    except PanelError as error:
        what = f"Could not read the Wings configuration of node '{node['name']}'"
        if error.status == 403:
            # Panel 1.13.0+ gives the configuration (it holds the daemon token) only to keys that may change nodes.
            what += (": this application API key lacks write access to nodes, which panel 1.13 and later require "
                     "for the node configuration; use a key with Nodes: Read & Write")
        raise TaskFailure.from_error(error, what) from None


if __name__ == "__main__":
    main()
