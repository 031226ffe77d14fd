#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user
short_description: Manage Pterodactyl and Pelican panel users
version_added: 0.1.0
description:
  - Create, update and delete panel user accounts.
  - Works on Pterodactyl and on Pelican. Pelican users have no first and last name, so there O(first_name) and
    O(last_name) are ignored (neither sent nor compared, so they never cause a change), and Pelican stores
    usernames and e-mail addresses lowercased, so both are compared without case there.
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
      - Pelican's rule is laxer, and only an address longer than 255 characters, without an C(@), or with a dot at
        either end of its local part or two in a row is refused before anything is sent; Pelican accepts some that
        Pterodactyl refuses (a leading dash, comments, a domain without a dot) and checks the rest itself.
    type: str
  first_name:
    description:
      - First name. Required to create the user on Pterodactyl; ignored on Pelican.
    type: str
  last_name:
    description:
      - Last name. Required to create the user on Pterodactyl; ignored on Pelican.
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
      - On Pelican this is the user's Root Admin role, which the API can neither grant nor remove. A value that
        matches the user is fine; a different one fails the task, naming this option, before anything is sent.
        Pelican also refuses to delete a root admin through the API; O(state=absent) says so instead of asking.
    type: bool
  language:
    description:
      - Interface language code, for example V(en).
    type: str
  timezone:
    description:
      - Pelican only. The timezone the panel shows the user's dates in, for example V(Europe/Berlin). Pelican makes
        a new user's timezone V(UTC) when it is left out, and keeps the current one when an update leaves it out.
      - Pelican takes V(UTC) and the tz database's canonical names, spelt as listed (case matters); aliases such as
        V(US/Eastern), V(GMT) or V(Etc/UTC) are refused. An empty value or a name outside the database's areas
        (Africa, America, Antarctica, Arctic, Asia, Atlantic, Australia, Europe, Indian, Pacific) fails the task,
        naming this option, before anything is sent; the panel checks the rest and its refusal names the field.
      - Pelican's API never shows a user's timezone, so it cannot be compared; O(update_timezone) says when it is
        sent. RV(user.timezone) is only there when the task sent it.
      - Fails the task on Pterodactyl, whose users have no timezone.
    type: str
    version_added: 1.1.0
  update_timezone:
    description:
      - V(on_create) sets O(timezone) only when the user is created; an existing user's timezone is left as it is.
      - V(always) sends O(timezone) on every run. The panel does not show the timezone, so the task cannot tell
        whether it differs and then always reports a change.
    type: str
    choices: [always, on_create]
    default: on_create
    version_added: 1.1.0
  managed_externally:
    description:
      - Pelican only. Whether the account is managed outside the panel (the user's C(is_managed_externally)). Such
        a user cannot change their own e-mail address, username or password in the panel (its client API answers
        403); administrators and this module still can.
      - Compared only when given. Pelican makes new users V(false) and keeps the current value when an update
        leaves it out.
      - Fails the task on Pterodactyl.
    type: bool
    version_added: 1.1.0
  roles:
    description:
      - Pelican only. The complete set of the user's admin roles, by name or id, other than Root Admin (see
        O(root_admin)). Leave it out to keep the user's roles; V([]) takes them all.
      - Roles are made with M(ptero.panel.role); their permissions are set in the panel. A role that does not exist
        fails the task, naming it, before anything is sent.
      - Fails the task on Pterodactyl, which has no roles.
    type: list
    elements: str
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

- name: A Pelican user kept by your identity system, in its timezone
  ptero.panel.user:
    username: carol
    email: carol@example.com
    timezone: Europe/Berlin
    managed_externally: true

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
      description: First name (Pterodactyl only).
      type: str
      sample: Alice
    last_name:
      description: Last name (Pterodactyl only).
      type: str
      sample: Liddell
    language:
      description: Language code.
      type: str
      sample: en
    timezone:
      description: The timezone the task set (Pelican; the panel does not show it, so only when the task sent it).
      type: str
      sample: Europe/Berlin
      version_added: 1.1.0
    is_managed_externally:
      description: Whether the account is managed outside the panel (Pelican only).
      type: bool
      sample: false
      version_added: 1.1.0
    root_admin:
      description: Whether the user is an administrator.
      type: bool
      sample: false
    roles:
      description: Names of the user's roles other than Root Admin (Pelican, when O(roles) is given).
      type: list
      elements: str
      sample: [Support]
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

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._accounts import (
    pelican_root_admin_problem,
    pelican_timezone_problem,
    require_valid_email,
    resolve_roles,
    user_roles,
)
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_user, find_user_by_external_id
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    PanelResource,
    TaskFailure,
    differs,
    without_none,
)
from ansible_collections.ptero.panel.plugins.module_utils._servers import pelican_judging_by

