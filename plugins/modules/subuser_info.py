#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: subuser_info
short_description: List the subusers of a Pterodactyl server
version_added: 0.1.0
description:
  - Returns a server's subusers with their permissions, or the one with a given e-mail address.
  - Uses the client API.
options:
  server:
    description: The server, by identifier (the 8-character one or, on any panel, the C(serv_...) one), UUID or name.
    type: str
    required: true
  email:
    description: Only the subuser with this e-mail address.
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
- name: Who may use the survival server
  ptero.panel.subuser_info:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_client_key }}"
    server: survival
  register: result

- name: Subusers allowed to use the console
  ansible.builtin.debug:
    msg: >-
      {{ result.subusers | selectattr('permissions', 'contains', 'control.console') | map(attribute='email') | list }}
"""

RETURN = r"""
subusers:
  description: The subusers, as M(ptero.panel.subuser) returns them.
  returned: always
  type: list
  elements: dict
  sample: [{uuid: 5b0a3c2e-8f3c-4a3e-9a53-1f7f0d0c2b11, username: helper, email: helper@example.com,
            image: "https://gravatar.com/avatar/0c83f57c786a0b4a39efab23731c7ebc", 2fa_enabled: false,
            created_at: "2026-01-01T00:00:00+00:00", permissions: [websocket.connect, control.console]}]
"""

from ansible_collections.ptero.panel.plugins.module_utils._info import CLIENT_SERVER, InfoQuery, Match, run_info
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule

QUERY = InfoQuery("subusers", "client.subusers.list", scope=CLIENT_SERVER, filters={"email": Match("email")})


def main():
    run_info(PanelModule({"server": {"type": "str", "required": True}, "email": {"type": "str"}}, api="client"), QUERY)


if __name__ == "__main__":
    main()
