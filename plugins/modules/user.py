#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user
short_description: Manage Pterodactyl panel users
version_added: 0.1.0
description:
  - Create, update and delete panel user accounts.
  - The user is identified by O(external_id) when it is given, otherwise by O(username).
    With O(external_id) the username can be changed.
  - Uses the application API.
options:
  username:
    description:
      - Username; the panel stores it lowercased. 3 or more characters, starting and ending with a letter or digit.
      - Identifies the user unless O(external_id) is given.
    type: str
    required: true
  external_id:
    description:
      - An identifier from your own system. When given, it identifies the user.
    type: str
  email:
    description:
      - E-mail address. Required to create the user.
      - Compared with the stored address first; the panel is only asked to change it when it differs.
      - Panels 1.13 and later refuse some addresses (C(email:strict)), and 1.14.1 and later also a local part that
        starts with a dash. Such an address is refused before anything is sent, when it would be sent (on create or
        change), naming this option. Addresses with non-ASCII letters are accepted, as the panel accepts them.
    type: str
  first_name:
    description:
      - First name. Required to create the user.
    type: str
  last_name:
    description:
      - Last name. Required to create the user.
    type: str
  password:
    description:
      - Password. Without it, a new user gets a random password and a reset e-mail from the panel.
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) only when the user is created.
      - V(always) sends O(password) on every run. The panel cannot tell whether it differs, so the task then
        always reports a change.
      - On panels 1.12.1 and later every password change also makes Wings close the user's consoles and SFTP
        sessions, so V(always) does that on every run.
    type: str
    choices: [always, on_create]
    default: on_create
  root_admin:
    description:
      - Whether the user is a panel administrator.
    type: bool
  language:
    description:
      - Interface language code, for example V(en).
    type: str
  state:
    description:
      - V(present) creates or updates the user, V(absent) deletes it.
      - The panel refuses to delete a user who owns servers.
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
- name: Ensure a player account exists
  ptero.panel.user:
    username: alice
    email: alice@example.com
    first_name: Alice
    last_name: Liddell
    password: "{{ vault_alice_password }}"

- name: Manage a user by the id of your billing system (allows renames)
  ptero.panel.user:
    external_id: billing-4711
    username: alice2
    email: alice@example.com
    first_name: Alice
    last_name: Liddell

- name: Remove a user
  ptero.panel.user:
    username: bob
    state: absent
"""

RETURN = r"""
user:
  description: The user after the task; V(null) when absent. Never contains the password.
  returned: always
  type: dict
  contains:
    id:
      description: Panel id.
      type: int
      sample: 12
    external_id:
      description: External identifier.
      type: str
      sample: billing-4711
    uuid:
      description: User UUID.
      type: str
      sample: 5b9c1f0e-9d3f-4c59-9c8e-3f1b0c2d7a11
    username:
      description: Username.
      type: str
      sample: alice
    email:
      description: E-mail address.
      type: str
      sample: alice@example.com
    first_name:
      description: First name.
      type: str
      sample: Alice
    last_name:
      description: Last name.
      type: str
      sample: Liddell
    language:
      description: Language code.
      type: str
      sample: en
    root_admin:
      description: Whether the user is an administrator.
      type: bool
      sample: false
    2fa:
      description: Whether two-factor authentication is enabled.
      type: bool
      sample: false
changed_fields:
  description: Names of the fields an update changed.
  returned: when an existing user was changed
  type: list
  elements: str
  sample: [email]
"""

from ansible_collections.ptero.panel.plugins.module_utils._accounts import require_valid_email
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, PanelResource, differs, without_none
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_user, find_user_by_external_id

PROFILE_FIELDS = ("username", "email", "first_name", "last_name", "language", "root_admin", "external_id")


class User(PanelResource):
    result_key = "user"
    managed_fields = PROFILE_FIELDS
    create_requires = ("email", "first_name", "last_name")

    def describe(self, obj=None):
        return f"user '{(obj or self.params)['username']}'"

    def find(self):
        if self.params["external_id"]:
            return find_user_by_external_id(self.client, self.params["external_id"])
        return find_user(self.client, self.params["username"])

    def desired(self):
        desired = without_none({field: self.params[field] for field in PROFILE_FIELDS})
        desired["username"] = desired["username"].lower()
        email = desired.get("email")
        if email is not None and (self.current is None or differs(self.current.get("email"), email)):
            # Checked only when it would be sent: an address already stored (e.g. by a 1.11 panel) is left alone.
            require_valid_email(email)
        return desired

    def compare(self, current, desired):
        changes = super().compare(current, desired)
        if self.params["password"] and self.params["update_password"] == "always":
            changes.append("password")
        return changes

    def create(self, desired):
        return self.client.call("application.users.create", body=without_none({**desired, "password": self.params["password"]}))

    def update(self, current, desired):
        # PATCH needs the whole profile; a password is only sent when it should change.
        body = {field: current.get(field) for field in PROFILE_FIELDS}
        body.update(desired)
        if self.params["password"] and self.params["update_password"] == "always":
            body["password"] = self.params["password"]
        return self.client.call("application.users.update", {"user": current["id"]}, body=without_none(body))

    def delete(self, current):
        self.client.call("application.users.delete", {"user": current["id"]})


def main():
    module = PanelModule(
        {
            "username": {"type": "str", "required": True},
            "external_id": {"type": "str"},
            "email": {"type": "str"},
            "first_name": {"type": "str"},
            "last_name": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "update_password": {"type": "str", "choices": ["always", "on_create"], "default": "on_create", "no_log": False},
            "root_admin": {"type": "bool"},
            "language": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="application",
    )
    with module.failures_reported():
        outcome = module.ensure(User(module), module.params["state"])
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
