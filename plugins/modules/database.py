#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: database
short_description: Manage the databases of a Pterodactyl server (client API)
version_added: 0.1.0
description:
  - Creates and deletes a server's databases and rotates their passwords, as the server's owner or a subuser.
  - The database is identified by server and name. The panel stores the name as C(s<server id>_<name>) (cut to
    48 characters); give it with or without that prefix.
  - The panel picks the database host; the server's database limit applies.
  - The panel cannot change O(remote) of an existing database; a difference fails.
  - For administrators with an application key, see M(ptero.panel.server_database).
  - Uses the client API.
options:
  server:
    description: The server, by identifier, UUID or name.
    type: str
    required: true
  database:
    description: Database name (letters, digits, C(-) and C(_); 3 to 48 characters).
    type: str
    required: true
  remote:
    description:
      - Hosts the database user may connect from, for example V(%) or V(10.0.0.%) (the panel's C(connections_from)).
      - Defaults to V(%) when the database is created; leave it out to accept any value of an existing database.
    type: str
  rotate_password:
    description:
      - Give the database user a new random password. Always a change when the database already exists.
    type: bool
    default: false
  state:
    description: V(present) creates the database, V(absent) drops it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: A database for the LuckPerms plugin
  ptero.panel.database:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_client_key }}"
    server: survival
    database: luckperms
    remote: "10.0.0.%"
  register: db
  no_log: true

- name: New password every month
  ptero.panel.database:
    server: survival
    database: luckperms
    rotate_password: true
  no_log: true
"""

RETURN = r"""
database:
  description:
    - The database after the task; V(null) when absent. In check mode, what it would be.
    - C(relationships.password.password) holds the password after a create or a rotation, when the key's user may
      see passwords (a secret; use C(no_log) on the task).
  returned: always
  type: dict
  contains:
    id:
      description: The panel's id of the database (a hash id string).
      type: str
      sample: Xa81kd9Q
    name:
      description: Full database name.
      type: str
      sample: s7_luckperms
    username:
      description: Database user.
      type: str
      sample: u7_Xa81kd9Qp2
    connections_from:
      description: Hosts the user may connect from.
      type: str
      sample: "%"
    host:
      description: Address and port of the database host.
      type: dict
      sample: {address: 10.0.0.5, port: 3306}
    max_connections:
      description: Connection limit (0 for none).
      type: int
      sample: 0
    relationships:
      description: C(password.password) after a create or rotation.
      type: dict
      sample: {password: {password: "********"}}
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._databases import database_full_name
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, PanelResource, failure_context
from ansible_collections.ptero.panel.plugins.module_utils._servers import client_server, server_path


class Database(PanelResource):
    result_key = "database"
    managed_fields = ("name", "connections_from")
    create_only = ("connections_from",)
    create_defaults: t.Mapping[str, t.Any] = {"connections_from": "%"}

    def __init__(self, module, server):
        super().__init__(module)
        self.server = server
        self.full_name = database_full_name(server["internal_id"], self.params["database"])

    def describe(self, obj=None):
        return f"database '{self.full_name}' of server '{self.server['name']}'"

    def find(self):
        databases = self.client.call("client.databases.list", server_path(self.server))
        return next((d for d in databases if d.get("name") == self.full_name), None)

    def desired(self):
        desired = {"name": self.full_name}
        if self.params["remote"] is not None:
            desired["connections_from"] = self.params["remote"]
        return desired

    def create(self, desired):
        prefix_length = len(f"s{self.server['internal_id']}_")
        short_name = self.full_name[prefix_length:]
        return self.client.call(
            "client.databases.create",
            server_path(self.server),
            body={"database": short_name, "remote": desired["connections_from"]},
        )

    def delete(self, current):
        self.client.call("client.databases.delete", server_path(self.server, database=current["id"]))

    def rotate_password(self, outcome):
        """A new password for a database that existed before the task (a new one has a fresh password)."""
        if not outcome.existed or not outcome.obj:
            return outcome
        if self.module.check_mode:
            return outcome.but(changed=True)
        with failure_context(f"Could not rotate the password of {self.describe()}"):
            rotated = self.client.call(
                "client.databases.rotate_password", server_path(self.server, database=outcome.obj["id"])
            )
        return outcome.but(changed=True, obj=rotated)


def main():
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "database": {"type": "str", "required": True},
            "remote": {"type": "str"},
            "rotate_password": {"type": "bool", "default": False, "no_log": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="client",
    )
    state = module.params["state"]
    with module.failures_reported():
        database = Database(module, client_server(module.client, module.params["server"]))
        outcome = module.ensure(database, state)
        if module.params["rotate_password"] and state == "present":
            outcome = database.rotate_password(outcome)
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
