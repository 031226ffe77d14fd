#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: location
short_description: Manage Pterodactyl locations
version_added: 0.1.0
description:
  - Pterodactyl only. Pelican has no locations (its migration made each location's short code a tag of the
    location's nodes), so there the task fails before anything is sent, pointing to the O(ptero.panel.node#module:tags)
    of M(ptero.panel.node), where O(ptero.panel.node#module:location) names a node tag.
  - Create, update and delete locations, the groups that nodes belong to.
  - Uses the application API.
options:
  short:
    description:
      - Short code of the location, for example V(fra1). It identifies the location.
    type: str
    required: true
  long:
    description:
      - Long description of the location.
      - Leave it out to keep the panel's value; V("") clears it.
    type: str
  state:
    description:
      - V(present) creates or updates the location, V(absent) deletes it.
      - The panel refuses to delete a location that still has nodes.
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
- name: Ensure the Frankfurt location exists
  ptero.panel.location:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_application_key }}"
    short: fra1
    long: Frankfurt, Germany

- name: Remove a location that has no nodes any more
  ptero.panel.location:
    short: old1
    state: absent
"""

RETURN = r"""
location:
  description: The location after the task; V(null) when it is absent.
  returned: always
  type: dict
  contains:
    id:
      description: Panel id of the location.
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
      description: Creation time (ISO 8601, UTC).
      type: str
      sample: "2026-01-01T00:00:00+00:00"
    updated_at:
      description: Last change (ISO 8601, UTC).
      type: str
      sample: "2026-01-01T00:00:00+00:00"
changed_fields:
  description: Names of the fields an update changed.
  returned: when an existing location was changed
  type: list
  elements: str
  sample: [long]
"""

from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_location
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, PanelResource, without_none
from ansible_collections.ptero.panel.plugins.module_utils._servers import NO_LOCATIONS, refuse_on_pelican


class Location(PanelResource):
    result_key = "location"
    managed_fields = ("short", "long")

    def describe(self, obj=None):
        return f"location '{(obj or self.params)['short']}'"

    def find(self):
        return find_location(self.client, self.params["short"])

    def desired(self):
        return without_none({"short": self.params["short"], "long": self.params["long"]})

    def create(self, desired):
        return self.client.call("application.locations.create", body=desired)

    def update(self, current, desired):
        # PATCH replaces: send short and long together so an unset long is not cleared.
        body = {"short": current["short"], "long": desired.get("long", current.get("long"))}
        return self.client.call("application.locations.update", {"location": current["id"]}, body=body)

    def delete(self, current):
        self.client.call("application.locations.delete", {"location": current["id"]})


def main():
    module = PanelModule(
        {
            "short": {"type": "str", "required": True},
            "long": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="application",
    )
    with module.failures_reported():
        refuse_on_pelican(module.client, NO_LOCATIONS)
        outcome = module.ensure(Location(module), module.params["state"])
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
