#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: role
short_description: Manage Pelican panel roles
version_added: 1.1.0
description:
  - Create and delete the admin roles of a Pelican panel. Pterodactyl has no roles; on a Pterodactyl panel the
    module fails before any change, naming the panel.
  - A role is identified by its name, which is looked up with the panel's name filter before anything is created
    (Pelican answers a second role of the same name with a server error instead of a validation message).
  - B(Permissions are not part of the API.) Pelican's API creates and lists roles by name only; what a role may
    do is set in the panel's admin UI. Roles are given to users in the panel UI or by the user module where it
    supports roles.
  - The C(Root Admin) role is the panel's own; it cannot be deleted (the panel refuses it with a server error), and
    the module refuses before asking.
  - Uses the application API.
options:
  name:
    description: Name of the role, matched exactly (case included).
    type: str
    required: true
  state:
    description: V(present) creates the role when there is none of that name, V(absent) deletes it.
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
- name: A role for the support team (give it permissions in the panel UI)
  ptero.panel.role:
    url: https://panel.example.com
    api_key: "{{ pelican_application_key }}"
    name: Support

- name: Remove a role nobody uses any more
  ptero.panel.role:
    name: Trial moderators
    state: absent
"""

RETURN = r"""
role:
  description: The role after the task; V(null) when it is absent.
  returned: always
  type: dict
  contains:
    id:
      description: Panel id of the role.
      type: int
      sample: 3
    name:
      description: Name of the role.
      type: str
      sample: Support
    created_at:
      description: Creation time (ISO 8601).
      type: str
      sample: "2026-01-01T00:00:00+00:00"
    updated_at:
      description: Last change (ISO 8601).
      type: str
      sample: "2026-01-01T00:00:00+00:00"
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_exact, one
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, PanelResource, TaskFailure
from ansible_collections.ptero.panel.plugins.module_utils._pelican import require_pelican

# The role Pelican creates itself and guards: deleting it answers 500.
ROOT_ADMIN_ROLE = "Root Admin"


class Role(PanelResource):
    result_key = "role"
    managed_fields = ("name",)

    def describe(self, obj: t.Mapping[str, t.Any] | None = None) -> str:
        return f"role '{(obj or self.params)['name']}'"

    def find(self) -> dict[str, t.Any] | None:
        # Always by name: creating a second role of a name answers 500, so the name is the identity.
        return one(find_exact(self.client, "application.roles.list", "name", self.params["name"]), self.describe())

    def desired(self) -> dict[str, t.Any]:
        return {"name": self.params["name"]}

    def create(self, desired: dict[str, t.Any]) -> dict[str, t.Any]:
        return self.client.call("application.roles.create", body={"name": desired["name"]})

    def delete(self, current: dict[str, t.Any]) -> None:
        self.client.call("application.roles.delete", {"role": current["id"]})


def main() -> None:
    module = PanelModule(
        {
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="application",
    )
    with module.failures_reported():
        if module.params["state"] == "absent" and module.params["name"] == ROOT_ADMIN_ROLE:
            raise TaskFailure(f"name: '{ROOT_ADMIN_ROLE}' is the panel's own administrator role and cannot be deleted")
        require_pelican(module.client, "role", "roles")
        outcome = module.ensure(Role(module), module.params["state"])
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
