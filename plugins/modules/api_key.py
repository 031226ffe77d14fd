#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: api_key
short_description: Manage the client API keys of your Pterodactyl account
version_added: 0.1.0
description:
  - Creates and deletes API keys of the account that owns the O(api_key) used by the task.
  - A key is identified by its description. The panel cannot change a key, so a key whose O(allowed_ips) differ is
    only replaced (deleted and created again, with a new token) when O(force=true).
  - The token of a new key is returned once, in RV(token); the panel never shows it again.
  - RV(token) is a secret. Put C(no_log) on the task that creates the key; without it the token is printed with
    C(-v), kept in AWX / Automation Platform job events and passed to every callback plugin.
  - Uses the client API.
options:
  description:
    description:
      - Description of the key; it identifies the key, so it should be unique on the account.
    type: str
    required: true
  allowed_ips:
    description:
      - IP addresses or CIDR ranges the key may be used from; an empty list allows every address.
      - Left out, an existing key is accepted whatever its addresses, and a new key allows every address.
    type: list
    elements: str
  force:
    description:
      - Replace an existing key whose O(allowed_ips) differ. Programs using the old token stop working.
    type: bool
    default: false
  state:
    description:
      - V(present) creates the key, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
notes:
  - The key used by the task itself can be deleted, but not replaced with O(force=true), since the task needs it to
    create the new key.
"""

EXAMPLES = r"""
- name: A key for the monitoring host
  ptero.panel.api_key:
    description: monitoring
    allowed_ips: [192.0.2.10]
  register: monitoring_key
  no_log: true  # the result holds the new token

- name: Store the token the first time
  ansible.builtin.copy:
    content: "{{ monitoring_key.token }}"
    dest: /etc/monitoring/pterodactyl.token
    mode: "0600"
  when: monitoring_key.token is not none
  no_log: true

- name: Revoke it
  ptero.panel.api_key:
    description: monitoring
    state: absent
"""

RETURN = r"""
api_key:
  description: The key after the task (without its secret); V(null) when it is absent.
  returned: always
  type: dict
  contains:
    identifier:
      description: The key's public identifier, the first 16 characters of its token.
      type: str
      sample: ptlc_8dKzwP1YHgq
    description:
      description: Description.
      type: str
      sample: monitoring
    allowed_ips:
      description: Allowed addresses; empty means all.
      type: list
      elements: str
      sample: [192.0.2.10]
    last_used_at:
      description: Last use, or V(null).
      type: str
      sample: null
    created_at:
      description: Creation time.
      type: str
      sample: "2026-01-01T00:00:00+00:00"
token:
  description:
    - The full token of a key created by this task (identifier and secret), to use as an C(api_key).
    - V(null) when no key was created, and in check mode. The panel shows it only this once.
  returned: always
  type: str
  sample: ptlc_8dKzwP1YHgqJ3rR6mX0aV9sT2bW5yN7cE4fH1kL8pQ0u
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._lookup import one
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, PanelResource, TaskFailure

IDENTIFIER_LENGTH = 16


def same_addresses(current, desired):
    return sorted(current or []) == sorted(desired or [])


class ApiKey(PanelResource):
    result_key = "api_key"
    noun = "API key"
    managed_fields = ("description", "allowed_ips")
    create_defaults: t.Mapping[str, t.Any] = {"allowed_ips": []}

    def __init__(self, module):
        super().__init__(module)
        #: The secret of a key this task created (the panel shows it once).
        self.token = None

    def describe(self, obj=None):
        return f"API key '{self.params['description']}'"

    def find(self):
        keys = self.client.call("client.api_keys.list")
        return one(
            [key for key in keys if key["description"] == self.params["description"]], self.describe(), key="identifier"
        )

    def desired(self):
        desired = {"description": self.params["description"]}
        if self.params["allowed_ips"] is not None:
            desired["allowed_ips"] = self.params["allowed_ips"]
        return desired

    def compare(self, current, desired):
        if "allowed_ips" not in desired or same_addresses(current.get("allowed_ips"), desired["allowed_ips"]):
            return []
        if not self.params["force"]:
            raise TaskFailure(
                f"{self.describe()} allows {current.get('allowed_ips') or 'every address'}; "
                "the panel cannot change a key, set force=true to replace it (with a new token)"
            )
        if current["identifier"] == self.params["api_key"][:IDENTIFIER_LENGTH]:
            raise TaskFailure(
                f"{self.describe()} is the key this task authenticates with; it cannot be "
                "replaced with itself, use another key"
            )
        return ["allowed_ips"]

    def create(self, desired):
        body = {"description": desired["description"], "allowed_ips": desired.get("allowed_ips") or []}
        created, meta = self.client.call_with_meta("client.api_keys.create", body=body)
        secret = meta.get("secret_token")
        if secret:
            self.token = created["identifier"] + secret
        return created

    def update(self, current, desired):
        # Keys cannot be changed: replace.
        self.delete(current)
        self.module.record_write("deleted the old key (not replaced yet)")
        created = self.create({**current, **desired})
        self.module.record_write("created its replacement")
        return created

    def delete(self, current):
        self.client.call("client.api_keys.delete", {"identifier": current["identifier"]})


def main():
    module = PanelModule(
        {
            "description": {"type": "str", "required": True},
            "allowed_ips": {"type": "list", "elements": "str"},
            "force": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="client",
    )
    api_key = ApiKey(module)
    with module.failures_reported():
        outcome = module.ensure(api_key, module.params["state"])
    # The token of a key made by this task (also a replacement); null otherwise.
    module.exit_json(**outcome.result(), token=api_key.token)


if __name__ == "__main__":
    main()
