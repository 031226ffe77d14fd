#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_database
short_description: Manage the databases of a Pterodactyl server (application API)
version_added: 0.1.0
description:
  - Create and delete a server's databases, and rotate their passwords, as an administrator.
  - The database is identified by server and name. The panel stores the name as C(s<server id>_<name>);
    give it with or without that prefix.
  - The panel cannot change O(remote) or O(host) of an existing database; a difference fails.
  - For server owners with a client key, see M(ptero.panel.database).
  - Uses the application API.
options:
  server:
    description: The server, by id, external id, identifier, UUID or name.
    type: str
    required: true
  database:
    description: Database name (letters, digits, C(-) and C(_)).
    type: str
    required: true
  remote:
    description:
      - Hosts the database user may connect from, for example V(%) or V(10.0.0.%).
      - Defaults to V(%) when the database is created; leave it out to accept any value of an existing database.
    type: str
  host:
    description: Id of the database host to create the database on. Required to create it.
    type: int
  rotate_password:
    description: Give the database user a new random password.
    type: bool
    default: false
  state:
    description: V(present) creates the database, V(absent) drops it.
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
- name: A database for the survival server
  ptero.panel.server_database:
    server: survival
    database: luckperms
    host: 1
  register: db
  no_log: true
"""

RETURN = r"""
database:
  description:
    - The database after the task; V(null) when absent.
    - C(relationships.password.password) holds the password after a create or rotation (a secret; use C(no_log)).
  returned: always
  type: dict
  sample: {id: 4, server: 7, host: 1, database: s7_luckperms, username: u7_Xa81kd9Qp2, remote: "%", max_connections: 0}
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._databases import database_full_name
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_application_server
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    PanelResource,
    TaskFailure,
    failure_context,
)


class ServerDatabase(PanelResource):
    result_key = "database"
    managed_fields = ("database", "remote", "host")
    create_only = ("remote", "host")
    create_requires = ("host",)
    create_defaults: t.Mapping[str, t.Any] = {"remote": "%"}

    def __init__(self, module, server):
        super().__init__(module)
        self.server = server
        self.full_name = database_full_name(server["id"], self.params["database"])

    def describe(self, obj=None):
        return f"database '{self.full_name}' of server '{self.server['name']}'"

    def find(self):
        databases = self.client.call("application.server_databases.list", {"server": self.server["id"]})
        return next((d for d in databases if d["database"] == self.full_name), None)

    def desired(self):
        # Options left out are left alone: only what the task sets is compared.
        desired = {"database": self.full_name}
        for option in ("remote", "host"):
            if self.params[option] is not None:
                desired[option] = self.params[option]
        return desired

    def create(self, desired):
        prefix_length = len(f"s{self.server['id']}_")
        body = {
            "database": self.full_name[prefix_length:],
            "remote": desired["remote"],
            "host": desired["host"],
        }
        created = self.client.call("application.server_databases.create", {"server": self.server["id"]}, body=body)
        return self.read(created["id"])

    def read(self, database_id):
        return self.client.call(
            "application.server_databases.get",
            {"server": self.server["id"], "database": database_id},
            query={"include": "password"},
        )

    def delete(self, current):
        self.client.call(
            "application.server_databases.delete", {"server": self.server["id"], "database": current["id"]}
        )

    def rotate_password(self, outcome):
        """A new password for a database that existed before the task (a new one has a fresh password)."""
        if not outcome.existed or not outcome.obj:
            return outcome
        if self.module.check_mode:
            return outcome.but(changed=True)
        path = {"server": self.server["id"], "database": outcome.obj["id"]}
        with failure_context(f"Could not rotate {self.describe()}"):
            self.client.call("application.server_databases.reset_password", path)
        rotated = self.read(outcome.obj["id"])
        return outcome.but(changed=True, obj=rotated)


def application_server(module):
    """The server of the `server` option, through the application API."""
    ref = module.params["server"]
    with failure_context("Could not look up the server"):
        server = find_application_server(module.client, ref)
    if server is None:
        raise TaskFailure(f"server: no server '{ref}' exists on the panel")
    return server


def main():
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "database": {"type": "str", "required": True},
            "remote": {"type": "str"},
            "host": {"type": "int"},
            "rotate_password": {"type": "bool", "default": False, "no_log": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="application",
    )
    state = module.params["state"]
    with module.failures_reported():
        database = ServerDatabase(module, application_server(module))
        outcome = module.ensure(database, state)
        if module.params["rotate_password"] and state == "present":
            outcome = database.rotate_password(outcome)
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
