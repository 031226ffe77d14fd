#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: database_host
short_description: Manage the database hosts of a Pelican panel
version_added: 1.1.0
description:
  - Create, update and delete the database hosts (MySQL or MariaDB servers) that a Pelican panel creates server
    databases on. Pterodactyl has no API for database hosts; on a Pterodactyl panel the module fails before any
    change, naming the panel.
  - A database host is identified by its O(name).
  - The panel connects to the database host with the given credentials before it saves a new or changed host, so
    the panel (not the machine running Ansible) must reach O(host) on O(port).
  - The password is write-only; the panel never shows it. See O(update_password).
  - Uses the application API.
options:
  name:
    description: Name of the database host in the panel, matched exactly (case included).
    type: str
    required: true
  host:
    description: Address the panel and the servers reach the database server at. Required to create the host.
    type: str
  port:
    description: Port of the database server. V(3306) when the host is created and this is left out.
    type: int
  username:
    description:
      - Database user the panel creates databases and users with (at most 32 characters). Required to create the host.
    type: str
  password:
    description:
      - Password of O(username). Sent when the host is created, and on later runs only with O(update_password=always).
    type: str
  update_password:
    description:
      - V(on_create) sends O(password) only when the host is created, so later runs leave the panel's password alone
        and report no change for it.
      - V(always) sends O(password) on every run. The panel never shows the stored password, so the module cannot
        compare it and reports a change every time.
    type: str
    choices: [always, on_create]
    default: on_create
  nodes:
    description:
      - The nodes whose servers may use this host, by node id or name. Set when the host is created.
      - Pelican's API sets these links only when it creates a host (by reading its source; its update ignores them), so
        a different list for an existing host fails, naming the nodes the panel has; change them in the panel UI.
      - Leave it out to accept any links of an existing host.
    type: list
    elements: str
  state:
    description:
      - V(present) creates or updates the host, V(absent) deletes it.
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
- name: The MariaDB server of the Frankfurt nodes
  ptero.panel.database_host:
    url: https://panel.example.com
    api_key: "{{ pelican_application_key }}"
    name: fra-mariadb
    host: 10.0.0.20
    username: pelican
    password: "{{ vault_pelican_db_password }}"
    nodes: [fra1, fra2]

- name: Rotate the panel's database password
  ptero.panel.database_host:
    name: fra-mariadb
    password: "{{ vault_new_db_password }}"
    update_password: always
"""

RETURN = r"""
database_host:
  description: The database host after the task (never the password); V(null) when it is absent.
  returned: always
  type: dict
  contains:
    id:
      description: Panel id of the host.
      type: int
      sample: 2
    name:
      description: Name of the host.
      type: str
      sample: fra-mariadb
    host:
      description: Address of the database server.
      type: str
      sample: 10.0.0.20
    port:
      description: Port of the database server.
      type: int
      sample: 3306
    username:
      description: Database user of the panel.
      type: str
      sample: pelican
    nodes:
      description: Ids of the nodes linked to the host, sorted.
      type: list
      elements: int
      sample: [1, 2]
changed_fields:
  description: Names of the fields an update changed (V(password) when it was sent).
  returned: when an existing host was changed
  type: list
  elements: str
  sample: [port]
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._lookup import get_or_none
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    PanelResource,
    TaskFailure,
    overlay,
    without_none,
)
from ansible_collections.ptero.panel.plugins.module_utils._pelican import find_by_name, node_ids, require_pelican

WITH_NODES = {"include": "nodes"}


def with_node_ids(host: dict[str, t.Any] | None) -> dict[str, t.Any] | None:
    """The host with `nodes`: the sorted ids of its linked nodes, when the panel answered the `nodes` include."""
    if host is None:
        return None
    linked = (host.get("relationships") or {}).get("nodes")
    shaped = {key: value for key, value in host.items() if key != "relationships"}
    if isinstance(linked, list):
        shaped["nodes"] = sorted(int(node["id"]) for node in linked)
    return shaped


