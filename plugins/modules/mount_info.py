#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mount_info
short_description: List the mounts of a Pelican panel
version_added: 1.1.0
description:
  - Returns mounts, all of them or those matching the options, optionally with what they are attached to.
  - Pelican only; on a Pterodactyl panel the task fails before anything else is sent, naming the panel.
  - Uses the application API.
options:
  name:
    description: Only the mount with this name.
    type: str
  uuid:
    description: Only the mount with this UUID.
    type: str
  id:
    description: Only the mount with this id.
    type: int
  include:
    description: Related objects to add to each mount under C(relationships).
    type: list
    elements: str
    choices: [eggs, nodes, servers]
    default: []
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes.info
  - ptero.panel.matching
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Every mount with the servers it is attached to
  ptero.panel.mount_info:
    include: [servers]
  register: result
"""

RETURN = r"""
mounts:
  description: The matching mounts.
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, uuid: 0b1c9c9e-2f56-4d8e-a1f4-1f9e6f3c2b7a, name: maps, description: Shared maps, source: /srv/maps,
            target: /maps, read_only: true, user_mountable: false}]
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._info import (
    InfoQuery,
    Match,
    Reading,
    get_by,
    includes,
    read_objects,
    run_info,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._pelican import require_pelican

MOUNTS = InfoQuery(
    "mounts",
    "application.mounts.list",
    filters={"name": Match("name", "name"), "uuid": Match("uuid", "uuid")},
    lookups={"id": get_by("application.mounts.get", "mount")},
    query=includes,
)


def read_mounts(reading: Reading) -> dict[str, t.Any]:
    require_pelican(reading.client, "mount_info", "mounts")
    return read_objects(MOUNTS, reading)


QUERY = InfoQuery("mounts", read=read_mounts)


def main() -> None:
    run_info(
        PanelModule(
            {
                "name": {"type": "str"},
                "uuid": {"type": "str"},
                "id": {"type": "int"},
                "include": {"type": "list", "elements": "str", "choices": ["eggs", "nodes", "servers"], "default": []},
            },
            api="application",
        ),
        QUERY,
    )


if __name__ == "__main__":
    main()
