#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: location_info
short_description: List Pterodactyl locations
version_added: 0.1.0
description:
  - Returns locations, all of them or those matching the filters (filtered by the panel).
  - Uses the application API.
options:
  short:
    description:
      - Only the location with exactly this short code.
    type: str
  id:
    description:
      - Only the location with this id.
    type: int
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes.info
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: List every location
  ptero.panel.location_info:
  register: result

- name: Look one up by short code
  ptero.panel.location_info:
    short: fra1
"""

RETURN = r"""
locations:
  description: The matching locations.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Panel id.
      type: int
      sample: 1
    short:
      description: Short code.
      type: str
      sample: fra1
    long:
      description: Long description.
      type: str
      sample: Frankfurt, Germany
    created_at:
      description: Creation time.
      type: str
      sample: "2026-01-01T00:00:00+00:00"
    updated_at:
      description: Last change.
      type: str
      sample: "2026-01-01T00:00:00+00:00"
"""

from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._info import InfoQuery, run_info

QUERY = InfoQuery("locations", "application.locations.list", filters={"short": ("short", "short")},
                  get_operation="application.locations.get", id_parameter="location")


def main():
    module = PanelModule({"short": {"type": "str"}, "id": {"type": "int"}}, api="application")
    run_info(module, QUERY)


if __name__ == "__main__":
    main()
