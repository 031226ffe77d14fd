#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: database_host_info
short_description: List the database hosts of a Pelican panel
version_added: 1.1.0
description:
  - Returns database hosts, all of them or those matching the options. The panel never shows their passwords.
  - Pelican only; on a Pterodactyl panel the task fails before anything else is sent, naming the panel.
  - Uses the application API.
options:
  name:
    description: Only the database host with this name.
    type: str
  host:
    description: Only database hosts at this address.
    type: str
  id:
    description: Only the database host with this id.
    type: int
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes.info
  - ptero.panel.matching
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Every database host
  ptero.panel.database_host_info:
  register: result
"""

RETURN = r"""
database_hosts:
  description: The matching database hosts.
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, name: fra-mariadb, host: 10.0.0.20, port: 3306, username: pelican,
            created_at: "2026-01-01T00:00:00+00:00", updated_at: "2026-01-01T00:00:00+00:00"}]
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._info import (
    InfoQuery,
    Match,
    Reading,
    get_by,
    read_objects,
    run_info,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._pelican import require_pelican

DATABASE_HOSTS = InfoQuery(
    "database_hosts",
    "application.database_hosts.list",
    filters={"name": Match("name", "name"), "host": Match("host", "host")},
    lookups={"id": get_by("application.database_hosts.get", "database_host")},
)


def read_database_hosts(reading: Reading) -> dict[str, t.Any]:
    require_pelican(reading.client, "database_host_info", "database hosts")
    return read_objects(DATABASE_HOSTS, reading)


QUERY = InfoQuery("database_hosts", read=read_database_hosts)


def main() -> None:
    run_info(
        PanelModule({"name": {"type": "str"}, "host": {"type": "str"}, "id": {"type": "int"}}, api="application"), QUERY
    )


if __name__ == "__main__":
    main()
