#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: startup
short_description: Set the startup variables of a Pterodactyl server
version_added: 0.1.0
description:
  - Sets the values of a server's startup variables (the egg's variables that the server's users may edit) and returns
    the startup command the server runs with.
  - Only the variables named in O(variables) are changed; the others keep their values.
  - Every name is checked before anything is written; a name the server does not show, or a read-only variable,
    fails the task naming them.
  - Uses the client API. The panel validates each value against the variable's rules.
options:
  server:
    description:
      - The server, by its 8-character identifier, its uuid or its name.
    type: str
    required: true
  variables:
    description:
      - Variable names (the C(env_variable), for example C(SERVER_JARFILE)) and the values they must have.
      - Values are text; numbers are turned into text, V(null) stores an empty value. Write booleans as the text the
        egg expects (for example V("1") or V("true")).
      - Leave it out to only read the variables.
    type: dict
    default: {}
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Pin the Paper build
  ptero.panel.startup:
    server: Survival
    variables:
      MINECRAFT_VERSION: "1.21.4"
      BUILD_NUMBER: 232
  register: startup

- name: The command the server starts with
  ansible.builtin.debug:
    msg: "{{ startup.startup_command }}"
"""

RETURN = r"""
startup_command:
  description:
    - The server's startup command with the variables filled in (variables the key may not see show C([hidden])).
    - In check mode, the command before the change.
  returned: always
  type: str
  sample: java -Xms128M -XX:MaxRAMPercentage=95.0 -jar server.jar
raw_startup_command:
  description: The startup command with its C({{VARIABLE}}) placeholders.
  returned: always
  type: str
  sample: java -Xms128M -XX:MaxRAMPercentage=95.0 -jar {{SERVER_JARFILE}}
docker_images:
  description: The egg's Docker images, by name.
  returned: always
  type: dict
  sample: {Java 21: ghcr.io/pterodactyl/yolks:java_21}
variables:
  description: The variables the key may see, after the task (predicted in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Display name.
      type: str
      sample: Server Jar File
    description:
      description: What the variable does.
      type: str
      sample: The name of the server jarfile to run the server with.
    env_variable:
      description: The variable's name, used in O(variables).
      type: str
      sample: SERVER_JARFILE
    default_value:
      description: The egg's default.
      type: str
      sample: server.jar
    server_value:
      description: The server's value.
      type: str
      sample: paper.jar
    is_editable:
      description: Whether the variable may be changed.
      type: bool
      sample: true
    rules:
      description: The panel's validation rules for the value.
      type: str
      sample: required|regex:/^([\w\d._-]+)(\.jar)$/
changed_fields:
  description: The variables the task changed.
  returned: always
  type: list
  elements: str
  sample: [SERVER_JARFILE]
"""

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    TaskFailure,
    differs,
    failure_context,
)
from ansible_collections.ptero.panel.plugins.module_utils._servers import client_server, server_path


def wanted_values(variables):
    """The variables option with every value as the text the panel stores."""
    values = {}
    for name, value in variables.items():
        if isinstance(value, bool):
            raise TaskFailure(
                f"variables: {name} is a boolean; quote the value the egg expects, for example '1' or 'true'"
            )
        if isinstance(value, (dict, list)):
            raise TaskFailure(f"variables: {name} must be text or a number")
        values[name] = None if value is None else str(value)
    return values


def check_names(server, variables, wanted):
    by_name = {variable["env_variable"]: variable for variable in variables}
    unknown = sorted(name for name in wanted if name not in by_name)
    read_only = sorted(name for name in wanted if name in by_name and not by_name[name]["is_editable"])
    problems = []
    if unknown:
        problems.append(
            f"unknown variables {', '.join(unknown)} (server '{server['name']}' has "
            f"{', '.join(sorted(by_name)) or 'none'})"
        )
    if read_only:
        problems.append(f"read-only variables {', '.join(read_only)}")
    if problems:
        raise TaskFailure(f"variables: {'; '.join(problems)}")
    return by_name


class Startup:
    """The startup variables of one server, set one by one (the panel has no bulk update)."""

    def __init__(self, module, server):
        self.module = module
        self.server = server
        self.path = server_path(server)
        with failure_context(f"Could not read the startup variables of server '{server['name']}'"):
            self.variables, self.meta = module.client.call_with_meta("client.startup.get", self.path)
        self.startup_command = self.meta.get("startup_command")

    def set_values(self, wanted):
        """Set every variable that differs; the variables as they are afterwards, by name, and the names changed."""
        by_name = check_names(self.server, self.variables, wanted)
        changes = [name for name, value in wanted.items() if differs(by_name[name].get("server_value"), value)]
        done: list[str] = []
        for name in changes:
            if self.module.check_mode:
                by_name[name] = {**by_name[name], "server_value": wanted[name] if wanted[name] is not None else ""}
                continue
            try:
                updated, update_meta = self.module.client.call_with_meta(
                    "client.startup.update_variable", self.path, body={"key": name, "value": wanted[name]}
                )
            except PanelError as error:
                raise TaskFailure.from_error(
                    error,
                    f"Could not set {name} of server '{self.server['name']}'",
                    changed=bool(done),
                    changed_fields=done,
                ) from None
            self.module.record_write(f"set {name}")
            by_name[name] = updated
            self.startup_command = update_meta.get("startup_command", self.startup_command)
            done.append(name)
        return by_name, changes

    def result(self, before, by_name, changes):
        return {
            "changed": bool(changes),
            "changed_fields": changes,
            "startup_command": self.startup_command,
            "raw_startup_command": self.meta.get("raw_startup_command"),
            "docker_images": self.meta.get("docker_images") or {},
            "variables": [by_name[variable["env_variable"]] for variable in self.variables],
            "diff": {"before": before, "after": {name: by_name[name].get("server_value") for name in before}},
        }


def main():
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "variables": {"type": "dict", "default": {}},
        },
        api="client",
    )
    with module.failures_reported():
        wanted = wanted_values(module.params["variables"])
        startup = Startup(module, client_server(module.client, module.params["server"]))
        before = {
            variable["env_variable"]: variable.get("server_value")
            for variable in startup.variables
            if variable["env_variable"] in wanted
        }
        by_name, changes = startup.set_values(wanted)
    module.exit_json(**startup.result(before, by_name, changes))


if __name__ == "__main__":
    main()
