#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node
short_description: Manage Pterodactyl and Pelican nodes
version_added: 0.1.0
description:
  - Create, update and delete nodes, the machines running Wings.
  - The node is identified by O(name).
  - Works on Pterodactyl and on Pelican. Pelican has no locations (its migration made each location's short code a
    tag of the location's nodes), so there O(location) names a node tag, and O(cpu), O(cpu_overallocate),
    O(daemon_connect), O(daemon_sftp_alias) and O(tags) are managed too. On Pterodactyl these five options fail the
    task, naming them, since the panel would drop them and then differ on every run.
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
      - Location the node belongs to, as a short code or an id. Required to create the node on Pterodactyl.
      - On Pelican, which has no locations, it is the short code kept as a node tag (as Pelican's migration
        did it); the node must carry that tag, which is added to O(tags) when they are given, otherwise to the
        node's current tags (other tags are left alone). An id fails the task there.
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
      - Whether the node is in maintenance mode (client API calls for its servers are refused).
        Default on create V(false).
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
      - Directory where Wings keeps server data. Default on create V(/var/lib/pterodactyl/volumes), on Pelican
        V(/var/lib/pelican/volumes).
    type: str
  cpu:
    description:
      - Pelican only. Total CPU for servers, in percent of one core (V(400) is four cores); V(0) is unlimited on
        current Pelican releases. Default on create V(0).
    type: int
  cpu_overallocate:
    description:
      - Pelican only. Percentage of O(cpu) that may be over-allocated; V(-1) disables the check.
      - Default on create V(-1), so servers are placed without a CPU check, as on Pterodactyl.
    type: int
  daemon_connect:
    description:
      - Pelican only. Port the panel and browsers use to reach Wings (it differs from O(daemon_listen) behind a
        proxy). Default on create O(daemon_listen).
    type: int
  daemon_sftp_alias:
    description:
      - Pelican only. Address shown to users for SFTP instead of O(fqdn). V("") clears it.
    type: str
  tags:
    description:
      - Pelican only. The complete set of the node's tags (automatic deployment picks nodes by tag; the order
        does not matter). Leave it out to keep the node's tags. See O(location).
    type: list
    elements: str
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

- name: The same node on Pelican (location fra1 becomes the node tag fra1)
  ptero.panel.node:
    name: fra1-node1
    location: fra1
    tags: [ssd]
    fqdn: node1.fra1.example.com
    memory: 65536
    disk: 512000
    cpu: 1600

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
      description: Id of the node's location (Pterodactyl only).
      type: int
      sample: 1
    tags:
      description: The node's tags (Pelican only).
      type: list
      elements: str
      sample: [fra1, ssd]
    cpu:
      description: CPU for servers in percent (Pelican only).
      type: int
      sample: 1600
    daemon_connect:
      description: Port browsers use to reach Wings (Pelican only).
      type: int
      sample: 8080
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
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_location, find_node, is_id
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    PanelResource,
    TaskFailure,
    changed_fields,
    differs,
    failure_context,
    without_none,
)
from ansible_collections.ptero.panel.plugins.module_utils._servers import pelican_judging_by

# The panel saved the node, then could not send Wings its new configuration.
NOT_PERSISTED = "ConfigurationNotPersistedException"
# The first panel version whose application API sets a node's description.
DESCRIPTION_SINCE = "1.12.0"

SETTINGS = (
    "location_id",
    "fqdn",
    "scheme",
    "behind_proxy",
    "public",
    "maintenance_mode",
    "memory",
    "memory_overallocate",
    "disk",
    "disk_overallocate",
    "upload_size",
    "daemon_listen",
    "daemon_sftp",
    "daemon_base",
)
# Pelican nodes have no location (the migration made each location's short code a node tag) and more fields;
# description is always part of a Pelican node, so it belongs to the complete update body there.
PELICAN_ONLY = ("cpu", "cpu_overallocate", "daemon_connect", "daemon_sftp_alias", "tags")
PELICAN_SETTINGS = tuple(field for field in SETTINGS if field != "location_id") + PELICAN_ONLY + ("description",)
COMMON_DEFAULTS = {
    "scheme": "https",
    "behind_proxy": False,
    "public": True,
    "maintenance_mode": False,
    "memory_overallocate": 0,
    "disk_overallocate": 0,
    "upload_size": 100,
    "daemon_listen": 8080,
    "daemon_sftp": 2022,
}
# cpu 0 with cpu_overallocate -1: no CPU check when placing servers, as on Pterodactyl (which has none).
PELICAN_DEFAULTS = {
    **COMMON_DEFAULTS,
    "daemon_base": "/var/lib/pelican/volumes",
    "cpu": 0,
    "cpu_overallocate": -1,
    "tags": [],
}


def sorted_tags(tags: t.Iterable[str] | None) -> list[str]:
    """Tags as a set in a stable order: the panel keeps the order it was given, which means nothing."""
    return sorted(set(tags or []))


