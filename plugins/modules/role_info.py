#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: role_info
short_description: List the roles of a Pelican panel
version_added: 1.1.0
description:
  - Returns admin roles, all of them or those matching the options.
  - Pelican only; on a Pterodactyl panel the task fails before anything else is sent, naming the panel.
  - Uses the application API.
options:
  name:
    description: Only the role with this name.
    type: str
  id:
    description: Only the role with this id.
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
- name: Every role
  ptero.panel.role_info:
  register: result
"""

RETURN = r"""
roles:
  description: The matching roles.
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, name: Root Admin, created_at: "2026-01-01T00:00:00+00:00", updated_at: "2026-01-01T00:00:00+00:00"}]
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

ROLES = InfoQuery(
    "roles",
    "application.roles.list",
    filters={"name": Match("name", "name")},
    lookups={"id": get_by("application.roles.get", "role")},
)


def read_roles(reading: Reading) -> dict[str, t.Any]:
    require_pelican(reading.client, "role_info", "roles")
    return read_objects(ROLES, reading)


QUERY = InfoQuery("roles", read=read_roles)


def main() -> None:
    run_info(PanelModule({"name": {"type": "str"}, "id": {"type": "int"}}, api="application"), QUERY)


if __name__ == "__main__":
    main()
