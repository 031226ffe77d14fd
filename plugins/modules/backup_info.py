#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_info
short_description: List the backups of a Pterodactyl server
version_added: 0.1.0
description:
  - Returns a server's backups (running, finished and failed), or those with a given name.
  - Also returns how many backups count against the server's limit, and the limit.
  - Uses the client API.
options:
  server:
    description: The server, by identifier (the 8-character one or, on any panel, the C(serv_...) one), UUID or name.
    type: str
    required: true
  name:
    description: Only the backups with this name.
    type: str
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes.info
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Backups of the survival server
  ptero.panel.backup_info:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_client_key }}"
    server: survival
  register: result

- name: Names of the finished ones
  ansible.builtin.debug:
    msg: "{{ result.backups | selectattr('is_successful') | map(attribute='name') | list }}"
"""

RETURN = r"""
backups:
  description: The backups, oldest first, as M(ptero.panel.backup) returns them.
  returned: always
  type: list
  elements: dict
  sample: [{uuid: 0d6b5f7c-3f8a-4a57-9d69-1cd0e8c0f1a2, name: before-1.21, ignored_files: [logs/], is_locked: true,
            is_successful: true, checksum: "sha1:3f786850e387550fdab836ed7e6dc881de23001b", bytes: 104857600,
            created_at: "2026-01-01T00:00:00+00:00", completed_at: "2026-01-01T00:01:00+00:00"}]
backup_count:
  description: How many of the server's backups count against its limit (running and finished, not failed).
  returned: always
  type: int
  sample: 1
backup_limit:
  description: How many backups the server may have (V(0) or V(null) for none).
  returned: always
  type: int
  sample: 3
"""

from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._client_resources import (
    backup_failed,
    require_client_server,
    server_path,
)


def main():
    module = PanelModule({"server": {"type": "str", "required": True}, "name": {"type": "str"}}, api="client")
    server = require_client_server(module, module.params["server"])
    backups = module.collect("client.backups.list", server_path(server),
                             what=f"Could not list the backups of server '{server['name']}'")
    count = sum(1 for backup in backups if not backup_failed(backup))
    if module.params["name"] is not None:
        backups = [backup for backup in backups if backup.get("name") == module.params["name"]]
    module.exit_json(changed=False, backups=backups, backup_count=count,
                     backup_limit=(server.get("feature_limits") or {}).get("backups"))


if __name__ == "__main__":
    main()
