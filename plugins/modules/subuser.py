#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: subuser
short_description: Manage the subusers of a Pterodactyl or Pelican server
version_added: 0.1.0
description:
  - Gives another account access to a server with a set of permissions, changes the permissions, or removes the
    access.
  - The subuser is identified by e-mail address (case-insensitive). When no account has that address, the panel
    creates one and e-mails a link to set its password.
  - The permissions are checked against the panel's permission list first; an unknown permission fails the task.
    The panel always adds C(websocket.connect), so it is added here too and need not be listed.
  - An account that is not the server owner may only grant permissions it holds itself; an account cannot change
    its own subuser entry.
  - On panels 1.12 and later, changing or removing a subuser makes Wings close that account's console and SFTP
    sessions on the server.
  - Works on Pterodactyl and Pelican. Pelican renamed C(database.view_password) to C(database.view-password);
    either spelling is taken and sent as the panel spells it, so one playbook grants the same on both.
  - Uses the client API.
options:
  server:
    description: The server, by identifier (the 8-character one or, on any panel, the C(serv_...) one), UUID or name.
    type: str
    required: true
  email:
    description:
      - E-mail address of the subuser's account; it identifies the subuser.
      - Panels 1.13 and later refuse some addresses in an invite (C(email:strict)), and 1.14.1 and later also a
        local part that starts with a dash. Such an address is refused before the invite is sent, naming this
        option (a refused invite would still count against the panel's limit of 10 invites per 15 minutes per
        server). Addresses with non-ASCII letters are accepted, as the panel accepts them.
      - Pelican's rule is laxer, and only an address longer than 255 characters, without an C(@), or with a dot at
        either end of its local part or two in a row is refused before the invite is sent; Pelican accepts some that
        Pterodactyl refuses (a leading dash, comments, a domain without a dot) and checks the rest itself.
    type: str
    required: true
  permissions:
    description:
      - The complete set of permissions, as C(<group>.<key>), for example V(control.console) or V(file.read).
      - See M(ptero.panel.permission_info) for the list the panel knows.
      - Leave it out to keep the permissions of an existing subuser; a new one then gets only C(websocket.connect).
    type: list
    elements: str
  state:
    description: V(present) adds or updates the subuser, V(absent) removes its access (the account stays).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Let the moderator use the console and read files
  ptero.panel.subuser:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_client_key }}"
    server: survival
    email: moderator@example.com
    permissions:
      - control.console
      - control.start
      - file.read
      - file.read-content

- name: Revoke the access
  ptero.panel.subuser:
    server: survival
    email: moderator@example.com
    state: absent
"""

RETURN = r"""
subuser:
  description: The subuser after the task; V(null) when absent. In check mode, what it would be.
  returned: always
  type: dict
  contains:
    uuid:
      description: UUID of the subuser's account.
      type: str
      sample: 5b0a3c2e-8f3c-4a3e-9a53-1f7f0d0c2b11
    username:
      description: Username of the account.
      type: str
      sample: moderator
    email:
      description: E-mail address.
      type: str
      sample: moderator@example.com
    image:
      description: Gravatar URL.
      type: str
      sample: https://gravatar.com/avatar/0c83f57c786a0b4a39efab23731c7ebc
    2fa_enabled:
      description: Whether the account uses two-factor authentication.
      type: bool
      sample: false
    created_at:
      description: Creation time of the account (ISO 8601).
      type: str
      sample: "2026-01-01T00:00:00+00:00"
    permissions:
      description: The subuser's permissions.
      type: list
      elements: str
      sample: [control.console, control.start, file.read, file.read-content, websocket.connect]
changed_fields:
  description: V([permissions]) when an existing subuser's permissions were changed.
  returned: when an existing subuser was changed
  type: list
  elements: str
  sample: [permissions]
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._accounts import (
    permission_groups,
    permission_keys,
    require_valid_email,
)
from ansible_collections.ptero.panel.plugins.module_utils._flavour import PELICAN
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    PanelResource,
    TaskFailure,
    failure_context,
)
from ansible_collections.ptero.panel.plugins.module_utils._servers import client_server, server_path

