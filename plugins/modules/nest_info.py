#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: nest_info
short_description: List Pterodactyl nests
version_added: 0.1.0
description:
  - Pterodactyl only. Pelican has no nests (its eggs carry tags instead), so there the task fails, pointing to
    M(ptero.panel.egg_info).
  - Returns nests (groups of eggs such as Minecraft or Rust). The panel has no nest filter; panels have a handful of
    nests.
  - Uses the application API.
options:
  id:
    description: Only the nest with this id.
    type: int
  name:
    description: Only the nest with this name.
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
- name: Every nest
  ptero.panel.nest_info:
  register: result
"""

RETURN = r"""
nests:
  description: The matching nests.
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, uuid: 8c3f2a1e-1b2c-4d5e-8f90-a1b2c3d4e5f6, author: support@pterodactyl.io, name: Minecraft,
            description: Minecraft servers}]
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
from ansible_collections.ptero.panel.plugins.module_utils._servers import NO_NESTS, refuse_on_pelican

NESTS = InfoQuery(
    "nests",
    "application.nests.list",
    filters={"name": Match("name")},
    lookups={"id": get_by("application.nests.get", "nest")},
)


def read_nests(reading: Reading) -> dict[str, t.Any]:
    refuse_on_pelican(reading.client, NO_NESTS)
    return read_objects(NESTS, reading)


QUERY = InfoQuery("nests", read=read_nests)


def main():
    run_info(PanelModule({"id": {"type": "int"}, "name": {"type": "str"}}, api="application"), QUERY)


if __name__ == "__main__":
    main()
