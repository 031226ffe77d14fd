#!/usr/bin/python
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
  - ptero.panel.matching
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

from ansible_collections.ptero.panel.plugins.module_utils._backups import backup_failed
from ansible_collections.ptero.panel.plugins.module_utils._info import (
    CLIENT_SERVER,
    InfoQuery,
    Match,
    Reading,
    run_info,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule


def usage(backups: list, reading: Reading) -> dict:
    """The server's backup count (failed ones do not count, as for the panel's limit) and limit."""
    return {
        "backup_count": sum(1 for backup in backups if not backup_failed(backup)),
        "backup_limit": (reading.owner.get("feature_limits") or {}).get("backups"),
    }


QUERY = InfoQuery("backups", "client.backups.list", scope=CLIENT_SERVER, filters={"name": Match("name")}, extra=usage)


def main():
    run_info(PanelModule({"server": {"type": "str", "required": True}, "name": {"type": "str"}}, api="client"), QUERY)


if __name__ == "__main__":
    main()