class Node(PanelResource):
    result_key = "node"

    # Asked lazily (after the lookup), so a Pterodactyl task sends its requests in the order it always did.
    @property
    def pelican(self) -> bool:
        # Only Pelican's nodes have daemon_connect: a node found tells the panel without a request.
        return pelican_judging_by(self.client, self.current, "daemon_connect")

    @property
    def managed_fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("name", *PELICAN_SETTINGS) if self.pelican else ("name", "description", *SETTINGS)

    @property
    def create_requires(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("fqdn", "memory", "disk") if self.pelican else ("location", "fqdn", "memory", "disk")

    @property
    def create_defaults(self) -> t.Mapping[str, t.Any]:  # type: ignore[override]
        return PELICAN_DEFAULTS if self.pelican else {**COMMON_DEFAULTS, "daemon_base": "/var/lib/pterodactyl/volumes"}

    def describe(self, obj=None):
        return f"node '{(obj or self.params)['name']}'"

    def settings(self) -> tuple[str, ...]:
        """The fields of a complete node body on this panel."""
        return PELICAN_SETTINGS if self.pelican else SETTINGS

    def find(self):
        return find_node(self.client, self.params["name"])

    def desired(self):
        if not self.pelican:
            refuse_pelican_only_options(self.params)
        desired = without_none({field: self.params.get(field) for field in self.managed_fields if field != "tags"})
        if self.pelican:
            desired.update(self.desired_pelican_extras())
        elif self.params["location"] is not None:
            with failure_context("Could not look up the location"):
                location = find_location(self.client, self.params["location"])
            if location is None:
                raise TaskFailure(f"location: no location '{self.params['location']}' exists on the panel")
            desired["location_id"] = location["id"]
        return desired

    def desired_pelican_extras(self) -> dict[str, t.Any]:
        """Tags (with `location` as one of them) and, on create, daemon_connect = daemon_listen."""
        extras: dict[str, t.Any] = {}
        tags = pelican_tags(self.params, self.current)
        if tags is not None:
            extras["tags"] = tags
        if self.current is None and self.params["daemon_connect"] is None:
            # Without a proxy in front of Wings, clients connect to the port it listens on.
            extras["daemon_connect"] = self.params["daemon_listen"] or PELICAN_DEFAULTS["daemon_listen"]
        return extras

    def compare(self, current, desired):
        if self.pelican and "tags" in current:
            current = {**current, "tags": sorted_tags(current.get("tags"))}
        return changed_fields(current, desired)

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
        # The full set every time: an omitted daemon_base would be reset. On Pterodactyl description only when it
        # is managed, so panels before 1.12 (which do not accept it) see the body they know.
        body = {field: current.get(field) for field in ("name", *self.settings())}
        body.update(desired)
        changes = self.compare(current, desired)
        try:
            updated = self.client.call("application.nodes.update", {"node": current["id"]}, body=body)
        except PanelError as error:
            if error.code != NOT_PERSISTED:
                raise
            self.module.record_write(f"saved {', '.join(changes)} in the panel, not in Wings")
            self.fail_not_pushed(self.find() or current, error)
        self.require_description(updated, desired, current)
        return updated

    def require_description(
        self, node: dict[str, t.Any], desired: dict[str, t.Any], before: dict[str, t.Any] | None = None
    ) -> None:
        """Fail when the panel ignored `description` (before 1.12.0); a write that changed nothing is no change."""
        if "description" not in desired or not differs(node.get("description"), desired["description"]):
            return
        if before is not None and not changed_fields(before, {k: v for k, v in desired.items() if k != "description"}):
            self.module.forget_writes()  # the PATCH re-sent the values the node already had
        raise TaskFailure(
            f"description: the panel did not store the description of {self.describe(node)} (it still has "
            f"{node.get('description')!r}); setting it through the API needs Pterodactyl panel {DESCRIPTION_SINCE} "
            "or later. Set it in the admin area, or leave description out",
            node=node,
        )

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
            error=error.to_dict(),
            node=dict(node),
        )

    def delete(self, current):
        self.client.call("application.nodes.delete", {"node": current["id"]})


def refuse_pelican_only_options(params: t.Mapping[str, t.Any]) -> None:
    """Pterodactyl nodes have no such fields: a value would be dropped and then differ on every run."""
    given = [option for option in PELICAN_ONLY if params.get(option) is not None]
    if given:
        raise TaskFailure(
            f"{', '.join(given)}: only Pelican nodes have {'these fields' if len(given) > 1 else 'this field'}; "
            "this panel is Pterodactyl, leave them out (Pterodactyl groups nodes by location)"
        )


def pelican_tags(params: t.Mapping[str, t.Any], current: t.Mapping[str, t.Any] | None) -> list[str] | None:
    """The node tags the options ask for on Pelican, or None to leave them alone.

    `location` names a node tag there (Pelican's migration made each location's short code a tag of its nodes): it
    is added to `tags` when those are given, else to the node's current tags."""
    location = params["location"]
    if location is not None and is_id(location):
        raise TaskFailure(
            f"location: '{location}' looks like a location id, but Pelican has no locations (they became "
            "node tags); give the location's short code, which Pelican keeps as a tag, or use tags"
        )
    if params["tags"] is not None:
        wanted = list(params["tags"])
    elif location is not None:
        wanted = list((current or {}).get("tags") or [])
    else:
        return None
    if location is not None:
        wanted.append(location)
    return sorted_tags(wanted)


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
            "cpu": {"type": "int"},
            "cpu_overallocate": {"type": "int"},
            "daemon_connect": {"type": "int"},
            "daemon_sftp_alias": {"type": "str"},
            "tags": {"type": "list", "elements": "str"},
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
            what += (
                ": this application API key lacks write access to nodes, which panel 1.13 and later require "
                "for the node configuration; use a key with Nodes: Read & Write"
            )
        raise TaskFailure.from_error(error, what) from None


if __name__ == "__main__":
    main()