# The panel adds this permission to every subuser.
ALWAYS_GRANTED = "websocket.connect"
# Permission keys Pelican renamed: Pterodactyl's name -> Pelican's. Either spelling is taken on both panels.
PELICAN_RENAMES = {"database.view_password": "database.view-password"}


def panel_spelling(permissions: t.Iterable[str], pelican: bool) -> list[str]:
    """`permissions` as the panel spells them, so one playbook grants the same thing on both panels."""
    renames = PELICAN_RENAMES if pelican else {new: old for old, new in PELICAN_RENAMES.items()}
    return [renames.get(permission, permission) for permission in permissions]


def known_permissions(listing: t.Mapping[str, t.Any] | None) -> tuple[set[str], list[str]]:
    """(every permission key, the groups) of the panel's list, on either panel."""
    groups = permission_groups(listing)
    return set(permission_keys(groups)), sorted(groups)


class Subuser(PanelResource):
    result_key = "subuser"
    managed_fields = ("email", "permissions")

    def __init__(self, module, server):
        super().__init__(module)
        self.server = server

    def describe(self, obj=None):
        return f"subuser '{self.params['email']}' of server '{self.server['name']}'"

    def find(self):
        subusers = self.client.call("client.subusers.list", server_path(self.server))
        email = self.params["email"].lower()
        return next((s for s in subusers if (s.get("email") or "").lower() == email), None)

    def desired(self):
        if self.current is None:
            # The address is only sent in the invite; panels 1.13+ refuse some (and the invite limiter counts those).
            require_valid_email(self.params["email"], lambda: self.client.flavour == PELICAN)
        desired = {"email": self.params["email"]}
        if self.params["permissions"] is not None:
            wanted = panel_spelling(self.params["permissions"], self.client.flavour == PELICAN)
            desired["permissions"] = sorted(set(wanted) | {ALWAYS_GRANTED})
        elif self.current is None:
            desired["permissions"] = [ALWAYS_GRANTED]
        return desired

    def compare(self, current, desired):
        # The e-mail address identifies the subuser (compared case-insensitively by find); only permissions change.
        if "permissions" in desired and sorted(set(current.get("permissions") or [])) != desired["permissions"]:
            return ["permissions"]
        return []

    def view(self, obj):
        if not obj:
            return {}
        return {"email": obj.get("email"), "permissions": sorted(set(obj.get("permissions") or []))}

    def create(self, desired):
        return self.client.call("client.subusers.create", server_path(self.server), body=desired)

    def update(self, current, desired):
        return self.client.call(
            "client.subusers.update",
            server_path(self.server, user=current["uuid"]),
            body={"permissions": desired["permissions"]},
        )

    def delete(self, current):
        self.client.call("client.subusers.delete", server_path(self.server, user=current["uuid"]))


def check_permissions(module: PanelModule) -> None:
    """Refuse, naming them, permissions the panel does not know (it would drop them silently)."""
    wanted = module.params["permissions"]
    if not wanted or module.params["state"] == "absent":
        return
    with failure_context("Could not read the panel's permission list"):
        listing = module.client.call("client.permissions.get")
        wanted = panel_spelling(wanted, module.client.flavour == PELICAN)
    known, groups = known_permissions(listing)
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise TaskFailure(
            f"permissions: unknown permission(s) {', '.join(unknown)}; the panel knows the groups "
            f"{', '.join(groups)} (see ptero.panel.permission_info)"
        )


def main():
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "email": {"type": "str", "required": True},
            "permissions": {"type": "list", "elements": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="client",
    )
    with module.failures_reported():
        check_permissions(module)
        server = client_server(module.client, module.params["server"])
        outcome = module.ensure(Subuser(module, server), module.params["state"])
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
