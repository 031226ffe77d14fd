#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: location_info
short_description: List Pterodactyl locations
version_added: 0.1.0
description:
  - Pterodactyl only. Pelican has no locations (its migration made each location's short code a tag of the
    location's nodes), so there the task fails before anything is sent, pointing to the O(ptero.panel.node#module:tags)
    of M(ptero.panel.node), where O(ptero.panel.node#module:location) names a node tag.
  - Returns locations, all of them or those matching the options.
  - Uses the application API.
options:
  short:
    description:
      - Only the location with this short code.
    type: str
  id:
    description:
      - Only the location with this id.
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
from ansible_collections.ptero.panel.plugins.module_utils._servers import NO_LOCATIONS, refuse_on_pelican

LOCATIONS = InfoQuery(
    "locations",
    "application.locations.list",
    filters={"short": Match("short", "short")},
    lookups={"id": get_by("application.locations.get", "location")},
)


def read_locations(reading: Reading) -> dict[str, t.Any]:
    refuse_on_pelican(reading.client, NO_LOCATIONS)
    return read_objects(LOCATIONS, reading)


QUERY = InfoQuery("locations", read=read_locations)


def main():
    run_info(PanelModule({"short": {"type": "str"}, "id": {"type": "int"}}, api="application"), QUERY)


if __name__ == "__main__":
    main()
