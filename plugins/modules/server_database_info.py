#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_database_info
short_description: List the databases of a Pterodactyl server (application API)
version_added: 0.1.0
description:
  - Returns a server's databases. Passwords are not included.
  - Uses the application API.
options:
  server:
    description: The server, by id, external id, identifier (the 8-character one or the C(serv_...) one), UUID or name.
    type: str
    required: true
  database:
    description: Only the database with this name (with or without the C(s<server id>_) prefix).
    type: str
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes.info
  - ptero.panel.matching
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Databases of the survival server
  ptero.panel.server_database_info:
    server: survival
  register: result
"""

RETURN = r"""
databases:
  description: The server's databases.
  returned: always
  type: list
  elements: dict
  sample: [{id: 4, server: 7, host: 1, database: s7_luckperms, username: u7_Xa81kd9Qp2, remote: "%",
            max_connections: 0}]
"""

from ansible_collections.ptero.panel.plugins.module_utils._databases import database_full_name
from ansible_collections.ptero.panel.plugins.module_utils._info import APPLICATION_SERVER, InfoQuery, Match, run_info
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule

QUERY = InfoQuery(
    "databases",
    "application.server_databases.list",
    scope=APPLICATION_SERVER,
    filters={"database": Match("database", value=lambda name, reading: database_full_name(reading.owner["id"], name))},
)


def main():
    run_info(
        PanelModule({"server": {"type": "str", "required": True}, "database": {"type": "str"}}, api="application"),
        QUERY,
    )


if __name__ == "__main__":
    main()