PROFILE_FIELDS = ("username", "email", "first_name", "last_name", "language", "root_admin", "external_id")
# Pelican users have no names, and root_admin comes from the Root Admin role, which the API cannot grant: the
# panel ignores these fields in a request, so they are neither sent nor compared there.
PELICAN_IGNORED = ("first_name", "last_name")
PELICAN_PROFILE_FIELDS = tuple(field for field in PROFILE_FIELDS if field not in PELICAN_IGNORED)
# Pelican-only fields, by option. Pelican keeps them when an update leaves them out, so they are sent only when given.
# The timezone is never shown by the panel: it is not a compared field but sent on create or with update_timezone.
PELICAN_ONLY_OPTIONS = {"managed_externally": "is_managed_externally", "timezone": "timezone"}
PELICAN_KEPT_WHEN_OMITTED = ("is_managed_externally", "timezone")
OPTION_OF_PELICAN_FIELD = {attribute: option for option, attribute in PELICAN_ONLY_OPTIONS.items()}


class User(PanelResource):
    result_key = "user"

    def __init__(self, module: PanelModule) -> None:
        super().__init__(module)
        #: {name: id} of the roles the task asks for, and of those the user has (Pelican, with `roles` only).
        self.wanted_roles: dict[str, int] = {}
        self.held_roles: dict[str, int] = {}

    # Asked lazily (after the lookup), so a Pterodactyl task sends its requests in the order it always did.
    @property
    def pelican(self) -> bool:
        # Only Pelican's users have is_managed_externally: a user found tells the panel without a request.
        return pelican_judging_by(self.client, self.current, "is_managed_externally")

    @property
    def managed_fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return (*PELICAN_PROFILE_FIELDS, "is_managed_externally", "roles") if self.pelican else PROFILE_FIELDS

    @property
    def create_requires(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("email",) if self.pelican else ("email", "first_name", "last_name")

    def describe(self, obj=None):
        return f"user '{(obj or self.params)['username']}'"

    def find(self):
        if self.params["state"] == "present" and self.client.known_flavour is not None:
            # The panel is known without asking: refuse Pelican-only options before any request.
            self.refuse_pelican_only_options()
        if self.params["external_id"]:
            found = find_user_by_external_id(self.client, self.params["external_id"])
        else:
            found = find_user(self.client, self.params["username"])
        manages_roles = self.params["roles"] is not None
        if found is not None and manages_roles and pelican_judging_by(self.client, found, "is_managed_externally"):
            # The listing has no roles: read them only when the task manages them.
            self.held_roles = user_roles(self.client, found["id"])
            found = {**found, "roles": sorted(self.held_roles)}
        return found

    def desired(self):
        self.refuse_pelican_only_options()
        desired = without_none(
            {field: self.params[option_of(field)] for field in self.managed_fields if field != "roles"}
        )
        desired.update(self.desired_timezone())
        desired["username"] = desired["username"].lower()
        email = desired.get("email")
        if email is not None and self.pelican:
            # Pelican stores addresses lowercased: compare (and send) them that way.
            desired["email"] = email = email.lower()
        if email is not None and (self.current is None or differs(self.current.get("email"), email)):
            # Checked only when it would be sent: an address already stored (e.g. by a 1.11 panel) is left alone.
            require_valid_email(email, lambda: self.pelican)
        if self.pelican:
            self.refuse_root_admin_change(desired)
        if self.params["roles"] is not None:
            desired["roles"] = self.desired_roles()
        return desired

    def refuse_pelican_only_options(self) -> None:
        given = [option for option in PELICAN_ONLY_OPTIONS if self.params[option] is not None]
        if given and not self.pelican:
            raise TaskFailure(
                f"{given[0]}: only Pelican users have this field ({PELICAN_ONLY_OPTIONS[given[0]]}); this panel is "
                f"Pterodactyl (leave {' and '.join(given)} out)",
                changed=False,
            )

    def desired_timezone(self) -> dict[str, str]:
        """The timezone to send: on create, or on every run with update_timezone=always (the panel never shows
        it, so it cannot be compared); checked as far as Pelican certainly refuses it."""
        timezone = self.params["timezone"]
        if timezone is None:
            return {}
        problem = pelican_timezone_problem(timezone)
        if problem:
            raise TaskFailure(f"timezone: '{timezone}' is not a timezone Pelican accepts: {problem}", changed=False)
        if self.current is None or self.params["update_timezone"] == "always":
            return {"timezone": timezone}
        return {}

    def view(self, obj=None):
        # The timezone is shown (in diffs too) only when the task sent it: the panel does not report it.
        shown = super().view(obj)
        if obj and "timezone" in obj:
            shown["timezone"] = obj["timezone"]
        return shown

    def desired_roles(self) -> list[str]:
        if not self.pelican:
            raise TaskFailure(
                "roles: only Pelican has roles; this panel is Pterodactyl (use root_admin)", changed=False
            )
        self.wanted_roles = resolve_roles(self.client, self.params["roles"])
        return sorted(self.wanted_roles)

    def change_roles(self, user_id: int) -> None:
        """Give the roles asked for that the user lacks and take the others (Pelican's assign/remove routes)."""
        give = sorted(self.wanted_roles[name] for name in set(self.wanted_roles) - set(self.held_roles))
        take = sorted(self.held_roles[name] for name in set(self.held_roles) - set(self.wanted_roles))
        if give:
            self.client.call("application.users.assign_roles", {"user": user_id}, body={"roles": give})
        if take:
            self.client.call("application.users.remove_roles", {"user": user_id}, body={"roles": take})

    def refuse_root_admin_change(self, desired: t.Mapping[str, t.Any]) -> None:
        problem = pelican_root_admin_problem(self.current, desired.get("root_admin"))
        if problem:
            raise TaskFailure(f"root_admin: {problem} ({self.describe(self.current)})", changed=False)

    def compare(self, current, desired):
        changes = super().compare(current, desired)
        if self.params["password"] and self.params["update_password"] == "always":
            changes.append("password")
        return changes

    def predict_update(self, current, desired, changes):
        # A password is sent but never part of the user: check mode predicts the rest (it used to fail on it).
        return super().predict_update(current, desired, [name for name in changes if name != "password"])

    def body(self, profile: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """What the profile routes take: on Pelican without root_admin, which it would ignore; roles go elsewhere."""
        ignored = {"roles", "root_admin"} if self.pelican else {"roles"}
        return without_none({key: value for key, value in profile.items() if key not in ignored})

    def create(self, desired):
        created = self.client.call(
            "application.users.create", body=self.body({**desired, "password": self.params["password"]})
        )
        created = with_timezone_sent(created, desired)
        if "roles" in desired:
            self.change_roles(created["id"])
            created = {**created, "roles": desired["roles"]}
        return created

    def update(self, current, desired):
        changes = set(self.compare(current, desired))
        updated = current
        if changes - {"roles"}:
            # PATCH needs the whole profile (Pelican keeps its own fields when left out, so those only when given); a
            # password is only sent when it should change.
            body = {
                field: current.get(field) for field in self.managed_fields if field not in PELICAN_KEPT_WHEN_OMITTED
            }
            body.update(desired)
            if self.params["password"] and self.params["update_password"] == "always":
                body["password"] = self.params["password"]
            updated = self.client.call("application.users.update", {"user": current["id"]}, body=self.body(body))
            updated = with_timezone_sent(updated, desired)
        if "roles" in changes:
            self.change_roles(current["id"])
        return {**updated, "roles": desired["roles"]} if "roles" in desired else updated

    def delete(self, current):
        if self.pelican and current.get("root_admin"):
            # Pelican answers 403 with an empty body: say why before asking.
            raise TaskFailure(
                f"{self.describe(current)} is a root admin, and Pelican refuses to delete a root admin "
                "through the API; remove the Root Admin role in the admin area first",
                changed=False,
            )
        self.client.call("application.users.delete", {"user": current["id"]})


def option_of(field: str) -> str:
    """The module option that sets an attribute of the user (`managed_externally` for `is_managed_externally`)."""
    return OPTION_OF_PELICAN_FIELD.get(field, field)


def with_timezone_sent(user: dict[str, t.Any], desired: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The user as the panel answered, with the timezone the task sent (the panel's answer never has it)."""
    return {**user, "timezone": desired["timezone"]} if "timezone" in desired else user


def main():
    module = PanelModule(
        {
            "username": {"type": "str", "required": True},
            "external_id": {"type": "str"},
            "email": {"type": "str"},
            "first_name": {"type": "str"},
            "last_name": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "update_password": {
                "type": "str",
                "choices": ["always", "on_create"],
                "default": "on_create",
                "no_log": False,
            },
            "root_admin": {"type": "bool"},
            "language": {"type": "str"},
            "timezone": {"type": "str"},
            "update_timezone": {"type": "str", "choices": ["always", "on_create"], "default": "on_create"},
            "managed_externally": {"type": "bool"},
            "roles": {"type": "list", "elements": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="application",
    )
    with module.failures_reported():
        outcome = module.ensure(User(module), module.params["state"])
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
