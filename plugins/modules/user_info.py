#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user_info
short_description: List Pterodactyl and Pelican panel users
version_added: 0.1.0
description:
  - Returns users, all of them or those matching the options. The panel filters first, so the
    module never pages through every user to find one.
  - Works on Pterodactyl and Pelican. Pelican users have no C(first_name) or C(last_name); they have
    C(is_managed_externally) and C(2fa_enabled), and C(root_admin) is their Root Admin role.
  - Uses the application API.
options:
  id:
    description: Only the user with this id.
    type: int
  username:
    description: Only the user with this username.
    type: str
  email:
    description: Only the user with this e-mail address.
    type: str
  external_id:
    description: Only the user with this external id.
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
- name: Read every user
  ptero.panel.user_info:
  register: result

- name: Names of every administrator
  ansible.builtin.debug:
    msg: "{{ result.users | selectattr('root_admin') | map(attribute='username') | list }}"
"""

RETURN = r"""
users:
  description: The matching users, as the M(ptero.panel.user) module returns them.
  returned: always
  type: list
  elements: dict
  sample: [{id: 2, username: alice, email: alice@example.com, first_name: Alice, last_name: Liddell,
            external_id: null, root_admin: false, language: en, 2fa: false}]
"""

from ansible_collections.ptero.panel.plugins.module_utils._info import InfoQuery, Match, get_by, run_info
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule

QUERY = InfoQuery(
    "users",
    "application.users.list",
    filters={option: Match(option, option) for option in ("username", "email", "external_id")},
    lookups={"id": get_by("application.users.get", "user")},
)


def main():
    module = PanelModule(
        {"id": {"type": "int"}, "username": {"type": "str"}, "email": {"type": "str"}, "external_id": {"type": "str"}},
        api="application",
    )
    run_info(module, QUERY)


if __name__ == "__main__":
    main()
