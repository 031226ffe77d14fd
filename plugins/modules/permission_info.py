#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: permission_info
short_description: List the subuser permissions of a Pterodactyl or Pelican panel
version_added: 0.1.0
description:
  - Returns every permission a server's subuser can be given, grouped as the panel groups them, and as a flat list of
    keys such as V(control.console) (the form M(ptero.panel.subuser) takes).
  - Uses the client API.
  - Pelican lists the keys only, so there every group's and key's description is V(null).
options: {}
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes.info
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Read the permissions
  ptero.panel.permission_info:
  register: panel_permissions

- name: Every file permission
  ansible.builtin.debug:
    msg: "{{ panel_permissions.permission_keys | select('match', 'file\\.') | list }}"
"""

RETURN = r"""
permissions:
  description:
    - The permission groups by name, each with a description and its keys (key name to description).
    - On Pelican the descriptions are V(null) (its panel lists the keys only).
  returned: always
  type: dict
  sample:
    control:
      description: Controlling the server process.
      keys: {console: Send commands to the server console., start: Start the server.}
permission_keys:
  description: Every permission as C(group.key), sorted.
  returned: always
  type: list
  elements: str
  sample: [activity.read, allocation.create, control.console, websocket.connect]
"""

from ansible_collections.ptero.panel.plugins.module_utils._accounts import permission_groups, permission_keys
from ansible_collections.ptero.panel.plugins.module_utils._info import InfoQuery, Reading, run_info
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, failure_context


def read_permissions(reading: Reading) -> dict:
    with failure_context("Could not read the panel's permissions"):
        answer = reading.client.call("client.permissions.get")
    groups = permission_groups(answer)
    return {"permissions": groups, "permission_keys": permission_keys(groups)}


QUERY = InfoQuery("permissions", read=read_permissions)


def main():
    run_info(PanelModule({}, api="client"), QUERY)


if __name__ == "__main__":
    main()