class DatabaseHost(PanelResource):
    result_key = "database_host"
    noun = "database host"
    managed_fields = ("name", "host", "port", "username", "nodes")
    create_only = ("nodes",)
    create_requires = ("host", "username")
    create_defaults: t.Mapping[str, t.Any] = {"port": 3306, "nodes": []}

    def describe(self, obj: t.Mapping[str, t.Any] | None = None) -> str:
        return f"database host '{(obj or self.params)['name']}'"

    def find(self) -> dict[str, t.Any] | None:
        found = find_by_name(
            self.client,
            "application.database_hosts.list",
            "application.database_hosts.get",
            "database_host",
            self.params["name"],
            "database host",
        )
        return self.read(found["id"]) if found else None

    def read(self, host_id: int) -> dict[str, t.Any] | None:
        return with_node_ids(
            get_or_none(self.client, "application.database_hosts.get", {"database_host": host_id}, query=WITH_NODES)
        )

    def desired(self) -> dict[str, t.Any]:
        desired = without_none({key: self.params[key] for key in ("name", "host", "port", "username")})
        if self.params["nodes"] is not None:
            desired["nodes"] = node_ids(self.client, self.params["nodes"])
        return desired

    def sends_password(self, creating: bool) -> bool:
        return self.params["password"] is not None and (creating or self.params["update_password"] == "always")

    def compare(self, current: dict[str, t.Any], desired: dict[str, t.Any]) -> list[str]:
        if "nodes" not in current and "nodes" in desired:
            # A panel that does not answer the include: the links cannot be checked, only set on create.
            self.module.warn(
                f"{self.describe(current)}: the panel does not show which nodes it is linked to, so "
                "nodes was not compared (it is used when a host is created)"
            )
            desired = {key: value for key, value in desired.items() if key != "nodes"}
        changes = super().compare(current, desired)
        # The stored password cannot be read: with update_password=always it is sent, and counted, every time.
        return sorted([*changes, "password"]) if self.sends_password(creating=False) else changes

    def predict_update(
        self, current: dict[str, t.Any], desired: dict[str, t.Any], changes: list[str]
    ) -> dict[str, t.Any]:
        return overlay(current, {key: desired[key] for key in changes if key in desired})

    def body(self, fields: t.Mapping[str, t.Any], creating: bool) -> dict[str, t.Any]:
        body = {key: fields[key] for key in ("name", "host", "port", "username")}
        if "nodes" in fields:
            # Sent on update too, as the panel has them: a replace-style update must not unlink the nodes.
            body["node_ids"] = list(fields["nodes"])
        if self.sends_password(creating):
            body["password"] = self.params["password"]
        return body

    def create(self, desired: dict[str, t.Any]) -> dict[str, t.Any]:
        created = self.client.call("application.database_hosts.create", body=self.body(desired, creating=True))
        return self.read(created["id"]) or with_node_ids(created) or {}

    def update(self, current: dict[str, t.Any], desired: dict[str, t.Any]) -> dict[str, t.Any]:
        fields = {**current, **{key: value for key, value in desired.items() if key != "nodes"}}
        updated = self.client.call(
            "application.database_hosts.update",
            {"database_host": current["id"]},
            body=self.body(fields, creating=False),
        )
        # The answer does not show the node links; an update leaves them as they were.
        return {**(updated or fields), **({"nodes": current["nodes"]} if "nodes" in current else {})}

    def delete(self, current: dict[str, t.Any]) -> None:
        self.client.call("application.database_hosts.delete", {"database_host": current["id"]})


def check_input(params: t.Mapping[str, t.Any]) -> None:
    """The panel's own limits, before any request."""
    if params["port"] is not None and not 1 <= params["port"] <= 65535:
        raise TaskFailure(f"port: must be between 1 and 65535, not {params['port']}")
    if params["username"] is not None and not 1 <= len(params["username"]) <= 32:
        raise TaskFailure("username: must be 1 to 32 characters long")


def main() -> None:
    module = PanelModule(
        {
            "name": {"type": "str", "required": True},
            "host": {"type": "str"},
            "port": {"type": "int"},
            "username": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "update_password": {
                "type": "str",
                "choices": ["always", "on_create"],
                "default": "on_create",
                "no_log": False,
            },
            "nodes": {"type": "list", "elements": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="application",
    )
    with module.failures_reported():
        check_input(module.params)
        require_pelican(module.client, "database_host", "database hosts")
        outcome = module.ensure(DatabaseHost(module), module.params["state"])
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
