#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: database_info
short_description: List the databases of a Pterodactyl server (client API)
version_added: 0.1.0
description:
  - Returns a server's databases, or the one with a given name.
  - Passwords are returned only with O(show_password=true), and only when the key's user may see them.
  - For administrators with an application key, see M(ptero.panel.server_database_info).
  - Uses the client API.
options:
  server:
    description: The server, by identifier (the 8-character one or, on any panel, the C(serv_...) one), UUID or name.
    type: str
    required: true
  database:
    description: Only the database with this name (with or without the C(s<server id>_) prefix).
    type: str
  show_password:
    description:
      - Include each database's password in C(relationships.password.password). These are secrets; use C(no_log).
    type: bool
    default: false
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes.info
  - ptero.panel.matching
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Databases of the survival server
  ptero.panel.database_info:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_client_key }}"
    server: survival
  register: result

- name: Credentials for the plugin configuration
  ptero.panel.database_info:
    server: survival
    database: luckperms
    show_password: true
  register: luckperms
  no_log: true
"""

RETURN = r"""
databases:
  description: The databases, as M(ptero.panel.database) returns them.
  returned: always
  type: list
  elements: dict
  sample: [{id: Xa81kd9Q, name: s7_luckperms, username: u7_Xa81kd9Qp2, connections_from: "%",
            host: {address: 10.0.0.5, port: 3306}, max_connections: 0}]
"""

from ansible_collections.ptero.panel.plugins.module_utils._databases import database_full_name
from ansible_collections.ptero.panel.plugins.module_utils._info import CLIENT_SERVER, InfoQuery, Match, run_info
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule

QUERY = InfoQuery(
    "databases",
    "client.databases.list",
    scope=CLIENT_SERVER,
    filters={
        "database": Match("name", value=lambda name, reading: database_full_name(reading.owner["internal_id"], name))
    },
    query=lambda params: {"include": "password"} if params["show_password"] else {},
)


def main():
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "database": {"type": "str"},
            "show_password": {"type": "bool", "default": False, "no_log": False},
        },
        api="client",
    )
    run_info(module, QUERY)


if __name__ == "__main__":
    main()
